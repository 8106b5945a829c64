"""A household's month in money: costs by band, and the cost interval from the kWh samples."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from services.portal.bills import month_bill
from services.portal.tariffs import DAYS_PER_YEAR, TariffError, load_tariff

JANUARY = int(datetime(2010, 1, 1, tzinfo=UTC).timestamp()) // 3600


def two_weeks(kwh: float = 1.0) -> dict[int, float]:
    return {JANUARY + h: kwh for h in range(14 * 24)}


def test_a_base_tariff_bill_is_kwh_times_the_price_plus_the_months_standing_charge() -> None:
    tariff = load_tariff()
    samples = np.random.default_rng(0).normal(400, 40, size=300).clip(0)
    bill = month_bill(
        tariff,
        days_in_month=31,
        kwh_by_hour=two_weeks(),
        remaining_kwh_samples=samples.tolist(),
        remaining_first_hour=JANUARY + 14 * 24,
        remaining_hours=17 * 24,
        profile_kw={},
    )
    standing = 164.64 / DAYS_PER_YEAR * 31
    assert bill.kwh_to_date == 336.0 and bill.cost_to_date == pytest.approx(336 * 0.2016)
    assert bill.standing_charge == pytest.approx(standing, abs=1e-4)
    low, mid, high = np.quantile(samples, [0.1, 0.5, 0.9])
    assert (bill.projected_kwh.lower, bill.projected_kwh.median, bill.projected_kwh.upper) == pytest.approx(
        (336 + low, 336 + mid, 336 + high), abs=1e-3
    )
    for got, kwh in zip(
        (bill.projected_cost.lower, bill.projected_cost.median, bill.projected_cost.upper),
        (low, mid, high),
        strict=True,
    ):
        assert got == pytest.approx(336 * 0.2016 + standing + kwh * 0.2016, abs=1e-3)


def test_off_peak_hours_cost_less_and_the_profile_prices_the_rest() -> None:
    tariff = load_tariff(option="off_peak_peak")
    night = {JANUARY + h: (1.0 if (h % 24) in (21, 22, 23, 0, 1, 2, 3, 4) else 0.0) for h in range(14 * 24)}
    bill = month_bill(
        tariff,
        days_in_month=31,
        kwh_by_hour=night,
        remaining_kwh_samples=[100.0] * 50,
        remaining_first_hour=JANUARY + 14 * 24,
        remaining_hours=17 * 24,
        profile_kw={12: 1.0},  # the rest of the month is used at noon UTC: peak hours
    )
    assert bill.kwh_to_date_by_band == {
        "off_peak": 112.0,
        "peak": 0.0,
    }  # 21:00-05:00 UTC is 22:00-06:00 local
    assert bill.cost_to_date == pytest.approx(112 * 0.1696)
    expected = 112 * 0.1696 + bill.standing_charge + 100 * 0.2146
    assert bill.projected_cost.lower == bill.projected_cost.upper == pytest.approx(expected, abs=1e-3)


def test_bad_samples_are_refused() -> None:
    with pytest.raises(TariffError, match="non-negative"):
        month_bill(
            load_tariff(),
            days_in_month=31,
            kwh_by_hour={},
            remaining_kwh_samples=[1.0, -2.0],
            remaining_first_hour=JANUARY,
            remaining_hours=24,
            profile_kw={},
        )


def test_a_projection_without_samples_prices_its_interval_as_the_samples_would_be_priced() -> None:
    from services.portal.bills import Interval

    tariff = load_tariff(option="off_peak_peak")
    samples = np.random.default_rng(1).gamma(20, 20, size=300)
    low, mid, high = (float(q) for q in np.quantile(samples, [0.1, 0.5, 0.9]))
    common: dict[str, Any] = {
        "days_in_month": 31,
        "kwh_by_hour": two_weeks(),
        "remaining_first_hour": JANUARY + 14 * 24,
        "remaining_hours": 17 * 24,
        "profile_kw": {h: 0.5 + (h % 24) / 24 for h in range(24)},
    }
    from_samples = month_bill(tariff, remaining_kwh_samples=samples.tolist(), **common)
    from_interval = month_bill(tariff, remaining_kwh=Interval(mid, low, high), **common)
    assert from_interval == from_samples
    with pytest.raises(TariffError, match="samples or as an interval"):
        month_bill(tariff, **common)
