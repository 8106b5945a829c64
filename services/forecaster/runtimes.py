"""Model runtimes: the fastest one a bundle offers, behind one `predict(batch) -> array` call."""

from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from services.core.bundle_format import GBM_FILE, ONNX_FILE, PROPHET_FILE, saved_model_dir
from services.forecaster.errors import BundleError, ModelInputError

logger = logging.getLogger(__name__)


class LstmRuntime(Protocol):
    name: str

    def predict(self, batch: npt.NDArray[Any]) -> npt.NDArray[np.float64]: ...


class OnnxRuntime:
    name = "onnxruntime"

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # gunicorn workers are the parallelism; avoid oversubscription
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def predict(self, batch: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        (output, *_) = self._session.run(None, {self._input: np.asarray(batch, dtype=np.float32)})
        return np.asarray(output, dtype=np.float64)


class SavedModelRuntime:
    name = "tensorflow"

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        self._tf = tf
        loaded = tf.saved_model.load(str(path))
        self._loaded = loaded  # keep the object alive: the signature refers to its variables
        self._signature = loaded.signatures["serving_default"]
        _, inputs = self._signature.structured_input_signature
        self._input = next(iter(inputs))

    def predict(self, batch: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        outputs = self._signature(**{self._input: self._tf.constant(np.asarray(batch, dtype=np.float32))})
        return np.asarray(next(iter(outputs.values())).numpy(), dtype=np.float64)


def load_lstm(root: Path, prefer_onnx: bool = True) -> LstmRuntime:
    if prefer_onnx and (root / ONNX_FILE).is_file():
        return OnnxRuntime(root / ONNX_FILE)
    version = saved_model_dir(root)
    if version is None:
        raise BundleError("no SavedModel in the bundle")
    if importlib.util.find_spec("tensorflow") is None:
        raise BundleError(
            f"the bundle has no {ONNX_FILE} and this image has no TensorFlow for its SavedModel: "
            "package it with ONNX (wattcast train does) or serve it from the full forecaster image"
        )
    return SavedModelRuntime(version)


def load_members(root: Path, metadata: dict[str, Any]) -> dict[str, LstmRuntime]:
    """The bundle's other members the handler blends (today: the tree ensemble in gbm.onnx)."""
    if "gbm" not in metadata.get("members", {}):
        return {}
    if not (root / GBM_FILE).is_file():
        raise BundleError(f"metadata names a gbm member but the bundle has no {GBM_FILE}")
    return {"gbm": OnnxRuntime(root / GBM_FILE)}


def load_prophet(root: Path, uncertainty_samples: int) -> Any:
    from prophet.serialize import model_from_json

    logging.getLogger("prophet.plot").setLevel(logging.ERROR)
    text = (root / PROPHET_FILE).read_text()
    if "__prophet_version" not in text[:200_000]:
        raise BundleError(f"{PROPHET_FILE} was not written by prophet.serialize.model_to_json")
    try:
        model = model_from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{PROPHET_FILE} is not a Prophet model: {exc}") from exc
    model.uncertainty_samples = uncertainty_samples
    return model


@dataclass(frozen=True)
class TfServingResponse:
    """What the TensorFlow Serving container hands `output_handler`: a requests-like response."""

    content: bytes
    status_code: int = 200

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json.loads(self.content)


def predict_rest(runtime: LstmRuntime, body: bytes | str) -> TfServingResponse:
    """TensorFlow Serving's REST predict: {"instances": [...]} or {"inputs": [...]} -> predictions."""
    try:
        request = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ModelInputError(f"predict request is not JSON: {exc}") from exc
    rows = request.get("instances", request.get("inputs")) if isinstance(request, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ModelInputError(
            'predict request needs "instances" (or "inputs"): a non-empty list', field="instances"
        )
    try:
        batch = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ModelInputError(f"instances are not a numeric tensor: {exc}", field="instances") from exc
    try:
        predictions = runtime.predict(batch)
    except Exception as exc:  # a shape the model does not take is the caller's mistake
        raise ModelInputError(
            f"the model refused instances of shape {batch.shape}: {exc}", field="instances"
        ) from exc
    return TfServingResponse(json.dumps({"predictions": predictions.tolist()}).encode())
