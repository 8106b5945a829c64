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

`train_one` (one household's series -> its bundle bytes and metrics, writing nothing) is what every
engine runs: the process pool here (`train_prophet`) and Spark (`scripts.training.engines.spark`).
Where a household's time went on two years of daily kWh (idle core): the fit 0.25 s (of which
cmdstanpy's data file took 0.27 s of 0.45 before `_write_stan_json_in_one_go`), the evaluation's
~30 handler calls 3.1 s before `evaluate_months` cached Prophet's seasonality features (0.8 s after),
the daily kWh 0.17 s before `daily_energy_kwh` sliced by day; the UCI file's read (4.6 s) and the
simulation (1.5 s) were per household too, and are now once per worker, or once for all in the Parquet
export. `--evaluation none` skips the evaluation for fleet training.
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
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
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
from scripts.data.parquet_fleet import simulated_series
from scripts.data.uci import hourly_series, load_uci
from scripts.training.engines.output import HouseholdModel, without_cases
from scripts.training.package import prophet_bundle
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
    evaluate: bool = True  # every later month through the handler (off: fleet training, no metrics)
    models_prefix: str | None = None  # where the engines write (a folder or s3://bucket/prefix); default out
    version: str | None = None  # the bundles' version (default: the run's start, UTC)

    @property
    def prefix(self) -> str:
        return self.models_prefix or str(self.out)


def daily_kwh(frame: pd.DataFrame) -> pd.Series:
    """Daily kWh by the serving definition (services.core.features.daily_energy_kwh)."""
    return daily_kwh_of(hourly_series(frame))


def daily_kwh_of(series: features.HourlySeries) -> pd.Series:
    days = daily_energy_kwh(series)
    index = pd.DatetimeIndex([datetime.fromtimestamp(d * 86_400, UTC).replace(tzinfo=None) for d, _ in days])
    return pd.Series([kwh for _, kwh in days], index=index, name="kwh")


def daily_energy_kwh(series: features.HourlySeries) -> list[tuple[int, float]]:
    """features.daily_energy_kwh, the same figures, in a slice per day: the serving function masks
    the whole series once per day (0.17 s of a household's ~0.4 s without evaluation on 4 years)."""
    power = series.values[:, features.HOURLY_MEASURES.index(features.TARGET)]
    days = np.arange(series.start, series.last + 1) // 24
    unique, first = np.unique(days, return_index=True)
    bounds = [*first.tolist(), len(days)]
    totals = []
    for index, day in enumerate(unique):
        hours = power[bounds[index] : bounds[index + 1]]
        measured = hours[~np.isnan(hours)]
        if len(measured) >= features.MIN_HOURS_PER_DAY:
            totals.append((int(day), float(measured.mean() * 24)))
    return totals


def fit(history: pd.Series, uncertainty_samples: int) -> Any:
    from prophet import Prophet

    _write_stan_json_in_one_go()

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


def _write_stan_json_in_one_go() -> None:
    """Let cmdstanpy write Stan's data file with json.dumps (C) rather than a chunked JSONEncoder.

    stanio writes the data in chunks from json.JSONEncoder().iterencode, which runs Python's pure-Python
    encoder: 0.27 s of a 0.35 s fit on two years of daily kWh. json.dumps with the same encoder
    settings gives the same text (tested) from the C encoder in ~10 ms, and so the same fit.
    """
    from cmdstanpy.utils import filesystem
    from stanio.json import dump_stan_json

    def write_stan_json(path: str, data: Mapping[str, Any]) -> None:
        Path(path).write_text(dump_stan_json(data))

    filesystem.write_stan_json = write_stan_json  # type: ignore[attr-defined]


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


@dataclass(frozen=True)
class FitSettings:
    """What one household's training needs beyond its series: the same for every household of a run."""

    train_end: str
    version: str  # the run's bundle version: every household of one run shares it
    uncertainty_samples: int = 300
    evaluate: bool = True
    plot: bool = False


def settings_of(options: ProphetOptions) -> FitSettings:
    return FitSettings(
        train_end=options.train_end,
        version=options.version or time.strftime("%Y%m%d%H%M%S", time.gmtime()),
        uncertainty_samples=options.uncertainty_samples,
        evaluate=options.evaluate,
    )


def train_one(household_id: str, series: features.HourlySeries, settings: FitSettings) -> HouseholdModel:
    """Fit, evaluate and package one household on its hourly `series`: the function every engine runs
    (the process pool and Spark's applyInPandas). Pure: it writes nothing."""
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    started, cpu = time.monotonic(), cpu_seconds()
    daily = daily_kwh_of(series)
    history = daily[daily.index < pd.Timestamp(settings.train_end)]
    if history.empty:
        raise DataError(f"{household_id} has no measured day before {settings.train_end}")
    model = fit(history, settings.uncertainty_samples)
    cases = evaluate_months(model, daily, settings.train_end) if settings.evaluate else []
    metrics = {**summarise(cases), "evaluated": settings.evaluate}
    metadata = fmt.prophet_metadata(
        version=settings.version,
        household_id=household_id,
        data_range=[str(history.index.min().date()), str(history.index.max().date())],
        metrics=without_cases(metrics),
        train_end=settings.train_end,
        mean_daily_kwh=round(float(history.mean()), 3),
        hourly_profile_kw=hourly_profile(series, settings.train_end),
    )
    bundle = prophet_bundle(model, metadata)
    plot = plot_month(model, metadata, daily) if settings.plot else None
    metrics["train_seconds"] = round(time.monotonic() - started, 3)
    metrics["cpu_seconds"] = round(cpu_seconds() - cpu, 3)
    return HouseholdModel(household_id, bundle, metrics, plot)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (cmdstan's optimiser runs as one)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def evaluate_months(model: Any, daily: pd.Series, start: str) -> list[dict[str, Any]]:
    """`rest_of_month` with the model's seasonality features computed once for every evaluated day.

    Each of the ~33 handler calls otherwise rebuilds Prophet's Fourier and holiday columns for its
    month (90 % of the evaluation's time). A row's features depend on its date alone, so rows sliced
    from one frame are the ones each call would build: the cases are identical (tested).
    """
    last = daily.index.max() + pd.offsets.MonthEnd(0)
    dates = pd.date_range(pd.Timestamp(start).replace(day=1), last, freq="D")
    if dates.empty:
        return []
    with seasonality_cache(model, dates):
        return rest_of_month(model, daily, start)


@contextmanager
def seasonality_cache(model: Any, dates: pd.DatetimeIndex) -> Iterator[None]:
    """Within the block, `model` answers make_all_seasonality_features for any subset of `dates` from
    one precomputed frame (an instance attribute, so the class and the serialised model are untouched)."""
    build = model.make_all_seasonality_features
    features_, prior_scales, component_cols, modes = build(model.setup_dataframe(pd.DataFrame({"ds": dates})))
    position = pd.Series(np.arange(len(dates)), index=dates)

    def cached(df: pd.DataFrame) -> tuple[Any, Any, Any, Any]:
        wanted = pd.DatetimeIndex(df["ds"])
        if not wanted.isin(position.index).all():
            return build(df)  # type: ignore[no-any-return]
        rows = features_.iloc[position.loc[wanted].to_numpy()].reset_index(drop=True)
        return rows, prior_scales, component_cols, modes

    model.make_all_seasonality_features = cached
    try:
        yield
    finally:
        del model.make_all_seasonality_features


def train_household(
    household_id: str, options: ProphetOptions, series: features.HourlySeries | None = None
) -> dict[str, Any]:
    """Train one household and write its files under `options.out` (its stored `series` when given,
    else the UCI house as simulated for it); the summary row."""
    settings = replace(settings_of(options), plot=household_id == options.households[0])
    return _train_and_write(household_id, options, settings, series)


def _train_and_write(
    household_id: str, options: ProphetOptions, settings: FitSettings, series: features.HourlySeries | None
) -> dict[str, Any]:
    """The pool's task: the series (simulated in the worker when not given), train_one, the files."""
    from scripts.training.engines.output import ModelsPrefix

    series = series if series is not None else simulated_series(options.data, household_id, options.seed)
    result = train_one(household_id, series, settings)
    ModelsPrefix.of(str(options.out)).write_household(result)
    return result.summary()


def plot_month(model: Any, metadata: dict[str, Any], daily: pd.Series) -> bytes:
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
    return bytes(image)


def train_prophet(
    options: ProphetOptions,
    progress: bool = True,
    fleet: Mapping[str, features.HourlySeries] | None = None,
) -> dict[str, Any]:
    """The process-pool engine: one model per household of `options.households` (simulated from the
    UCI house in the workers), or of `fleet` (household -> its hourly series) when given."""
    if fleet is not None:
        options = replace(options, households=tuple(sorted(fleet)))
    series = fleet or {}
    settings = settings_of(options)
    first = options.households[0]
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    bar = _progress(len(options.households), progress)
    workers = max(1, min(options.workers, len(options.households)))
    # spawn, not fork: a fork of a process whose runtimes (onnxruntime, OpenMP) run threads can die
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_train_and_write, h, options, replace(settings, plot=h == first), series.get(h))
            for h in options.households
        ]
        for future in as_completed(futures):
            results.append(future.result())
            bar.update(1)
    bar.close()
    summary = fleet_summary(results, time.monotonic() - started, "pool", workers)
    write_summary(options, summary)
    return summary


def fleet_summary(results: list[dict[str, Any]], seconds: float, engine: str, workers: int) -> dict[str, Any]:
    """The run's metrics.json: throughput (the benchmark figure) and the households' mean MAPEs."""
    minutes = seconds / 60
    return {
        "engine": engine,
        "households": len(results),
        "minutes": round(minutes, 3),
        "households_per_minute": round(len(results) / minutes, 1) if minutes > 0 else None,
        "workers": workers,
        **_cpu_figures(results),
        "rest_of_month_mape_pct": _mean_of(results, "rest_of_month_mape_pct"),
        "naive_mape_pct": _mean_of(results, "naive_mape_pct"),
        "per_household": sorted(results, key=lambda r: r["household_id"]),
    }


def _cpu_figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    """A household's CPU seconds in train_one, and so households per minute per core: the figure that
    projects to a cluster's executor cores (it leaves out start-up and what a busy machine steals)."""
    seconds = [r["cpu_seconds"] for r in results if r.get("cpu_seconds") is not None]
    if not seconds:
        return {}
    mean = float(np.mean(seconds))
    return {
        "cpu_seconds_per_household": round(mean, 3),
        "households_per_core_minute": round(60 / mean, 1) if mean > 0 else None,
    }


def write_summary(options: ProphetOptions, summary: dict[str, Any]) -> None:
    from scripts.training.engines.output import ModelsPrefix

    ModelsPrefix.of(options.prefix).write_bytes("metrics.json", json.dumps(summary, indent=2).encode())


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
    out = options.out / "default" / "model.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(prophet_bundle(model, metadata))
    return out


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
