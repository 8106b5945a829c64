"""`wattcast train lstm`: one global LSTM for every household, trained before `--train-end`.

Windows come from `services.core.features` (the code the bundle serves with), scaled per window so a
household is forecast on its own scale. Validation is the end of the training period; the test is
every hour from `--train-end` on, so every reported metric is out of sample. The data is the UCI house
or, retraining from live data, every household of the hourly table: each household's windows are
made from its own series and pooled.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scripts.data.errors import DataError
from scripts.data.uci import hourly_series, load_uci, utc_timestamp
from scripts.training.gbm import GbmOptions
from scripts.training.package import package_lstm
from services.core import bundle_format as fmt
from services.core import features

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LstmOptions:
    data: Path
    out: Path
    train_end: str = "2010-01-01"
    lookback: int = 168
    horizon: int = 24
    units: int = 64
    dropout: float = 0.1
    lead_weight_power: float = 0.5  # lead k weighs k**-power in the loss: the next hours count most
    epochs: int = 40
    batch_size: int = 256
    learning_rate: float = 2e-3
    patience: int = 5
    validation_days: int = 90
    max_minutes: float = 8.0
    seed: int = 0
    onnx: bool = True  # also export model.onnx (the forecaster's faster runtime)
    gbm: GbmOptions | None = field(default_factory=GbmOptions)  # the blended member; None: the LSTM alone


@dataclass(frozen=True)
class Split:
    train: features.Windows
    validation: features.Windows
    test: features.Windows


def split_windows(series: features.HourlySeries, options: LstmOptions) -> Split:
    """Train: targets end before `train_end` (validation: its last days); test: targets from it on."""
    (split,) = split_fleet([series], options)
    return split


def split_fleet(fleet: Sequence[features.HourlySeries], options: LstmOptions) -> list[Split]:
    """Each series' split; a DataError unless some series has a training window."""
    splits = [_split_one(series, options) for series in fleet]
    if not any(len(split.train) for split in splits):
        raise DataError(
            f"no training windows end before {options.train_end} minus {options.validation_days} days"
        )
    return splits


def _split_one(series: features.HourlySeries, options: LstmOptions) -> Split:
    spec = features.WindowSpec(options.lookback, options.horizon)
    end_hour = int(utc_timestamp(options.train_end).timestamp()) // features.SECONDS_PER_HOUR
    windows = features.training_windows(series, spec)
    last_target = windows.origins + options.horizon
    validation_start = end_hour - options.validation_days * 24
    train = last_target < validation_start
    validation = (last_target >= validation_start) & (last_target < end_hour)
    test = windows.origins + 1 >= end_hour
    return Split(_subset(windows, train), _subset(windows, validation), _subset(windows, test))


def pooled(windows: Sequence[features.Windows]) -> features.Windows:
    """Windows of several series as one set (order kept)."""
    return features.Windows(*(np.concatenate([getattr(w, name) for w in windows]) for name in _WINDOW_FIELDS))


_WINDOW_FIELDS = ("inputs", "targets", "actual_kw", "origins", "target_mean", "target_std")


def _subset(windows: features.Windows, mask: np.ndarray) -> features.Windows:
    return features.Windows(
        windows.inputs[mask],
        windows.targets[mask],
        windows.actual_kw[mask],
        windows.origins[mask],
        windows.target_mean[mask],
        windows.target_std[mask],
    )


def build_model(options: LstmOptions) -> Any:
    import keras

    window = keras.Input(shape=(options.lookback, len(features.CHANNELS)), name="window")
    hidden = keras.layers.LSTM(options.units, dropout=options.dropout)(window)
    hidden = keras.layers.Dense(options.units, activation="relu")(hidden)
    hidden = keras.layers.Dropout(options.dropout)(hidden)
    model = keras.Model(window, keras.layers.Dense(options.horizon, name="forecast")(hidden))
    weights = keras.ops.convert_to_tensor(lead_weights(options.horizon, options.lead_weight_power))

    def lead_weighted_mse(actual: Any, predicted: Any) -> Any:
        return keras.ops.mean(keras.ops.square(actual - predicted) * weights, axis=-1)

    model.compile(optimizer=keras.optimizers.Adam(options.learning_rate), loss=lead_weighted_mse)
    return model


def lead_weights(horizon: int, power: float) -> np.ndarray:
    """Loss weight of each lead, k**-power normalised to mean 1 (power 0: every lead alike)."""
    raw = np.arange(1, horizon + 1, dtype=np.float64) ** -power
    return np.asarray(raw / raw.mean(), dtype=np.float32)


def fit(model: Any, split: Split, options: LstmOptions) -> dict[str, Any]:
    import keras

    class TimeBudget(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.started = time.monotonic()

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            elapsed = (time.monotonic() - self.started) / 60
            logger.info(
                "epoch %d: loss %.4f val_loss %.4f (%.1f min)",
                epoch + 1,
                (logs or {}).get("loss", 0),
                (logs or {}).get("val_loss", 0),
                elapsed,
            )
            if elapsed > options.max_minutes:
                logger.info("time budget of %.1f minutes reached; stopping", options.max_minutes)
                self.model.stop_training = True

    stop = keras.callbacks.EarlyStopping(patience=options.patience, restore_best_weights=True)
    history = model.fit(
        split.train.inputs,
        split.train.targets,
        sample_weight=kw_weights(split.train),
        validation_data=(split.validation.inputs, split.validation.targets, kw_weights(split.validation)),
        epochs=options.epochs,
        batch_size=options.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[stop, TimeBudget()],
    )
    return {
        "epochs_run": len(history.history["loss"]),
        "best_val_loss": float(min(history.history["val_loss"])),
    }


def kw_weights(windows: features.Windows) -> np.ndarray:
    """Weights that make the MSE of standardised targets the MSE in kW (what the metrics measure).

    Without them a quiet week (std 0.03 kW) turns an ordinary next-hour change into a target of 50+
    standard deviations and dominates the loss.
    """
    weights = windows.target_std**2
    return np.asarray(weights / weights.mean(), dtype=np.float64)


def evaluate(model: Any, series: features.HourlySeries, test: features.Windows) -> dict[str, Any]:
    """Next-hour and per-lead RMSE on test windows where persistence and same-hour-yesterday exist."""
    return evaluate_fleet(model, [(series, test)])


def evaluate_fleet(
    model: Any, tests: Sequence[tuple[features.HourlySeries, features.Windows]]
) -> dict[str, Any]:
    """`evaluate` over each series' test windows, pooled."""
    parts = [_baselines(series, test) for series, test in tests]
    scored = pooled([p[0] for p in parts])
    if not len(scored):
        raise DataError("no test windows from --train-end on with persistence and yesterday measured")
    last, yesterday = (np.concatenate([p[k] for p in parts]) for k in (1, 2))
    predicted = scored.to_kw(model.predict(scored.inputs, batch_size=1024, verbose=0))
    actual = scored.actual_kw

    def rmse(forecast: np.ndarray, lead: int | None = None) -> float:
        error = forecast - actual if lead is None else forecast[:, lead] - actual[:, lead]
        return float(np.sqrt(np.mean(error**2)))

    persistence = np.repeat(last[:, None], actual.shape[1], axis=1)
    return {
        "test_windows": len(scored),
        "test_rmse_kw": round(rmse(predicted, 0), 4),
        "test_mae_kw": round(float(np.mean(np.abs(predicted[:, 0] - actual[:, 0]))), 4),
        "test_mean_kw": round(float(np.mean(actual)), 4),  # production drift compares errors relative to it
        "persistence_rmse_kw": round(rmse(persistence, 0), 4),
        "same_hour_yesterday_rmse_kw": round(rmse(yesterday, 0), 4),
        "rmse_by_lead_kw": [round(rmse(predicted, k), 4) for k in range(actual.shape[1])],
        "persistence_rmse_by_lead_kw": [round(rmse(persistence, k), 4) for k in range(actual.shape[1])],
        "same_hour_yesterday_rmse_by_lead_kw": [round(rmse(yesterday, k), 4) for k in range(actual.shape[1])],
        "test_from": features.hour_ts(int(scored.origins.min()) + 1),
        "test_to": features.hour_ts(int(scored.origins.max()) + 1),
    }


def _baselines(
    series: features.HourlySeries, test: features.Windows
) -> tuple[features.Windows, np.ndarray, np.ndarray]:
    """The test windows where persistence and same-hour-yesterday exist, with those baselines."""
    power = series.values[:, features.HOURLY_MEASURES.index(features.TARGET)]
    last = power[test.origins - series.start]
    leads = np.arange(1, test.actual_kw.shape[1] + 1)
    yesterday = power[test.origins[:, None] + leads[None, :] - 24 - series.start]
    usable = ~np.isnan(last) & ~np.isnan(yesterday).any(axis=1)
    return _subset(test, usable), last[usable], yesterday[usable]


def next_hour_rmse(model: Any, windows: features.Windows) -> float:
    predicted = windows.to_kw(model.predict(windows.inputs, batch_size=1024, verbose=0))
    return float(np.sqrt(np.mean((predicted[:, 0] - windows.actual_kw[:, 0]) ** 2)))


def plot_fortnight(model: Any, test: features.Windows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fortnight = test.origins < test.origins.min() + 14 * 24
    chosen = _subset(test, fortnight)
    predicted = chosen.to_kw(model.predict(chosen.inputs, verbose=0))[:, 0]
    first = int(chosen.origins.min()) + 1
    grid = np.arange(first, first + 14 * 24)  # hours without a window stay gaps, not straight lines
    actual, forecast = np.full(len(grid), np.nan), np.full(len(grid), np.nan)
    actual[chosen.origins + 1 - first] = chosen.actual_kw[:, 0]
    forecast[chosen.origins + 1 - first] = predicted
    hours = grid.astype("datetime64[h]")
    figure, axis = plt.subplots(figsize=(14, 4.5))
    axis.plot(hours, actual, label="actual hourly mean", color="black", linewidth=1)
    axis.plot(hours, forecast, label="LSTM next-hour forecast", color="tab:orange", linewidth=1)
    axis.set_ylabel("global active power (kW)")
    axis.set_title("UCI house, first test fortnight: next-hour forecast vs actual")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _train_members(model: Any, fleet: Sequence[features.HourlySeries], options: LstmOptions) -> Any:
    if options.gbm is None:
        return None
    from scripts.training.members import train_members

    return train_members(
        model,
        fleet,
        lookback=options.lookback,
        end_hour=int(utc_timestamp(options.train_end).timestamp()) // features.SECONDS_PER_HOUR,
        validation_days=options.validation_days,
        options=GbmOptions(**{**asdict(options.gbm), "horizon": options.horizon, "seed": options.seed}),
    )


def bundle_metadata(
    trained: LstmOptions,
    series: features.HourlySeries | Sequence[features.HourlySeries],
    *,
    version: str,
    **extra: Any,
) -> dict[str, Any]:
    """The bundle's metadata for a model `build_model(trained)` made, trained on `series`."""
    fleet = [series] if isinstance(series, features.HourlySeries) else list(series)
    return fmt.lstm_metadata(
        version=version,
        lookback=extra.pop("lookback", trained.lookback),
        horizon=trained.horizon,
        channels=list(features.CHANNELS),
        target=features.TARGET,
        data_range=[
            features.hour_ts(min(s.start for s in fleet)),
            features.hour_ts(max(s.last for s in fleet)),
        ],
        runtimes=["onnxruntime", "tensorflow"] if trained.onnx else ["tensorflow"],
        **extra,
    )


def train_lstm(
    options: LstmOptions, fleet: Mapping[str, features.HourlySeries] | None = None
) -> dict[str, Any]:
    """Train on `options.data` (the UCI house, h000) or on `fleet` (household -> its hourly series,
    e.g. `scripts.data.hourly_store.store_series`); write the bundle and metrics to `options.out`."""
    import keras

    keras.utils.set_random_seed(options.seed)
    started = time.monotonic()
    source = {"source": "store"} if fleet is not None else {"source": f"uci:{options.data.name}"}
    fleet = fleet if fleet is not None else {"h000": hourly_series(load_uci(options.data))}
    households, series = sorted(fleet), [fleet[h] for h in sorted(fleet)]
    splits = split_fleet(series, options)
    split = Split(*(pooled([getattr(s, part) for s in splits]) for part in ("train", "validation", "test")))
    logger.info(
        "windows of %d households: %d train, %d validation, %d test",
        len(households),
        len(split.train),
        len(split.validation),
        len(split.test),
    )
    model = build_model(options)
    training = fit(model, split, options)
    metrics = {**evaluate_fleet(model, list(zip(series, (s.test for s in splits), strict=True))), **training}
    metrics["validation_rmse_kw"] = round(next_hour_rmse(model, split.validation), 4)
    metrics["lstm_train_seconds"] = round(time.monotonic() - started, 1)
    metrics["cpu_count"] = os.cpu_count()
    blended = _train_members(model, series, options)
    extra = {}
    if blended is not None:
        metrics.update(blended.metrics)
        extra = blended.metadata
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    options.out.mkdir(parents=True, exist_ok=True)
    plot_fortnight(model, max((s.test for s in splits), key=len), options.out / "forecast_vs_actual.png")
    metadata = bundle_metadata(
        options,
        series,
        version=time.strftime("%Y%m%d%H%M%S", time.gmtime()),
        metrics=metrics,
        **source,
        households=len(households),
        **extra,
        train_end=options.train_end,
        trained_on=[
            features.hour_ts(int(split.train.origins.min()) - options.lookback + 1),
            options.train_end,
        ],
        options={k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
    )
    package_lstm(
        model,
        options.out / "model.tar.gz",
        metadata,
        onnx=options.onnx,
        gbm_onnx=blended.gbm_onnx if blended is not None else None,
    )
    (options.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics
