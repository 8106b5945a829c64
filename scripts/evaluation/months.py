"""The rest of the month, backtested: every test month from as-of days 8, 15 and 22, projected by the
served Prophet bundle, against three baselines on the identical days.

- climatology: the mean kWh of the same calendar days in the training years;
- climatology scaled by the month to date (measured / climatology of the measured days);
- the naive run-rate: the mean of the measured days times the remaining days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scripts.evaluation.served import ServedBundle
from scripts.training.prophet import AS_OF_DAY, projections


def month_cases(bundle: ServedBundle, daily: pd.Series, train_end: str) -> list[dict[str, Any]]:
    history = daily[daily.index < pd.Timestamp(train_end)]
    days = pd.DatetimeIndex(history.index)
    by_calendar_day = history.groupby([days.month, days.day]).mean()
    cases = projections(bundle.ask, daily, train_end)
    for case in cases:
        month_start = pd.Timestamp(case["month"] + "-01")
        as_of = month_start + pd.Timedelta(days=case["as_of_day"] - 1)
        end = month_start + pd.offsets.MonthEnd(0)
        rest = pd.date_range(as_of, end)
        measured = daily[month_start : as_of - pd.Timedelta(days=1)]
        climatology = sum(_calendar(by_calendar_day, day) for day in rest)
        modelled_to_date = sum(_calendar(by_calendar_day, day) for day in measured.index)
        scaled = climatology * float(measured.sum()) / modelled_to_date if modelled_to_date else climatology
        case["climatology_kwh"] = round(climatology, 2)
        case["climatology_scaled_kwh"] = round(scaled, 2)
        for name in ("climatology", "climatology_scaled"):
            case[f"{name}_ape_pct"] = round(
                abs(case[f"{name}_kwh"] - case["actual_kwh"]) / case["actual_kwh"] * 100, 2
            )
    return cases


def _calendar(by_calendar_day: pd.Series, day: pd.Timestamp) -> float:
    for key in ((day.month, day.day), (day.month, day.day - 1)):  # 29 February without a leap year
        if key in by_calendar_day.index:
            return float(by_calendar_day[key])
    return float(by_calendar_day.mean())


def month_scores(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """MAPE from day 15 on complete months, by method; the interval's coverage over complete cases."""
    complete = [c for c in cases if c["complete"]]
    from_15 = [c for c in complete if c["as_of_day"] == AS_OF_DAY]
    methods = ("model", "climatology", "climatology_scaled", "naive")
    return {
        "complete_months": len(from_15),
        "months": [c["month"] for c in from_15],
        "mape_pct_from_day15": {m: _mean([c[f"{m}_ape_pct"] for c in from_15]) for m in methods},
        "interval_cases": len(complete),
        "interval_coverage": _mean([float(c["inside_interval"]) for c in complete], digits=3),
        "interval_coverage_by_as_of_day": {
            day: _mean([float(c["inside_interval"]) for c in complete if c["as_of_day"] == day], digits=3)
            for day in sorted({c["as_of_day"] for c in complete})
        },
    }


def _mean(values: list[float], digits: int = 2) -> float | None:
    return round(float(np.mean(values)), digits) if values else None
