"""`wattcast evaluate`'s arithmetic: forecasts land on the hours and days they target, and baselines
and scores are what their definitions say."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from scripts.evaluation.months import month_cases, month_scores
from scripts.evaluation.next_hours import backtest, scores
from services.core import features

START = features.epoch_hour("2009-12-20T00:00:00Z")


class PersistenceBundle:
    """Answers every lead with the request's last hour: the backtest must equal persistence."""

    metadata: ClassVar[dict[str, int]] = {"horizon": 3, "lookback": 4}

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        predictions: list[dict[str, Any]] = []
        for instance in request["instances"]:
            last = instance["hours"][-1][features.TARGET]
            if last is None:
                predictions.append({"household_id": "x", "error": "no history"})
                continue
            forecast = [{"ts": "t", features.TARGET: last, "p10": last - 1, "p50": last, "p90": last + 1}] * 3
            predictions.append({"household_id": "x", "forecast": forecast})
        return {"predictions": predictions}


def _series(hours: int = 24 * 20) -> features.HourlySeries:
    rng = np.random.default_rng(0)
    values = rng.uniform(0.2, 3.0, size=(hours, len(features.HOURLY_MEASURES)))
    values[100:103, 0] = np.nan
    return features.HourlySeries(START, values)


def test_the_backtest_aligns_each_lead_with_the_hour_it_targets() -> None:
    series = _series()
    first = features.epoch_hour("2010-01-01T00:00:00Z")
    result = backtest(PersistenceBundle(), series, first)  # type: ignore[arg-type]
    assert result.origins[0] == first - 1 and result.origins[-1] == series.last - 1
    np.testing.assert_array_equal(result.point, result.persistence)
    power = series.values[:, 0]
    row = 5
    origin = int(result.origins[row]) - START
    np.testing.assert_array_equal(result.actual[row], power[origin + 1 : origin + 4])
    np.testing.assert_array_equal(result.same_hour_yesterday[row], power[origin - 23 : origin - 20])
    assert np.isnan(result.actual[-1, 1:]).all()  # the last origin's later leads are past the data
    summary = scores(result)
    assert summary["by_lead"]["bundle"]["rmse_kw"] == summary["by_lead"]["persistence"]["rmse_kw"]
    assert summary["band_p10_p90_coverage_by_lead"][0] == pytest.approx(
        np.mean(np.abs(result.actual[:, 0] - result.point[:, 0])[~np.isnan(result.actual[:, 0])] <= 1),
        abs=1e-4,
    )


def test_scores_are_the_rmse_and_mae_of_measured_hours() -> None:
    series = _series()
    result = backtest(PersistenceBundle(), series, features.epoch_hour("2010-01-01T00:00:00Z"))  # type: ignore[arg-type]
    usable = ~np.isnan(result.actual[:, 0]) & ~np.isnan(result.same_hour_yesterday[:, 0])
    error = result.same_hour_yesterday[usable, 0] - result.actual[usable, 0]
    by_lead = scores(result)["by_lead"]["same_hour_yesterday"]
    assert by_lead["rmse_kw"][0] == round(float(np.sqrt(np.mean(error**2))), 4)
    assert by_lead["mae_kw"][0] == round(float(np.mean(np.abs(error))), 4)


class FlatProphet:
    """Projects 10 kWh a day with a +-20 % interval on the month's total."""

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        as_of = pd.Timestamp(request["as_of"])
        rest = pd.date_range(as_of, as_of + pd.offsets.MonthEnd(0))
        to_date = sum(day["kwh"] for day in request["days"])
        total = to_date + 10.0 * len(rest)
        return {
            "forecast": [{"date": d.date().isoformat(), "kwh": 10.0} for d in rest],
            "projected_month_kwh": total,
            "projected_month_kwh_lower": total * 0.8,
            "projected_month_kwh_upper": total * 1.2,
            "level_adjustment": 1.0,
        }


def test_month_cases_score_the_model_and_the_climatology_on_the_same_days() -> None:
    days = pd.date_range("2008-01-01", "2010-02-28")
    kwh = pd.Series(np.where(days.year < 2010, 8.0, 12.0), index=days)  # the test year uses 50 % more
    cases = month_cases(FlatProphet(), kwh, "2010-01-01")  # type: ignore[arg-type]
    assert [(c["month"], c["as_of_day"]) for c in cases] == [
        (m, d) for m in ("2010-01", "2010-02") for d in (8, 15, 22)
    ]
    january15 = next(c for c in cases if c["month"] == "2010-01" and c["as_of_day"] == 15)
    assert january15["actual_kwh"] == 12.0 * 17 and january15["model_kwh"] == 10.0 * 17
    assert january15["climatology_kwh"] == 8.0 * 17
    assert january15["climatology_scaled_kwh"] == pytest.approx(12.0 * 17)
    assert january15["model_ape_pct"] == round(2 / 12 * 100, 2)
    summary = month_scores(cases)
    assert summary["complete_months"] == 2
    assert summary["mape_pct_from_day15"]["climatology"] == round(4 / 12 * 100, 2)
    assert summary["mape_pct_from_day15"]["naive"] == 0.0
    assert summary["interval_coverage"] == 1.0 and summary["interval_cases"] == 6
