"""A household's month in money: the cost so far, and the projected month's cost with the interval
the kWh projection has.

The remaining days' energy comes as samples (the projection's joint predictive samples of the
remaining total); the household's hourly profile splits each across the tariff's bands, so the cost
interval comes from the same samples as the kWh interval, not from bounds added together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from services.portal.tariffs import Tariff, TariffError


@dataclass(frozen=True)
class Interval:
    median: float
    lower: float
    upper: float


@dataclass(frozen=True)
class MonthBill:
    currency: str
    kwh_to_date: float
    cost_to_date: float  # energy so far, by the bands of the hours it was used, VAT included
    kwh_to_date_by_band: dict[str, float]
    standing_charge: float  # the whole month's
    projected_kwh: Interval
    projected_cost: Interval  # energy so far and projected, plus the month's standing charge
    projected_kwh_by_band: dict[str, float]  # so far, plus the median remaining split by the profile


def month_bill(
    tariff: Tariff,
    *,
    days_in_month: int,
    kwh_by_hour: Mapping[int, float],
    remaining_first_hour: int,
    remaining_hours: int,
    profile_kw: Mapping[int, float],
    remaining_kwh_samples: Sequence[float] | None = None,
    remaining_kwh: Interval | None = None,
    interval_width: float = 0.8,
) -> MonthBill:
    """`kwh_by_hour`: measured kWh of the month's hours so far (epoch hour -> kWh); the rest of the
    month as `remaining_kwh_samples` (its total's samples) or, from a projection stored without
    them, as `remaining_kwh` (their interval). The cost is increasing in the remaining kWh, so the
    cost interval is the cost of the kWh interval's ends: both come from the same draws."""
    if not 0 < interval_width < 1:
        raise TariffError(f"interval_width must be between 0 and 1, got {interval_width}")
    if remaining_kwh_samples is not None:
        remaining_kwh = _interval(_checked(remaining_kwh_samples), interval_width)
    if remaining_kwh is None:
        raise TariffError("the rest of the month is needed, as samples or as an interval")
    by_band = tariff.kwh_by_band(kwh_by_hour)
    cost_to_date = sum(tariff.energy_cost(by_band).values())
    shares = tariff.band_shares(profile_kw, remaining_first_hour, remaining_hours)
    price = sum(tariff.energy_cost(shares).values())  # per kWh of the rest, by the profile's mix
    standing = tariff.standing_charge(days_in_month)
    kwh_to_date = float(sum(kwh_by_hour.values()))
    return MonthBill(
        currency=tariff.currency,
        kwh_to_date=round(kwh_to_date, 4),
        cost_to_date=round(cost_to_date, 4),
        kwh_to_date_by_band={band: round(kwh, 4) for band, kwh in by_band.items()},
        standing_charge=round(standing, 4),
        projected_kwh=_shifted(remaining_kwh, kwh_to_date, 1.0),
        projected_cost=_shifted(remaining_kwh, cost_to_date + standing, price),
        projected_kwh_by_band={
            band: round(by_band[band] + remaining_kwh.median * share, 4) for band, share in shares.items()
        },
    )


def _checked(samples: Sequence[float]) -> np.ndarray:
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim != 1 or not len(values) or not np.isfinite(values).all() or (values < 0).any():
        raise TariffError("remaining_kwh_samples must be a non-empty list of non-negative numbers")
    return values


def _shifted(remaining: Interval, offset: float, scale: float) -> Interval:
    return Interval(
        round(offset + scale * remaining.median, 4),
        round(offset + scale * remaining.lower, 4),
        round(offset + scale * remaining.upper, 4),
    )


def _interval(values: np.ndarray, width: float) -> Interval:
    low, mid, high = np.quantile(values, [(1 - width) / 2, 0.5, (1 + width) / 2])
    return Interval(float(mid), float(low), float(high))
