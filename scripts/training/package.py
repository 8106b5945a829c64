"""Build model bundles (model.tar.gz) in the layout DESIGN.md fixes and the forecaster loads.

LSTM: `1/` SavedModel (TensorFlow Serving layout) + `model.onnx` + `code/inference.py` +
`code/lib/wattcast_features.py` (a copy of services/core/features.py) + `metadata.json`.
Prophet: `model.json` (prophet.serialize, never pickle) + `code/inference.py` + `metadata.json`.
Built bundles are artefacts: never committed.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BUNDLE_SOURCES = REPO / "model_bundles"
FEATURES_SOURCE = REPO / "services" / "core" / "features.py"
SAVED_MODEL_VERSION = "1"


def package_lstm(model: Any, out: Path, metadata: dict[str, Any], *, onnx: bool = True) -> Path:
    """Export a Keras model (input named "window") to a bundle at `out` (a .tar.gz path)."""
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model.export(str(root / SAVED_MODEL_VERSION), format="tf_saved_model", verbose=False)
        if onnx:
            _convert_to_onnx(model, root / "model.onnx", metadata)
        _copy_code(root, "lstm")
        (root / "code" / "lib").mkdir()
        shutil.copy(FEATURES_SOURCE, root / "code" / "lib" / "wattcast_features.py")
        full = {
            "flavour": "lstm",
            "keras_version": keras.__version__,
            "accept": ["application/json"],
            **metadata,
        }
        full["runtimes"] = ["onnxruntime", "tensorflow"] if onnx else ["tensorflow"]
        (root / "metadata.json").write_text(json.dumps(full, indent=2))
        return _tar(root, out)


def _convert_to_onnx(model: Any, path: Path, metadata: dict[str, Any]) -> None:
    import tensorflow as tf
    import tf2onnx

    spec = (
        tf.TensorSpec((None, metadata["lookback"], len(metadata["channels"])), tf.float32, name="window"),
    )
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path=str(path))


def package_prophet(model: Any, out: Path, metadata: dict[str, Any]) -> Path:
    from prophet.serialize import model_to_json

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "model.json").write_text(model_to_json(model))
        _copy_code(root, "prophet")
        full = {"flavour": "prophet", "accept": ["application/json", "image/png"], **metadata}
        (root / "metadata.json").write_text(json.dumps(full, indent=2))
        return _tar(root, out)


def _copy_code(root: Path, flavour: str) -> None:
    (root / "code").mkdir()
    shutil.copy(BUNDLE_SOURCES / flavour / "code" / "inference.py", root / "code" / "inference.py")


def _tar(root: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return out
