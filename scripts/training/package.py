"""Build model bundles (model.tar.gz) in the format `services.core.bundle_format` defines.

LSTM: the SavedModel in `1/` + `model.onnx` (+ `gbm.onnx`, the blended member) + the handler +
`code/lib/wattcast_features.py` (a copy of services/core/features.py, so serving runs the feature code
training ran) + `metadata.json`.
Prophet: `model.json` (prophet.serialize, never pickle) + the handler + `metadata.json`.
Built bundles are artefacts: never committed.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from model_bundles import handler_source
from services.core import bundle_format as fmt
from services.core import features


def package_lstm(
    model: Any, out: Path, metadata: dict[str, Any], *, onnx: bool = True, gbm_onnx: bytes | None = None
) -> Path:
    """Export a Keras model (input named "window") with `fmt.lstm_metadata(...)` to a bundle at `out`;
    `gbm_onnx` is the gradient-boosted member (scripts.training.tree_onnx), when the bundle blends one."""
    import keras

    fmt.check_metadata(metadata, fmt.Flavour.LSTM)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model.export(str(root / fmt.SAVED_MODEL_VERSION), format="tf_saved_model", verbose=False)
        if onnx:
            _convert_to_onnx(model, root / fmt.ONNX_FILE, metadata)
        _copy_handler(root, fmt.Flavour.LSTM)
        if gbm_onnx is not None:
            (root / fmt.GBM_FILE).write_bytes(gbm_onnx)
            (root / fmt.REQUIREMENTS_FILE).write_text(f"onnxruntime=={version('onnxruntime')}\n")
        (root / fmt.LIB_DIR).mkdir()
        shutil.copy(features.__file__, root / fmt.LIB_DIR / f"{fmt.FEATURES_MODULE}.py")
        _write_metadata(root, {**metadata, "keras_version": keras.__version__})
        return _tar(root, out)


def _convert_to_onnx(model: Any, path: Path, metadata: dict[str, Any]) -> None:
    import tensorflow as tf
    import tf2onnx

    spec = (
        tf.TensorSpec(
            (None, fmt.lstm_lookback(metadata), len(metadata["channels"])), tf.float32, name="window"
        ),
    )
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path=str(path))


def package_prophet(model: Any, out: Path, metadata: dict[str, Any]) -> Path:
    """A fitted Prophet model with `fmt.prophet_metadata(...)` as a bundle at `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(prophet_bundle(model, metadata))
    return out


def prophet_bundle(model: Any, metadata: dict[str, Any]) -> bytes:
    """The bundle's model.tar.gz bytes, built in memory: the same model and metadata give the same
    bytes (members in a fixed order, no timestamps), whichever engine or process built them."""
    from prophet.serialize import model_to_json

    fmt.check_metadata(metadata, fmt.Flavour.PROPHET)
    members = {
        fmt.PROPHET_FILE: model_to_json(model).encode(),
        fmt.HANDLER_FILE: handler_source(fmt.Flavour.PROPHET.value).read_bytes(),
        fmt.METADATA_FILE: json.dumps(metadata, indent=2).encode(),
    }
    return _tar_bytes(members)


def _tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 in the gzip header too, so the archive's bytes depend on its content alone
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as tar,
    ):
        for directory in sorted({str(Path(name).parent) for name in members} - {"."}):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(members[name]), 0o644
            tar.addfile(info, io.BytesIO(members[name]))
    return buffer.getvalue()


def _copy_handler(root: Path, flavour: fmt.Flavour) -> None:
    target = root / fmt.HANDLER_FILE
    target.parent.mkdir(parents=True)
    target.write_bytes(handler_source(flavour.value).read_bytes())


def _write_metadata(root: Path, metadata: dict[str, Any]) -> None:
    (root / fmt.METADATA_FILE).write_text(json.dumps(metadata, indent=2))


def _tar(root: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return out
