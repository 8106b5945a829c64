"""LSTM bundle handler: raw hourly measures in, kW forecasts out (DESIGN.md, forecast requests).

Runs on Wattcast's forecaster (which passes the loaded model as `context.model` and the bundle's other
members as `context.members`) and on the managed SageMaker TensorFlow Serving container (which serves
the SavedModel at `context.rest_uri`; the handler then runs `gbm.onnx` itself). Feature code comes from
`code/lib/wattcast_features.py`, the same module training used.

A bundle with a "gbm" member (metadata "members" and "blend") answers the blend of the two as each
hour's point forecast, and the member's calibrated quantiles as "p10", "p50", "p90".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import wattcast_features as features

try:  # 3-5x faster JSON where the image has it; the standard library otherwise
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:
    from json import loads as _loads

    def _dumps(value: Any) -> bytes:
        return json.dumps(value).encode()


class BadRequest(ValueError):
    """The request cannot be forecast as sent; the message names the field (a 400 for the caller)."""


BAD_INPUT = (BadRequest,)  # any other exception here is a bug in this bundle (a 500)
BUNDLE = Path(__file__).resolve().parent.parent
METADATA = json.loads((BUNDLE / "metadata.json").read_text())
MEMBERS = METADATA.get("members", {})
SPEC = features.WindowSpec(MEMBERS.get("lstm", {}).get("lookback", METADATA["lookback"]), METADATA["horizon"])
GBM = MEMBERS.get("gbm")
BLEND = METADATA.get("blend") or {}
NEEDED_HOURS = int(METADATA["lookback"])
QUANTILES = ("p10", "p50", "p90")
MAX_INSTANCES = 1_000
_own_gbm: Any = None


def handler(data: Any, context: Any) -> tuple[bytes, str]:
    """{"instances": [...]} -> {"predictions": [...]}. With "errors": "per_instance" an instance the model
    cannot forecast (too little history) answers {"household_id", "error"} instead of failing the call."""
    request = _read_json(data)
    instances = request.get("instances") if isinstance(request, dict) else None
    if not isinstance(instances, list) or not instances:
        raise BadRequest("instances: a non-empty list of {household_id, hours} objects is required")
    if len(instances) > MAX_INSTANCES:
        raise BadRequest(f"instances: at most {MAX_INSTANCES} per request, got {len(instances)}")
    per_instance = request.get("errors") == "per_instance"
    ready, answers = [], []  # ready: (answer slot, household, LSTM input, scaling, lag row, origin)
    for i, instance in enumerate(instances):
        try:
            ready.append((len(answers), _household(instance), *_encode(instance, i)))
            answers.append(None)
        except BadRequest as exc:
            if not per_instance:
                raise
            answers.append({"household_id": _household(instance), "error": str(exc)})
    if ready:
        kilowatts = _lstm_kw(ready, context)
        bands = _blend(kilowatts, ready, context) if GBM else None
        for i, (slot, household, *_, origin) in enumerate(ready):
            answers[slot] = _forecast(household, origin, kilowatts[i], None if bands is None else bands[:, i])
    return _dumps({"predictions": answers}), "application/json"


def _lstm_kw(ready: list[tuple[Any, ...]], context: Any) -> np.ndarray:
    predicted = _predict(np.stack([entry[2] for entry in ready]), context)
    return np.stack(
        [features.decode_forecast(row, entry[3]) for entry, row in zip(ready, predicted, strict=True)]
    )


def _blend(lstm_kw: np.ndarray, ready: list[tuple[Any, ...]], context: Any) -> np.ndarray:
    """Turn `lstm_kw` into the blended point forecast (in place) and return its band:
    (3, instances, horizon) = p10, p50, p90 in kW, sorted and never negative."""
    rows, factor = features.clamp_level(
        np.stack([entry[4] for entry in ready]), SPEC.horizon, GBM["level_range_kw"]
    )
    gbm_kw = _gbm(context).predict(rows) * factor[:, None]
    weight = np.asarray(BLEND["lstm_weight"])
    lstm_kw[:] = np.maximum(weight * lstm_kw + (1 - weight) * gbm_kw, 0.0)
    scale = np.sqrt(np.maximum(lstm_kw, BLEND["band_floor_kw"]))
    band = np.stack([lstm_kw + np.asarray(BLEND["band_z"][name]) * scale for name in QUANTILES])
    return np.maximum(np.sort(band, axis=0), 0.0)


def _gbm(context: Any) -> Any:
    members = getattr(context, "members", None) or {}
    if "gbm" in members:
        return members["gbm"]
    global _own_gbm
    if _own_gbm is None:  # the managed TensorFlow Serving container: run the member here
        _own_gbm = _OnnxMember(BUNDLE / GBM["file"])
    return _own_gbm


class _OnnxMember:
    def __init__(self, path: Path) -> None:
        import onnxruntime

        self._session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(
            self._session.run(None, {self._input: batch.astype(np.float32)})[0], dtype=np.float64
        )


def _household(instance: Any) -> Any:
    return instance.get("household_id") if isinstance(instance, dict) else None


def _encode(instance: Any, index: int) -> tuple[np.ndarray, Any, np.ndarray | None, int]:
    if not isinstance(instance, dict):
        raise BadRequest(f"instances[{index}] must be an object")
    try:
        series = features.series_from_hours(instance.get("hours"))
        if len(series.values) < NEEDED_HOURS:
            raise features.FeatureError(
                f"the model needs the last {NEEDED_HOURS} hours; the hours given span {len(series.values)}"
            )
        x, scaling = features.model_input(series, SPEC)
    except features.FeatureError as exc:
        raise BadRequest(f"instances[{index}]: {exc}") from exc
    lags = None
    if GBM:
        first = series.last - features.LAG_LOOKBACK + 1
        lags = features.lag_input(series.values[-features.LAG_LOOKBACK :], first, SPEC.horizon)
    return x, scaling, lags, series.last


def _forecast(household: Any, origin: int, kilowatts: np.ndarray, band: np.ndarray | None) -> dict[str, Any]:
    timestamps = features.hour_timestamps(origin + 1, SPEC.horizon)
    points = np.round(kilowatts, 6).tolist()
    if band is None:
        hours = [{"ts": ts, features.TARGET: kw} for ts, kw in zip(timestamps, points, strict=True)]
    else:
        p10, p50, p90 = np.round(band, 6).tolist()
        hours = [
            {"ts": ts, features.TARGET: kw, "p10": low, "p50": mid, "p90": high}
            for ts, kw, low, mid, high in zip(timestamps, points, p10, p50, p90, strict=True)
        ]
    return {"household_id": household, "forecast": hours}


def _read_json(data: Any) -> Any:
    raw = data.read() if hasattr(data, "read") else data
    try:
        return _loads(raw)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"body: not JSON ({exc})") from exc


def _predict(batch: np.ndarray, context: Any) -> np.ndarray:
    model = getattr(context, "model", None)
    if model is not None:  # Wattcast's forecaster: the fastest runtime the bundle carries
        return np.asarray(model.predict(batch), dtype=np.float64)
    import requests  # the managed TensorFlow Serving container

    response = requests.post(context.rest_uri, json={"instances": batch.tolist()}, timeout=55)
    response.raise_for_status()
    return np.asarray(response.json()["predictions"], dtype=np.float64)
