"""`wattcast train prophet`: one Prophet model per household on daily kWh, in parallel over the cores.

Households are the UCI house (`h000`) and households simulated from it (`h001`, ...). Each model is
fitted on the days before `--train-end` and evaluated on every later month: from day 15, given the
month's measured days, through the bundle's own handler (the code that serves it), against the naive
run-rate (mean of the measured days x remaining days) on the identical days.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import time
from calendar import monthrange
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import as_file
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from model_bundles import handler_source
from scripts.data.simulate import apply_profile, household_profiles
from scripts.data.uci import hourly_series, load_uci
from scripts.training.package import package_prophet
from services.core import bundle_format as fmt
from services.core import features

logger = logging.getLogger(__name__)
AS_OF_DAY = 15


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
    days = features.daily_energy_kwh(hourly_series(frame))
    index = pd.DatetimeIndex([datetime.fromtimestamp(d * 86_400, UTC).replace(tzinfo=None) for d, _ in days])
    return pd.Series([kwh for _, kwh in days], index=index, name="kwh")


def fit(history: pd.Series, uncertainty_samples: int) -> Any:
    from prophet import Prophet

    short = history.index.max() - history.index.min() < pd.Timedelta(days=365)
    model = Prophet(
        growth="flat" if short else "linear",  # a trend from under a year of data extrapolates badly
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


def rest_of_month(
    model: Any, daily: pd.Series, start: str, metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each complete month from `start`: the model (via the handler) and the naive run-rate from day 15."""
    handler = bundle_handler().handler
    results = []
    for month_start in pd.date_range(start, daily.index.max(), freq="MS"):
        end = month_start + pd.offsets.MonthEnd(0)
        if end > daily.index.max():
            break
        as_of = month_start + pd.Timedelta(days=AS_OF_DAY - 1)
        measured = daily[month_start : as_of - pd.Timedelta(days=1)]
        truth = daily[as_of:end]
        if measured.empty or truth.empty:
            continue
        request = {
            "household_id": "eval",
            "as_of": as_of.date().isoformat(),
            "days": [
                {"date": d.date().isoformat(), "kwh": float(v)}
                for d, v in zip(measured.index, measured, strict=True)
            ],
        }
        answer = json.loads(
            handler(
                io.BytesIO(json.dumps(request).encode()),
                SimpleNamespace(model=model, metadata=metadata or {}),
            )[0]
        )
        forecast = {day["date"]: day["kwh"] for day in answer["forecast"]}
        predicted = sum(forecast[d.date().isoformat()] for d in truth.index)
        naive = float(measured.mean()) * len(truth)
        actual = float(truth.sum())
        remaining = monthrange(month_start.year, month_start.month)[1] - AS_OF_DAY + 1
        results.append(
            {
                "month": month_start.strftime("%Y-%m"),
                "actual_kwh": round(actual, 2),
                "model_kwh": round(predicted, 2),
                "naive_kwh": round(naive, 2),
                "model_ape_pct": round(abs(predicted - actual) / actual * 100, 2),
                "naive_ape_pct": round(abs(naive - actual) / actual * 100, 2),
                "complete": len(truth) == remaining,
                "level_adjustment": answer["level_adjustment"],
            }
        )
    return results


def summarise(months: list[dict[str, Any]]) -> dict[str, Any]:
    complete = [m for m in months if m["complete"]]

    def mape(rows: list[dict[str, Any]], key: str) -> float | None:
        return round(float(np.mean([r[key] for r in rows])), 2) if rows else None

    return {
        "months": len(months),
        "rest_of_month_mape_pct": mape(months, "model_ape_pct"),
        "naive_mape_pct": mape(months, "naive_ape_pct"),
        "complete_months": len(complete),
        "rest_of_month_mape_pct_complete_months": mape(complete, "model_ape_pct"),
        "naive_mape_pct_complete_months": mape(complete, "naive_ape_pct"),
        "by_month": months,
    }


def train_household(household_id: str, options: ProphetOptions) -> dict[str, Any]:
    """Fit, evaluate and package one household (runs in a worker process)."""
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    started = time.monotonic()
    frame = load_uci(options.data)
    profiles = {p.household_id: p for p in household_profiles(_index(household_id) + 1, seed=options.seed)}
    daily = daily_kwh(apply_profile(frame, profiles[household_id]))
    history = daily[daily.index < pd.Timestamp(options.train_end)]
    model = fit(history, options.uncertainty_samples)
    metrics = summarise(rest_of_month(model, daily, options.train_end))
    folder = options.out / household_id
    folder.mkdir(parents=True, exist_ok=True)
    metadata = fmt.prophet_metadata(
        version=time.strftime("%Y%m%d%H%M%S"),
        household_id=household_id,
        data_range=[str(history.index.min().date()), str(history.index.max().date())],
        metrics={k: v for k, v in metrics.items() if k != "by_month"},
        train_end=options.train_end,
        mean_daily_kwh=round(float(history.mean()), 3),
    )
    package_prophet(model, folder / "model.tar.gz", metadata)
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if household_id == options.households[0]:
        plot_components(model, daily, folder / "components.png")
    return {"household_id": household_id, **{k: v for k, v in metrics.items() if k != "by_month"}}


def _index(household_id: str) -> int:
    digits = household_id.lstrip("h")
    if not digits.isdigit():
        raise ValueError(f"household ids are h000, h001, ...; got {household_id!r}")
    return int(digits)


def plot_components(model: Any, daily: pd.Series, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    forecast = model.predict(pd.DataFrame({"ds": daily.index}))
    figure = model.plot_components(forecast)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def train_prophet(options: ProphetOptions, progress: bool = True) -> dict[str, Any]:
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    bar = _progress(len(options.households), progress)
    with ProcessPoolExecutor(max_workers=max(1, min(options.workers, len(options.households)))) as pool:
        futures = [pool.submit(train_household, h, options) for h in options.households]
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
        "rest_of_month_mape_pct": round(float(np.mean([r["rest_of_month_mape_pct"] for r in results])), 2),
        "naive_mape_pct": round(float(np.mean([r["naive_mape_pct"] for r in results])), 2),
        "per_household": sorted(results, key=lambda r: r["household_id"]),
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "metrics.json").write_text(json.dumps(summary, indent=2))
    return summary


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="household", desc="prophet", disable=not enabled)


def train_default(options: ProphetOptions, household_id: str = "h000") -> Path:
    """The fallback model for households without their own: the UCI house's model, with the
    month-to-date level adjustment on, so it forecasts any household on that household's scale."""
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    daily = daily_kwh(load_uci(options.data))
    history = daily[daily.index < pd.Timestamp(options.train_end)]
    model = fit(history, options.uncertainty_samples)
    metadata = fmt.prophet_metadata(
        version=time.strftime("%Y%m%d%H%M%S"),
        household_id="default",
        data_range=[str(history.index.min().date()), str(history.index.max().date())],
        trained_on_household=household_id,
        level_adjustment="month_to_date",
        train_end=options.train_end,
    )
    return package_prophet(model, options.out / "default" / "model.tar.gz", metadata)
