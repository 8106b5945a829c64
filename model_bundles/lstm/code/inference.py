"""LSTM bundle handler: raw hourly measures in, kW forecasts out (DESIGN.md, forecast requests).

Runs on Wattcast's forecaster (which passes the loaded model as `context.model`) and on the managed
SageMaker TensorFlow Serving container (which serves the SavedModel at `context.rest_uri`). Feature
code comes from `code/lib/wattcast_features.py`, the same module training used.
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
METADATA = json.loads((Path(__file__).resolve().parent.parent / "metadata.json").read_text())
SPEC = features.WindowSpec(METADATA["lookback"], METADATA["horizon"])
MAX_INSTANCES = 1_000


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
    ready, answers = [], []
    for i, instance in enumerate(instances):
        try:
            ready.append((len(answers), instance.get("household_id"), *_encode(instance, i)))
            answers.append(None)
        except BadRequest as exc:
            if not per_instance:
                raise
            answers.append({"household_id": _household(instance), "error": str(exc)})
    if ready:
        predicted = _predict(np.stack([x for _, _, x, _, _ in ready]), context)
        for (slot, household, _, scaling, origin), row in zip(ready, predicted, strict=True):
            answers[slot] = _forecast(household, origin, scaling, row)
    return _dumps({"predictions": answers}), "application/json"


def _household(instance: Any) -> Any:
    return instance.get("household_id") if isinstance(instance, dict) else None


def _encode(instance: Any, index: int) -> tuple[np.ndarray, Any, int]:
    if not isinstance(instance, dict):
        raise BadRequest(f"instances[{index}] must be an object")
    try:
        series = features.series_from_hours(instance.get("hours"))
        x, scaling = features.model_input(series, SPEC)
    except features.FeatureError as exc:
        raise BadRequest(f"instances[{index}]: {exc}") from exc
    return x, scaling, series.last


def _forecast(household: Any, origin: int, scaling: Any, row: np.ndarray) -> dict[str, Any]:
    kilowatts = np.round(features.decode_forecast(row, scaling), 6).tolist()
    timestamps = features.hour_timestamps(origin + 1, SPEC.horizon)
    return {
        "household_id": household,
        "forecast": [{"ts": ts, features.TARGET: kw} for ts, kw in zip(timestamps, kilowatts, strict=True)],
    }


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
