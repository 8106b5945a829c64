"""Small bundles trained in seconds on the bundled slice, for tests and benchmarks of the forecaster.

They are training with tiny options: the same model builders, metadata, handlers, feature code and
packager as `wattcast train`; only the training is short (an epoch, a few weeks of days).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from scripts.data.uci import default_data_path, hourly_series, load_uci
from scripts.training import lstm, prophet
from scripts.training.package import package_lstm, package_prophet
from services.core import bundle_format as fmt
from services.core import features

SAMPLE_VERSION = "sample"


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

    options = lstm.LstmOptions(
        data=default_data_path(),
        out=out.parent,
        lookback=lookback,
        horizon=horizon,
        units=units,
        epochs=epochs,
        seed=seed,
        onnx=onnx,
    )
    keras.utils.set_random_seed(seed)
    series = hourly_series(load_uci(options.data))
    windows = features.training_windows(series, features.WindowSpec(lookback, horizon))
    model = lstm.build_model(options)
    model.fit(windows.inputs, windows.targets, epochs=epochs, batch_size=128, verbose=0)
    return package_lstm(model, out, lstm.bundle_metadata(options, series, version=SAMPLE_VERSION), onnx=onnx)


def sample_prophet_bundle(out: Path, *, household_scale: float = 1.0, weeks: int = 8) -> Path:
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    daily = prophet.daily_kwh(load_uci(default_data_path())).iloc[: weeks * 7] * household_scale
    model = prophet.fit(daily, uncertainty_samples=300)
    metadata = fmt.prophet_metadata(
        version=SAMPLE_VERSION,
        household_id="sample",
        data_range=[str(daily.index.min().date()), str(daily.index.max().date())],
        mean_daily_kwh=float(np.mean(daily)),
    )
    return package_prophet(model, out, metadata)
