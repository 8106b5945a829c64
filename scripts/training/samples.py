"""Small bundles trained in seconds on the bundled slice, for tests and benchmarks of the forecaster.

They have the real layout, handlers and feature code; only the training is short. The real bundles
come from `wattcast train` (scripts/train_*.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.data.uci import default_data_path, hourly_series, load_uci
from scripts.training.package import package_lstm, package_prophet
from services.core import features


def sample_lstm_bundle(
    out: Path,
    *,
    lookback: int = 48,
    horizon: int = 24,
    units: int = 64,
    epochs: int = 1,
    seed: int = 0,
    onnx: bool = True,
) -> Path:
    import keras

    keras.utils.set_random_seed(seed)
    series = hourly_series(load_uci(default_data_path()))
    spec = features.WindowSpec(lookback, horizon)
    windows = features.training_windows(series, spec)
    window = keras.Input(shape=(lookback, len(features.CHANNELS)), name="window")
    model = keras.Model(window, keras.layers.Dense(horizon)(keras.layers.LSTM(units)(window)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(windows.inputs, windows.targets, epochs=epochs, batch_size=128, verbose=0)
    metadata = {
        "version": "sample",
        "lookback": lookback,
        "horizon": horizon,
        "channels": list(features.CHANNELS),
        "target": features.TARGET,
        "scaling": "per window: mean and std of each measure over the lookback's measured hours",
        "data_range": [features.hour_ts(series.start), features.hour_ts(series.last)],
        "metrics": {},
    }
    return package_lstm(model, out, metadata, onnx=onnx)


def sample_prophet_bundle(out: Path, *, household_scale: float = 1.0, weeks: int = 8) -> Path:
    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    series = hourly_series(load_uci(default_data_path()))
    days = features.daily_energy_kwh(series)[: weeks * 7]
    history = pd.DataFrame(
        {
            "ds": [datetime.fromtimestamp(day * 86_400, UTC).replace(tzinfo=None) for day, _ in days],
            "y": [kwh * household_scale for _, kwh in days],
        }
    )
    model = Prophet(
        weekly_seasonality=True, yearly_seasonality=False, daily_seasonality=False, uncertainty_samples=300
    )
    model.fit(history)
    metadata: dict[str, Any] = {
        "version": "sample",
        "household_id": "sample",
        "data_range": [str(history.ds.min().date()), str(history.ds.max().date())],
        "metrics": {},
        "mean_daily_kwh": float(np.mean(history.y)),
    }
    return package_prophet(model, out, metadata)
