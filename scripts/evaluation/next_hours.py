"""The next hours, backtested: every origin from `train_end` on, forecast by the served LSTM bundle,
scored on every measured hour against persistence and the same hour yesterday.

A forecast from origin o for lead k targets hour o + k; the request carries the bundle's lookback of
hours up to o (null where not measured), as preprocess sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scripts.evaluation.served import ServedBundle
from services.core import features

Floats = npt.NDArray[np.float64]
BATCH = 250
QUANTILES = ("p10", "p50", "p90")


@dataclass(frozen=True)
class Backtest:
    """(origins, horizon) arrays: each origin's forecasts and the actual kW of the hours they target."""

    origins: npt.NDArray[np.int64]
    actual: Floats
    point: Floats
    quantiles: dict[str, Floats]
    persistence: Floats
    same_hour_yesterday: Floats


def backtest(bundle: ServedBundle, series: features.HourlySeries, first_hour: int) -> Backtest:
    horizon, lookback = int(bundle.metadata["horizon"]), int(bundle.metadata["lookback"])
    power = series.values[:, features.HOURLY_MEASURES.index(features.TARGET)]
    origins = np.arange(max(first_hour - 1, series.start + lookback - 1), series.last, dtype=np.int64)
    leads = np.arange(1, horizon + 1)
    targets = origins[:, None] + leads[None, :] - series.start
    in_range = targets < len(power)
    actual = np.where(in_range, power[np.minimum(targets, len(power) - 1)], np.nan)
    point = np.full(actual.shape, np.nan)
    quantiles = {name: np.full(actual.shape, np.nan) for name in QUANTILES}
    for rows, request in _requests(series, origins, lookback):
        answers = bundle.ask(request)["predictions"]
        for row, answer in zip(rows, answers, strict=True):
            if "forecast" not in answer:
                continue  # per-instance error: too little measured history at this origin
            point[row] = [hour[features.TARGET] for hour in answer["forecast"]]
            for name in QUANTILES:
                if name in answer["forecast"][0]:
                    quantiles[name][row] = [hour[name] for hour in answer["forecast"]]
    last = power[origins - series.start]
    yesterday = power[np.clip(targets - 24, 0, len(power) - 1)]
    return Backtest(
        origins,
        actual,
        point,
        {k: v for k, v in quantiles.items() if not np.isnan(v).all()},
        np.repeat(last[:, None], horizon, axis=1),
        yesterday,
    )


def _requests(
    series: features.HourlySeries, origins: npt.NDArray[np.int64], lookback: int
) -> Iterator[tuple[list[int], dict[str, Any]]]:
    stamps = features.hour_timestamps(series.start, len(series.values))
    for first in range(0, len(origins), BATCH):
        rows = list(range(first, min(first + BATCH, len(origins))))
        instances = []
        for row in rows:
            end = int(origins[row]) - series.start + 1
            hours = [
                {"ts": stamps[i], **_measures(series.values[i])} for i in range(max(end - lookback, 0), end)
            ]
            instances.append({"household_id": "evaluate", "hours": hours})
        yield rows, {"instances": instances, "errors": "per_instance"}


def _measures(row: Floats) -> dict[str, float | None]:
    return {
        name: None if np.isnan(v) else float(v) for name, v in zip(features.HOURLY_MEASURES, row, strict=True)
    }


def scores(result: Backtest) -> dict[str, Any]:
    """RMSE and MAE by lead, the same by month and by 6-hour band at leads 1 and 24, and the band."""
    methods = {
        "bundle": result.point,
        "persistence": result.persistence,
        "same_hour_yesterday": result.same_hour_yesterday,
    }
    horizon = result.actual.shape[1]
    summary: dict[str, Any] = {
        "origins": len(result.origins),
        "scored_hours_lead1": int(_usable(result.point[:, 0], result.actual[:, 0]).sum()),
        "by_lead": {
            name: {
                "rmse_kw": [_rmse(f[:, k], result.actual[:, k]) for k in range(horizon)],
                "mae_kw": [_mae(f[:, k], result.actual[:, k]) for k in range(horizon)],
            }
            for name, f in methods.items()
        },
    }
    months = _months(result.origins)
    bands = ((result.origins + 1) % 24) // 6
    for lead in sorted({0, horizon - 1}):
        summary[f"lead{lead + 1}_by_month"] = {
            month: {
                name: _rmse(f[months == month, lead], result.actual[months == month, lead])
                for name, f in methods.items()
            }
            for month in sorted(set(months))
        }
        summary[f"lead{lead + 1}_by_6h_band"] = {
            f"{band * 6:02d}-{band * 6 + 6:02d}h": {
                name: _rmse(f[bands == band, lead], result.actual[bands == band, lead])
                for name, f in methods.items()
            }
            for band in range(4)
        }
    if "p10" in result.quantiles and "p90" in result.quantiles:
        low, high = result.quantiles["p10"], result.quantiles["p90"]
        summary["band_p10_p90_coverage_by_lead"] = [
            _share_inside(low[:, k], high[:, k], result.actual[:, k]) for k in range(horizon)
        ]
        summary["pinball_by_quantile_lead1"] = {
            name: _pinball(values[:, 0], result.actual[:, 0], int(name[1:]) / 100)
            for name, values in result.quantiles.items()
        }
    return summary


def _months(origins: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    return np.datetime_as_string((origins + 1).astype("datetime64[h]"), unit="M")


def _usable(forecast: Floats, actual: Floats) -> npt.NDArray[np.bool_]:
    return ~np.isnan(forecast) & ~np.isnan(actual)


def _rmse(forecast: Floats, actual: Floats) -> float | None:
    usable = _usable(forecast, actual)
    return (
        round(float(np.sqrt(np.mean((forecast[usable] - actual[usable]) ** 2))), 4) if usable.any() else None
    )


def _mae(forecast: Floats, actual: Floats) -> float | None:
    usable = _usable(forecast, actual)
    return round(float(np.mean(np.abs(forecast[usable] - actual[usable]))), 4) if usable.any() else None


def _share_inside(low: Floats, high: Floats, actual: Floats) -> float | None:
    usable = _usable(low, actual)
    inside = (actual[usable] >= low[usable]) & (actual[usable] <= high[usable])
    return round(float(inside.mean()), 4) if usable.any() else None


def _pinball(forecast: Floats, actual: Floats, quantile: float) -> float | None:
    usable = _usable(forecast, actual)
    error = actual[usable] - forecast[usable]
    return (
        round(float(np.mean(np.maximum(quantile * error, (quantile - 1) * error))), 4)
        if usable.any()
        else None
    )
