"""`wattcast train prophet`: one Prophet model per household on daily kWh, in parallel over the cores.

Households are the UCI house (`h000`) and households simulated from it (`h001`, ...). Each model is
fitted on the days before `--train-end` and evaluated on every later month: from days 8, 15 and 22,
given the month's measured days, through the bundle's own handler (the code that serves it), against
the naive run-rate (mean of the measured days x remaining days) on the identical days. The MAPE is
the one from day 15; the interval's coverage counts all three.

Growth is flat: on the UCI house a linear trend, extrapolated a year ahead, pulled the forecast low in
most months (rest-of-month MAPE from day 15: 8.1 % linear, 4.2 % flat on 2010; 17.6 % and 12.9 % on
2009 with the model fitted before it). The bundle also carries the household's mean hourly profile
(weekdays and weekends), which the components plot shows beside Prophet's daily-grain components.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import multiprocessing
import os
import time
from calendar import monthrange
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import as_file
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from model_bundles import handler_source
from scripts.data.errors import DataError
from scripts.data.simulate import apply_profile, household_profiles
from scripts.data.uci import hourly_series, load_uci
from scripts.training.package import package_prophet
from services.core import bundle_format as fmt
from services.core import features

logger = logging.getLogger(__name__)
AS_OF_DAY = 15  # the day the MAPE is measured from
AS_OF_DAYS = (8, 15, 22)  # the days the interval's coverage counts
MIN_HISTORY_DAYS = 14  # a stored household with fewer measured days before train_end gets no model


@dataclass(frozen=True)
class ProphetOptions:
    data: Path
    out: Path
    households: tuple[str, ...] = ("h000",)
    train_end: str = "2010-01-01"
    seed: int = 0
    workers: int = os.cpu_count() or 1
    uncertainty_samples: int = 300


def daily_kwh(frame: pd.DataFrame) -> pd.Series:
    """Daily kWh by the serving definition (services.core.features.daily_energy_kwh)."""
    return daily_kwh_of(hourly_series(frame))


def daily_kwh_of(series: features.HourlySeries) -> pd.Series:
    days = features.daily_energy_kwh(series)
    index = pd.DatetimeIndex([datetime.fromtimestamp(d * 86_400, UTC).replace(tzinfo=None) for d, _ in days])
    return pd.Series([kwh for _, kwh in days], index=index, name="kwh")


def fit(history: pd.Series, uncertainty_samples: int) -> Any:
    from prophet import Prophet

    model = Prophet(
        growth="flat",  # a household's level does not trend; a fitted trend extrapolates badly (above)
        yearly_seasonality="auto",  # on with two years of history, off for short ones
        weekly_seasonality=True,
        daily_seasonality=False,
        seasonality_mode="additive",
        uncertainty_samples=uncertainty_samples,
    )
    model.add_country_holidays(country_name="FR")
    model.fit(pd.DataFrame({"ds": history.index, "y": history.to_numpy()}))
    return model


def bundle_handler() -> ModuleType:
    """The Prophet bundle's inference.py, loaded as the forecaster loads it."""
    with as_file(handler_source(fmt.Flavour.PROPHET.value)) as path:
        spec = importlib.util.spec_from_file_location("wattcast_prophet_inference", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _days(measured: pd.Series) -> list[dict[str, Any]]:
    return [{"date": str(day)[:10], "kwh": float(kwh)} for day, kwh in measured.items()]


def hourly_profile(series: features.HourlySeries, before: str) -> dict[str, list[float | None]]:
    """Mean kW by UTC hour of day over the measured hours before `before`, weekdays and weekends."""
    end = int(pd.Timestamp(before, tz="UTC").timestamp()) // features.SECONDS_PER_HOUR
    hours = np.arange(series.start, min(series.last + 1, end))
    power = series.values[: len(hours), features.HOURLY_MEASURES.index(features.TARGET)]
    weekend = ((hours // 24 + 3) % 7) >= 5
    profile: dict[str, list[float | None]] = {}
    for name, days in (("weekday", ~weekend), ("weekend", weekend)):
        frame = pd.Series(power[days], index=hours[days] % 24)
        means = frame.groupby(level=0).mean().reindex(range(24))
        profile[name] = [None if np.isnan(v) else round(float(v), 4) for v in means]
    return profile


def handler_asker(model: Any, metadata: dict[str, Any] | None = None) -> Any:
    """request -> answer through the bundle's handler with `model` loaded (what the forecaster runs)."""
    handler = bundle_handler().handler

    def ask(request: dict[str, Any]) -> dict[str, Any]:
        context = SimpleNamespace(model=model, metadata=metadata or {})
        return dict(json.loads(handler(io.BytesIO(json.dumps(request).encode()), context)[0]))

    return ask


def rest_of_month(
    model: Any, daily: pd.Series, start: str, metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each month from `start` that has ended, from each of AS_OF_DAYS: the model and the run-rate."""
    return projections(handler_asker(model, metadata), daily, start)


def projections(ask: Any, daily: pd.Series, start: str) -> list[dict[str, Any]]:
    """`ask` (request -> answer) for every month from `start` and as-of day in AS_OF_DAYS.

    `complete` marks a case whose every remaining day is measured: only then is the truth the month's
    real remaining total.
    """
    results = []
    for month_start in pd.date_range(start, daily.index.max(), freq="MS"):
        end = month_start + pd.offsets.MonthEnd(0)
        if end > daily.index.max():
            break
        for as_of_day in AS_OF_DAYS:
            row = _projection(ask, daily, month_start, end, as_of_day)
            if row is not None:
                results.append(row)
    return results


def _projection(
    ask: Any, daily: pd.Series, month_start: pd.Timestamp, end: pd.Timestamp, as_of_day: int
) -> dict[str, Any] | None:
    as_of = month_start + pd.Timedelta(days=as_of_day - 1)
    measured = daily[month_start : as_of - pd.Timedelta(days=1)]
    truth = daily[as_of:end]
    if measured.empty or truth.empty:
        return None
    answer = ask(
        {
            "household_id": "eval",
            "as_of": as_of.date().isoformat(),
            "days": _days(measured),
        }
    )
    forecast = {day["date"]: day["kwh"] for day in answer["forecast"]}
    predicted = sum(forecast[d.date().isoformat()] for d in truth.index)
    naive = float(measured.mean()) * len(truth)
    actual = float(truth.sum())
    measured_total = float(measured.sum())
    remaining = monthrange(month_start.year, month_start.month)[1] - as_of_day + 1
    month_actual = measured_total + actual
    return {
        "month": month_start.strftime("%Y-%m"),
        "as_of_day": as_of_day,
        "actual_kwh": round(actual, 2),
        "model_kwh": round(predicted, 2),
        "naive_kwh": round(naive, 2),
        "model_ape_pct": round(abs(predicted - actual) / actual * 100, 2),
        "naive_ape_pct": round(abs(naive - actual) / actual * 100, 2),
        "month_actual_kwh": round(month_actual, 2),
        "projected_month_kwh": answer["projected_month_kwh"],
        "projected_month_kwh_lower": answer["projected_month_kwh_lower"],
        "projected_month_kwh_upper": answer["projected_month_kwh_upper"],
        "inside_interval": answer["projected_month_kwh_lower"]
        <= month_actual
        <= answer["projected_month_kwh_upper"],
        "complete": len(truth) == remaining,
        "level_adjustment": answer["level_adjustment"],
    }


def summarise(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """MAPE from AS_OF_DAY (all months, and complete ones), interval coverage over complete cases."""
    months = [c for c in cases if c["as_of_day"] == AS_OF_DAY]
    complete = [m for m in months if m["complete"]]
    covered = [c for c in cases if c["complete"]]

    def mape(rows: list[dict[str, Any]], key: str) -> float | None:
        return round(float(np.mean([r[key] for r in rows])), 2) if rows else None

    return {
        "months": len(months),
        "rest_of_month_mape_pct": mape(months, "model_ape_pct"),
        "naive_mape_pct": mape(months, "naive_ape_pct"),
        "complete_months": len(complete),
        "rest_of_month_mape_pct_complete_months": mape(complete, "model_ape_pct"),
        "naive_mape_pct_complete_months": mape(complete, "naive_ape_pct"),
        "interval_cases": len(covered),
        "interval_coverage": round(float(np.mean([c["inside_interval"] for c in covered])), 3)
        if covered
        else None,
        "by_month": cases,
    }


def train_household(
    household_id: str, options: ProphetOptions, series: features.HourlySeries | None = None
) -> dict[str, Any]:
    """Fit, evaluate and package one household (runs in a worker process): on its stored `series`
    when given, else on the UCI house as simulated for it."""
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    started = time.monotonic()
    series = series if series is not None else simulated_series(household_id, options)
    daily = daily_kwh_of(series)
    history = daily[daily.index < pd.Timestamp(options.train_end)]
    model = fit(history, options.uncertainty_samples)
    metrics = summarise(rest_of_month(model, daily, options.train_end))
    folder = options.out / household_id
    folder.mkdir(parents=True, exist_ok=True)
    metadata = fmt.prophet_metadata(
        version=time.strftime("%Y%m%d%H%M%S", time.gmtime()),
        household_id=household_id,
        data_range=[str(history.index.min().date()), str(history.index.max().date())],
        metrics={k: v for k, v in metrics.items() if k != "by_month"},
        train_end=options.train_end,
        mean_daily_kwh=round(float(history.mean()), 3),
        hourly_profile_kw=hourly_profile(series, options.train_end),
    )
    package_prophet(model, folder / "model.tar.gz", metadata)
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if household_id == options.households[0]:
        plot_month(model, metadata, daily, folder / "components.png")
    return {"household_id": household_id, **{k: v for k, v in metrics.items() if k != "by_month"}}


def simulated_series(household_id: str, options: ProphetOptions) -> features.HourlySeries:
    frame = load_uci(options.data)
    profiles = {p.household_id: p for p in household_profiles(_index(household_id) + 1, seed=options.seed)}
    return hourly_series(apply_profile(frame, profiles[household_id]))


def _index(household_id: str) -> int:
    digits = household_id.lstrip("h")
    if not digits.isdigit():
        raise ValueError(f"household ids are h000, h001, ...; got {household_id!r}")
    return int(digits)


def plot_month(model: Any, metadata: dict[str, Any], daily: pd.Series, path: Path) -> None:
    """The bundle's own picture (its image/png answer) of the last month, as of its day 15."""
    as_of = (daily.index.max() - pd.Timedelta(days=AS_OF_DAY - 1)).replace(day=AS_OF_DAY)
    measured = daily[as_of.replace(day=1) : as_of - pd.Timedelta(days=1)]
    request = {
        "household_id": metadata["household_id"],
        "as_of": as_of.date().isoformat(),
        "days": _days(measured),
    }
    context = SimpleNamespace(model=model, metadata=metadata, accept_header="image/png")
    image, _ = bundle_handler().handler(io.BytesIO(json.dumps(request).encode()), context)
    path.write_bytes(image)


def train_prophet(
    options: ProphetOptions,
    progress: bool = True,
    fleet: Mapping[str, features.HourlySeries] | None = None,
) -> dict[str, Any]:
    """One model per household of `options.households` (simulated from the UCI house), or of `fleet`
    (household -> its stored hourly series) when given."""
    if fleet is not None:
        options = replace(options, households=tuple(sorted(fleet)))
    series = fleet or {}
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    bar = _progress(len(options.households), progress)
    workers = max(1, min(options.workers, len(options.households)))
    # spawn, not fork: a fork of a process whose runtimes (onnxruntime, OpenMP) run threads can die
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(train_household, h, options, series.get(h)) for h in options.households]
        for future in as_completed(futures):
            results.append(future.result())
            bar.update(1)
    bar.close()
    minutes = (time.monotonic() - started) / 60
    summary = {
        "households": len(results),
        "minutes": round(minutes, 2),
        "households_per_minute": round(len(results) / minutes, 1),
        "workers": options.workers,
        "rest_of_month_mape_pct": _mean_of(results, "rest_of_month_mape_pct"),
        "naive_mape_pct": _mean_of(results, "naive_mape_pct"),
        "per_household": sorted(results, key=lambda r: r["household_id"]),
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "metrics.json").write_text(json.dumps(summary, indent=2))
    return summary


def _mean_of(results: list[dict[str, Any]], key: str) -> float | None:
    """The households' mean, over those with a whole month after train_end (None if none has)."""
    values = [r[key] for r in results if r[key] is not None]
    return round(float(np.mean(values)), 2) if values else None


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="household", desc="prophet", disable=not enabled)


def train_default(
    options: ProphetOptions, household_id: str = "h000", series: features.HourlySeries | None = None
) -> Path:
    """The fallback model for households without their own: one household's model (the UCI house, or
    the stored `series` of `household_id`), with the month-to-date level adjustment on, so it
    forecasts any household on that household's scale."""
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    series = series if series is not None else hourly_series(load_uci(options.data))
    daily = daily_kwh_of(series)
    history = daily[daily.index < pd.Timestamp(options.train_end)]
    model = fit(history, options.uncertainty_samples)
    metadata = fmt.prophet_metadata(
        version=time.strftime("%Y%m%d%H%M%S", time.gmtime()),
        household_id="default",
        data_range=[str(history.index.min().date()), str(history.index.max().date())],
        trained_on_household=household_id,
        level_adjustment="month_to_date",
        train_end=options.train_end,
        hourly_profile_kw=hourly_profile(series, options.train_end),
    )
    return package_prophet(model, options.out / "default" / "model.tar.gz", metadata)


def history_days(fleet: Mapping[str, features.HourlySeries], train_end: str) -> dict[str, int]:
    """Each household's measured days before `train_end`."""
    end = pd.Timestamp(train_end)
    return {h: int((daily_kwh_of(s).index < end).sum()) for h, s in fleet.items()}


def trainable(fleet: Mapping[str, features.HourlySeries], train_end: str) -> dict[str, features.HourlySeries]:
    """The households with MIN_HISTORY_DAYS measured days before `train_end`; DataError if none."""
    days = history_days(fleet, train_end)
    kept = {h: s for h, s in fleet.items() if days[h] >= MIN_HISTORY_DAYS}
    if not kept:
        raise DataError(f"no household has {MIN_HISTORY_DAYS} measured days before {train_end}")
    return kept


def default_from_fleet(options: ProphetOptions, fleet: Mapping[str, features.HourlySeries]) -> Path:
    """The default model trained on the stored household with the most measured days before
    `train_end` (the first such id on a tie)."""
    days = history_days(trainable(fleet, options.train_end), options.train_end)
    household = max(sorted(days), key=lambda h: days[h])
    return train_default(options, household, fleet[household])
