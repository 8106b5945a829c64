"""A household's settings: its monthly budget, its tariff and its alert knobs. PUT replaces them
whole; what a body leaves out takes the default. `parse` is the one place a body is checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from services.portal.errors import BadRequestError
from services.portal.tariffs import DEFAULT_TARIFF, Tariff, TariffError, load_tariff

KWH = "kWh"
BOUNDS = ("p90", "p50")  # which forecast value an hour's use is compared with
DEFAULT_THRESHOLDS = (0.8, 1.0)
FIELDS = {"budget", "budget_thresholds", "tariff", "unusual_use", "silent_meter_hours"}


@dataclass(frozen=True)
class Budget:
    amount: float
    unit: str  # "kWh" or the tariff's currency


@dataclass(frozen=True)
class TariffChoice:
    id: str = DEFAULT_TARIFF
    option: str = "base"


@dataclass(frozen=True)
class UnusualUse:
    hours: int = 3  # K consecutive hours above the bound raise an alert
    bound: str = "p90"
    margin_kw: float = 0.0  # added to the bound


@dataclass(frozen=True)
class HouseholdSettings:
    budget: Budget | None = None
    budget_thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS  # fractions of the budget
    tariff: TariffChoice = field(default_factory=TariffChoice)
    unusual_use: UnusualUse = field(default_factory=UnusualUse)
    silent_meter_hours: int = 6

    def load_tariff(self) -> Tariff:
        return load_tariff(self.tariff.id, self.tariff.option)

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["budget_thresholds"] = list(self.budget_thresholds)
        return body


def parse(body: Any) -> HouseholdSettings:
    if not isinstance(body, Mapping):
        raise BadRequestError("settings must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise BadRequestError(f"unknown settings: {', '.join(sorted(map(str, unknown)))[:200]}")
    tariff = _tariff(body.get("tariff"))
    try:
        currency = load_tariff(tariff.id, tariff.option).currency
    except TariffError as exc:
        raise BadRequestError(str(exc)) from exc
    return HouseholdSettings(
        budget=_budget(body.get("budget"), currency),
        budget_thresholds=_thresholds(body.get("budget_thresholds", list(DEFAULT_THRESHOLDS))),
        tariff=tariff,
        unusual_use=_unusual(body.get("unusual_use")),
        silent_meter_hours=_integer(body.get("silent_meter_hours", 6), "silent_meter_hours", 1, 168),
    )


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadRequestError(f"{name} must be a JSON object")
    return value


def _budget(value: Any, currency: str) -> Budget | None:
    if value is None:
        return None
    raw = _object(value, "budget")
    _only(raw, {"amount", "unit"}, "budget")
    unit = raw.get("unit")
    if unit not in (KWH, currency):
        raise BadRequestError(f"budget.unit must be {KWH!r} or the tariff's currency {currency!r}")
    return Budget(_number(raw.get("amount"), "budget.amount", 0.01, 1e7), unit)


def _thresholds(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 5:
        raise BadRequestError("budget_thresholds must be a list of 1 to 5 fractions of the budget")
    fractions = sorted({_number(v, "budget_thresholds[]", 0.1, 2.0) for v in value})
    return tuple(fractions)


def _tariff(value: Any) -> TariffChoice:
    if value is None:
        return TariffChoice()
    raw = _object(value, "tariff")
    _only(raw, {"id", "option"}, "tariff")
    tariff_id, option = raw.get("id", DEFAULT_TARIFF), raw.get("option", "base")
    if not isinstance(tariff_id, str) or not isinstance(option, str):
        raise BadRequestError("tariff.id and tariff.option must be strings")
    return TariffChoice(tariff_id[:100], option[:100])


def _unusual(value: Any) -> UnusualUse:
    if value is None:
        return UnusualUse()
    raw = _object(value, "unusual_use")
    _only(raw, {"hours", "bound", "margin_kw"}, "unusual_use")
    bound = raw.get("bound", "p90")
    if bound not in BOUNDS:
        raise BadRequestError(f"unusual_use.bound must be one of {', '.join(BOUNDS)}")
    return UnusualUse(
        hours=_integer(raw.get("hours", 3), "unusual_use.hours", 1, 24),
        bound=bound,
        margin_kw=_number(raw.get("margin_kw", 0.0), "unusual_use.margin_kw", 0.0, 50.0),
    )


def _only(raw: Mapping[str, Any], allowed: set[str], name: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise BadRequestError(f"{name} has unknown fields: {', '.join(sorted(map(str, unknown)))[:200]}")


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequestError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _integer(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequestError(f"{name} must be a whole number from {low} to {high}")
    return value


def from_stored(document: Mapping[str, Any] | None) -> HouseholdSettings:
    """Stored settings were checked when written; a document from an older version that no longer
    parses falls back to the defaults rather than failing every read."""
    if document is None:
        return HouseholdSettings()
    try:
        return parse(document)
    except BadRequestError:
        return HouseholdSettings()
