"""The price file (prices.toml): public list prices, each with its unit, source and when it was read."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.cost.errors import CostInputError

DEFAULT_PRICES = Path(__file__).with_name("prices.toml")
PRICE_FIELDS = ("usd", "per", "unit", "source", "read")


@dataclass(frozen=True)
class Price:
    name: str
    usd: float  # for `per` units
    per: float
    unit: str
    source: str
    read: str

    @property
    def each(self) -> float:
        """USD for one unit."""
        return self.usd / self.per


@dataclass(frozen=True)
class PriceBook:
    as_of: dt.date
    region: str
    prices: dict[str, Price]

    def each(self, name: str) -> float:
        """USD for one unit of the named price."""
        return self.get(name).each

    def get(self, name: str) -> Price:
        try:
            return self.prices[name]
        except KeyError:
            raise CostInputError(f"the price file has no price {name!r}") from None


def parse_prices(document: dict[str, Any], origin: str = "prices") -> PriceBook:
    as_of = document.get("as_of")
    if not isinstance(as_of, dt.date):
        raise CostInputError(f"{origin}: as_of must be a date (as_of = 2026-12-02), got {as_of!r}")
    region = document.get("region")
    if not isinstance(region, str) or not region:
        raise CostInputError(f"{origin}: region must be a region name")
    table = document.get("prices")
    if not isinstance(table, dict) or not table:
        raise CostInputError(f"{origin}: no [prices.<name>] tables")
    return PriceBook(as_of, region, {name: _price(name, entry, origin) for name, entry in table.items()})


def _price(name: str, entry: Any, origin: str) -> Price:
    if not isinstance(entry, dict):
        raise CostInputError(f"{origin}: prices.{name} must be a table")
    missing = [key for key in PRICE_FIELDS if key not in entry]
    if missing:
        raise CostInputError(f"{origin}: prices.{name} lacks {', '.join(missing)}")
    usd, per = entry["usd"], entry["per"]
    if not isinstance(usd, int | float) or usd < 0:
        raise CostInputError(f"{origin}: prices.{name}.usd must be a number >= 0, got {usd!r}")
    if not isinstance(per, int | float) or per <= 0:
        raise CostInputError(f"{origin}: prices.{name}.per must be a number > 0, got {per!r}")
    texts = {key: entry[key] for key in ("unit", "source", "read")}
    for key, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise CostInputError(f"{origin}: prices.{name}.{key} must be a non-empty string")
    return Price(name, float(usd), float(per), texts["unit"], texts["source"], texts["read"])


def load_prices(path: Path = DEFAULT_PRICES) -> PriceBook:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostInputError(f"no price file at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CostInputError(f"{path} is not valid TOML: {exc}") from exc
    return parse_prices(document, str(path))
