"""Tariffs: which band an hour falls in, and what kWh cost (standing charge, bands, VAT).

A tariff file (`tariff_files/<id>.json`) holds one supplier's grid with one or more options; each
option has a standing charge per year and bands. A band with `hours` ([start, end) local hours of the
tariff's time zone) claims those hours; exactly one band has none and takes every other hour. Prices
are per kWh, with or without VAT as `prices_include_vat` says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.core.errors import WattcastError

TARIFF_FILES = Path(__file__).resolve().parent / "tariff_files"
DEFAULT_TARIFF = "fr_tarif_bleu_2025-02"
DAYS_PER_YEAR = 365.25
SECONDS_PER_HOUR = 3600


class TariffError(WattcastError):
    """A tariff file or a household's tariff choice is not usable; the message says why."""


@dataclass(frozen=True)
class Band:
    name: str
    price_per_kwh: float
    hours: frozenset[int]  # local hours of day; empty: the hours no other band claims


@dataclass(frozen=True)
class Tariff:
    tariff_id: str
    option: str
    currency: str
    timezone: ZoneInfo
    standing_charge_per_day: float
    vat_multiplier: float  # 1 when prices include VAT
    bands: tuple[Band, ...]

    def band_of(self, epoch_hour: int) -> Band:
        """The band of the hour starting at `epoch_hour` (hours since the epoch, UTC)."""
        local = datetime.fromtimestamp(epoch_hour * SECONDS_PER_HOUR, UTC).astimezone(self.timezone)
        return next((b for b in self.bands if local.hour in b.hours), self._rest)

    @property
    def _rest(self) -> Band:
        return next(b for b in self.bands if not b.hours)

    def energy_cost(self, kwh_by_band: Mapping[str, float]) -> dict[str, float]:
        """Cost of each band's kWh, VAT included."""
        prices = {b.name: b.price_per_kwh for b in self.bands}
        unknown = set(kwh_by_band) - set(prices)
        if unknown:
            raise TariffError(
                f"tariff {self.tariff_id}/{self.option} has no band {', '.join(sorted(unknown))}"
            )
        return {band: kwh * prices[band] * self.vat_multiplier for band, kwh in kwh_by_band.items()}

    def standing_charge(self, days: float) -> float:
        return self.standing_charge_per_day * days * self.vat_multiplier

    def kwh_by_band(self, kwh_by_hour: Mapping[int, float]) -> dict[str, float]:
        """Hourly kWh (epoch hour -> kWh) summed by band; every band appears, 0 when unused."""
        totals = {b.name: 0.0 for b in self.bands}
        for hour, kwh in kwh_by_hour.items():
            totals[self.band_of(hour).name] += kwh
        return totals

    def band_shares(self, profile_kw: Mapping[int, float], first_hour: int, hours: int) -> dict[str, float]:
        """Each band's share of the energy over `hours` from `first_hour`, by a household's mean kW per
        UTC hour of day: how a projected total splits across bands."""
        weights = {h: max(profile_kw.get((first_hour + h) % 24, 0.0), 0.0) for h in range(hours)}
        total = sum(weights.values())
        if total <= 0:
            weights, total = dict.fromkeys(range(hours), 1.0), float(hours)
        energy = self.kwh_by_band({first_hour + h: w for h, w in weights.items()})
        return {band: kwh / total for band, kwh in energy.items()}


def load_tariff(tariff_id: str = DEFAULT_TARIFF, option: str = "base") -> Tariff:
    return parse_tariff(_document(tariff_id), option)


def tariff_ids() -> list[str]:
    return sorted(path.stem for path in TARIFF_FILES.glob("*.json"))


def tariff_catalogue() -> list[dict[str, Any]]:
    """Every tariff with its options' prices, for a settings form."""
    catalogue = []
    for tariff_id in tariff_ids():
        document = _document(tariff_id)
        options = [
            {
                "option": name,
                "standing_charge_per_year": option["standing_charge_per_year"],
                "bands": [{"name": b["name"], "price_per_kwh": b["price_per_kwh"]} for b in option["bands"]],
            }
            for name, option in document["options"].items()
        ]
        catalogue.append(
            {"id": tariff_id, "name": document["name"], "currency": document["currency"], "options": options}
        )
    return catalogue


@lru_cache(maxsize=32)
def _document(tariff_id: str) -> dict[str, Any]:
    if tariff_id not in tariff_ids():
        raise TariffError(f"unknown tariff {tariff_id!r}; known: {', '.join(tariff_ids())}")
    document: dict[str, Any] = json.loads((TARIFF_FILES / f"{tariff_id}.json").read_text())
    return document


def parse_tariff(document: Mapping[str, Any], option: str) -> Tariff:
    options = document.get("options") or {}
    if option not in options:
        raise TariffError(
            f"tariff {document.get('id')!r} has no option {option!r}; options: {', '.join(options)}"
        )
    chosen = options[option]
    bands = tuple(_band(raw, option) for raw in chosen.get("bands") or [])
    _check_bands(bands, option)
    try:
        zone = ZoneInfo(str(document.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TariffError(f"tariff time zone {document.get('timezone')!r} is unknown") from exc
    currency, vat = document.get("currency"), _number(document.get("vat_rate", 0.0), "vat_rate")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
        raise TariffError(f"currency must be an ISO 4217 code like EUR, got {currency!r}")
    return Tariff(
        tariff_id=str(document.get("id")),
        option=option,
        currency=currency,
        timezone=zone,
        standing_charge_per_day=_number(chosen.get("standing_charge_per_year"), "standing_charge_per_year")
        / DAYS_PER_YEAR,
        vat_multiplier=1.0 if document.get("prices_include_vat", True) else 1.0 + vat,
        bands=bands,
    )


def _band(raw: Mapping[str, Any], option: str) -> Band:
    hours: set[int] = set()
    for span in raw.get("hours") or []:
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(h, int) for h in span)):
            raise TariffError(
                f"option {option}: band hours are [start, end) pairs of whole hours, got {span!r}"
            )
        start, end = span
        if not 0 <= start < end <= 24:
            raise TariffError(f"option {option}: band hours [{start}, {end}) are not within 0..24")
        hours |= set(range(start, end))
    return Band(str(raw.get("name")), _number(raw.get("price_per_kwh"), "price_per_kwh"), frozenset(hours))


def _check_bands(bands: tuple[Band, ...], option: str) -> None:
    if sum(1 for b in bands if not b.hours) != 1:
        raise TariffError(f"option {option}: exactly one band must take the hours no other band claims")
    claimed: set[int] = set()
    for band in bands:
        if band.hours & claimed:
            raise TariffError(f"option {option}: band {band.name} claims hours another band claims")
        claimed |= band.hours


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TariffError(f"{field} must be a non-negative number, got {value!r}")
    return float(value)
