"""The LSTM bundle's second member: train the GBM beside a trained LSTM, fit the blend, score both.

Origins split as the LSTM's windows do: training origins forecast hours before the validation days,
validation origins forecast hours inside them, test origins are every origin from `train_end` on.
Member and blend metrics here are computed in numpy on the same origins; `wattcast evaluate` scores
the packaged bundle through its handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scripts.training.blend import BAND_FLOOR_KW, Blend, band_coverage, fit_band, fit_weights
from scripts.training.gbm import GbmOptions, LeadRows, lead_dataset, train_gbm
from scripts.training.tree_onnx import boosters_to_onnx
from services.core import features
from services.core.bundle_format import GBM_FILE

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BlendedMembers:
    gbm_onnx: bytes
    metadata: dict[str, Any]  # "members", "blend", "quantiles" and the bundle-wide "lookback"
    metrics: dict[str, Any]


def lstm_forecast_kw(
    model: Any,
    series: features.HourlySeries,
    origins: npt.NDArray[np.int64],
    lookback: int,
) -> Floats:
    """The network's kW forecast from each origin (NaN where its window has no measured power)."""
    horizon = int(model.output_shape[-1])
    forecast = np.full((len(origins), horizon), np.nan)
    inputs, scalings, rows = [], [], []
    for row, origin in enumerate(origins):
        end = int(origin) - series.start + 1
        window = series.values[max(end - lookback, 0) : end]
        if (
            len(window) < lookback
            or np.isnan(window[:, features.HOURLY_MEASURES.index(features.TARGET)]).all()
        ):
            continue
        encoded, scaling = features.encode_window(window, int(origin) - lookback + 1)
        inputs.append(encoded)
        scalings.append(scaling)
        rows.append(row)
    if inputs:
        predicted = model.predict(np.stack(inputs), batch_size=1024, verbose=0)
        for row, scaling, output in zip(rows, scalings, predicted, strict=True):
            forecast[row] = features.decode_forecast(np.asarray(output, dtype=np.float64), scaling)
    return forecast


def train_members(
    model: Any,
    fleet: Sequence[features.HourlySeries],
    *,
    lookback: int,
    end_hour: int,
    validation_days: int,
    options: GbmOptions,
) -> BlendedMembers:
    """The GBM and the blend over every series' rows (one series: the UCI house; or each household)."""
    parts = [_split_rows(lead_dataset(s, options.horizon), end_hour, validation_days, options) for s in fleet]
    train, validation, test = (_pooled([p[k] for p in parts]) for k in range(3))
    gbm = train_gbm(train, validation, options)

    def lstm_kw(part: int) -> Floats:
        forecasts = [
            lstm_forecast_kw(model, s, p[part].origins, lookback) for s, p in zip(fleet, parts, strict=True)
        ]
        return np.concatenate(forecasts)

    lstm_validation = lstm_kw(1)
    weights = fit_weights(lstm_validation, gbm.validation_kw, validation.actual_kw)
    validation_point = _point(Blend(weights, {}), lstm_validation, gbm.validation_kw)
    blend = Blend(weights, fit_band(validation_point, validation.actual_kw))
    onnx_model = boosters_to_onnx(
        gbm.boosters,
        list(range(options.horizon)),
        origin_count=len(features.ORIGIN_FEATURES),
        lead_count=len(features.LEAD_FEATURES),
    )
    levels = level_range(train)
    lstm_test = lstm_kw(2)
    metrics = score_members(served_gbm_kw(onnx_model, test, levels), lstm_test, blend, test)
    metrics["gbm_train_seconds"] = gbm.seconds
    metrics["gbm_trees"] = int(sum(b.num_trees() for b in gbm.boosters))
    metadata = {
        "lookback": max(lookback, features.LAG_LOOKBACK),
        "members": {
            "lstm": {"lookback": lookback},
            "gbm": {
                "file": GBM_FILE,
                "lookback": features.LAG_LOOKBACK,
                "level_range_kw": levels,
                "origin_features": list(features.ORIGIN_FEATURES),
                "lead_features": list(features.LEAD_FEATURES),
            },
        },
        "blend": {"lstm_weight": blend.lstm_weight, "band_z": blend.band_z, "band_floor_kw": BAND_FLOOR_KW},
        "quantiles": list(blend.band_z),
    }
    return BlendedMembers(onnx_model, metadata, metrics)


def _split_rows(
    rows: LeadRows, end_hour: int, validation_days: int, options: GbmOptions
) -> tuple[LeadRows, LeadRows, LeadRows]:
    validation_start = end_hour - validation_days * 24
    last_target = rows.origins + options.horizon
    train = rows.subset(last_target < validation_start)
    validation = rows.subset((rows.origins + 1 >= validation_start) & (last_target < end_hour))
    return train, validation, rows.subset(rows.origins + 1 >= end_hour)


def _pooled(rows: Sequence[LeadRows]) -> LeadRows:
    return LeadRows(
        *(np.concatenate([getattr(r, name) for r in rows]) for name in ("inputs", "actual_kw", "origins"))
    )


def level_range(train: LeadRows) -> list[float]:
    """The lowest and highest weekly mean kW of the training origins: where the trees know the
    household's size (`features.clamp_level` maps others onto it; training rows are all inside)."""
    level = train.inputs[:, 0, features.ORIGIN_FEATURES.index(features.LEVEL_FEATURE)].astype(np.float64)
    return [float(np.nanmin(level)), float(np.nanmax(level))]


def served_gbm_kw(onnx_model: bytes, rows: LeadRows, levels: list[float]) -> Floats:
    """The member's forecast as the bundle serves it: the ONNX ensemble on clamped wide rows."""
    import onnxruntime

    origin_count = len(features.ORIGIN_FEATURES)
    horizon = rows.inputs.shape[1]
    lead_parts = rows.inputs[:, :, origin_count:].reshape(len(rows.origins), -1)
    wide = np.concatenate([rows.inputs[:, 0, :origin_count], lead_parts], axis=1)
    clamped, factor = features.clamp_level(wide, horizon, levels)
    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    (served,) = session.run(None, {session.get_inputs()[0].name: clamped})
    return np.asarray(served, dtype=np.float64) * factor[:, None]


def _point(blend: Blend, lstm_kw: Floats, gbm_kw: Floats) -> Floats:
    """The blend where the LSTM has a forecast, the GBM alone where it has none."""
    point = blend.point(lstm_kw, gbm_kw)
    return np.where(np.isnan(point), np.maximum(gbm_kw, 0.0), point)


def score_members(gbm_kw: Floats, lstm_kw: Floats, blend: Blend, test: LeadRows) -> dict[str, Any]:
    """RMSE by lead of each member and the blend, and the band's coverage, on the test origins."""
    point = _point(blend, lstm_kw, gbm_kw)
    band = blend.quantiles(point)

    def by_lead(forecast: Floats) -> list[float]:
        return [_rmse(forecast[:, lead], test.actual_kw[:, lead]) for lead in range(forecast.shape[1])]

    lstm, boosted, blended = by_lead(lstm_kw), by_lead(gbm_kw), by_lead(point)
    return {
        "members_rmse_kw": {"lstm": lstm[0], "gbm": boosted[0], "blend": blended[0]},
        "members_rmse_lead24_kw": {"lstm": lstm[-1], "gbm": boosted[-1], "blend": blended[-1]},
        "blend_rmse_by_lead_kw": blended,
        "gbm_rmse_by_lead_kw": boosted,
        "band_coverage_by_lead": band_coverage(band["p10"], band["p90"], test.actual_kw),
    }


def _rmse(forecast: Floats, actual: Floats) -> float:
    usable = ~np.isnan(forecast) & ~np.isnan(actual)
    return round(float(np.sqrt(np.mean((forecast[usable] - actual[usable]) ** 2))), 4)
