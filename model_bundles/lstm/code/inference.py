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


METADATA = json.loads((Path(__file__).resolve().parent.parent / "metadata.json").read_text())
SPEC = features.WindowSpec(METADATA["lookback"], METADATA["horizon"])
MAX_INSTANCES = 1_000


def handler(data: Any, context: Any) -> tuple[bytes, str]:
    request = _read_json(data)
    instances = request.get("instances") if isinstance(request, dict) else None
    if not isinstance(instances, list) or not instances:
        raise ValueError("instances: a non-empty list of {household_id, hours} objects is required")
    if len(instances) > MAX_INSTANCES:
        raise ValueError(f"instances: at most {MAX_INSTANCES} per request, got {len(instances)}")
    inputs, scalings, origins, households = [], [], [], []
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise ValueError(f"instances[{i}] must be an object")
        try:
            series = features.series_from_hours(instance.get("hours"))
            x, scaling = features.model_input(series, SPEC)
        except features.FeatureError as exc:
            raise ValueError(f"instances[{i}]: {exc}") from exc
        inputs.append(x)
        scalings.append(scaling)
        origins.append(series.last)
        households.append(instance.get("household_id"))
    predicted = _predict(np.stack(inputs), context)
    predictions = [
        {
            "household_id": household,
            "forecast": [
                {"ts": ts, features.TARGET: kw}
                for ts, kw in zip(
                    features.hour_timestamps(origin + 1, SPEC.horizon),
                    np.round(features.decode_forecast(row, scaling), 6).tolist(),
                    strict=True,
                )
            ],
        }
        for household, origin, scaling, row in zip(households, origins, scalings, predicted, strict=True)
    ]
    return _dumps({"predictions": predictions}), "application/json"


def _read_json(data: Any) -> Any:
    raw = data.read() if hasattr(data, "read") else data
    try:
        return _loads(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"body: not JSON ({exc})") from exc


def _predict(batch: np.ndarray, context: Any) -> np.ndarray:
    model = getattr(context, "model", None)
    if model is not None:  # Wattcast's forecaster: the fastest runtime the bundle carries
        return np.asarray(model.predict(batch), dtype=np.float64)
    import requests  # the managed TensorFlow Serving container

    response = requests.post(context.rest_uri, json={"instances": batch.tolist()}, timeout=55)
    response.raise_for_status()
    return np.asarray(response.json()["predictions"], dtype=np.float64)
