"""The model bundle format (DESIGN.md, "Model bundle"): the one owner of its file names, its metadata
schema and how a bundle's flavour is recognised. The packager (scripts/training/package.py) writes
bundles with it; the forecaster reads them with it. Standard library only.

A bundle (model.tar.gz) unpacks to:

    LSTM      <version>/saved_model.pb, <version>/variables/   TensorFlow Serving layout
              model.onnx                                       optional, the faster runtime
              gbm.onnx                                         optional, a tree-ensemble member whose
                                                               output the handler blends ("members")
    Prophet   model.json                                       prophet.serialize.model_to_json
    both      code/inference.py                                the handlers (TF Serving hooks)
              code/requirements.txt                            a blended LSTM's: onnxruntime, for
                                                               the managed TF Serving container
              code/lib/                                        modules only that handler imports
              metadata.json                                    BundleMetadata below
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from services.core.errors import WattcastError

METADATA_FILE = "metadata.json"
ONNX_FILE = "model.onnx"
GBM_FILE = "gbm.onnx"  # the LSTM bundle's gradient-boosted member, when it blends one
PROPHET_FILE = "model.json"
SAVED_MODEL_FILE = "saved_model.pb"
SAVED_MODEL_VERSION = "1"  # the version folder the packager writes
HANDLER_FILE = "code/inference.py"
REQUIREMENTS_FILE = "code/requirements.txt"  # what the managed TF Serving container pip-installs
LIB_DIR = "code/lib"
FEATURES_MODULE = "wattcast_features"  # services/core/features.py as the LSTM handler imports it
VERSION_DIR = re.compile(r"^\d+$")
JSON = "application/json"
PNG = "image/png"


class Flavour(StrEnum):
    LSTM = "lstm"
    PROPHET = "prophet"


# Metadata every bundle carries, and what each flavour adds. Other keys (metrics, options, training
# ranges) are free-form and informational.
COMMON_FIELDS = ("flavour", "version", "accept", "data_range", "metrics")
FLAVOUR_FIELDS: dict[Flavour, tuple[str, ...]] = {
    Flavour.LSTM: ("lookback", "horizon", "channels", "target", "scaling", "runtimes"),
    Flavour.PROPHET: ("household_id",),
}
ACCEPTS: dict[Flavour, tuple[str, ...]] = {Flavour.LSTM: (JSON,), Flavour.PROPHET: (JSON, PNG)}
LSTM_SCALING = "per window: mean and std of each measure over the lookback's measured hours"


class BundleFormatError(WattcastError):
    """A bundle's contents or metadata do not follow the format."""


def lstm_metadata(
    *,
    version: str,
    lookback: int,
    horizon: int,
    channels: list[str],
    target: str,
    data_range: list[str],
    runtimes: list[str],
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The metadata of an LSTM bundle (every trainer and the sample bundles write this block)."""
    return {
        "flavour": Flavour.LSTM.value,
        "version": version,
        "accept": list(ACCEPTS[Flavour.LSTM]),
        "lookback": lookback,
        "horizon": horizon,
        "channels": channels,
        "target": target,
        "scaling": LSTM_SCALING,
        "runtimes": runtimes,
        "data_range": data_range,
        "metrics": metrics or {},
        **extra,
    }


def lstm_lookback(metadata: dict[str, Any]) -> int:
    """Hours the LSTM network reads; `lookback` is what the whole bundle needs (its widest member)."""
    return int(metadata.get("members", {}).get("lstm", {}).get("lookback", metadata["lookback"]))


def prophet_metadata(
    *,
    version: str,
    household_id: str,
    data_range: list[str],
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The metadata of a Prophet bundle (`level_adjustment: month_to_date` marks a default model)."""
    return {
        "flavour": Flavour.PROPHET.value,
        "version": version,
        "accept": list(ACCEPTS[Flavour.PROPHET]),
        "household_id": household_id,
        "data_range": data_range,
        "metrics": metrics or {},
        **extra,
    }


def check_metadata(metadata: dict[str, Any], flavour: Flavour) -> None:
    """Raise BundleFormatError unless the metadata has every field its flavour needs."""
    missing = [f for f in (*COMMON_FIELDS, *FLAVOUR_FIELDS[flavour]) if f not in metadata]
    if missing:
        raise BundleFormatError(f"{METADATA_FILE} lacks {', '.join(missing)} (a {flavour} bundle needs them)")
    if metadata["flavour"] != flavour.value:
        raise BundleFormatError(f"{METADATA_FILE} says {metadata['flavour']!r}, the files say {flavour}")


def detect_flavour(root: Path) -> Flavour:
    """The flavour from the files, not the name: model.json is Prophet, a SavedModel version is LSTM."""
    if (root / PROPHET_FILE).is_file():
        return Flavour.PROPHET
    if saved_model_dir(root) is not None:
        return Flavour.LSTM
    raise BundleFormatError(
        f"bundle at {root.name} holds no model: expected {PROPHET_FILE} (Prophet) "
        f"or <version>/{SAVED_MODEL_FILE} (TensorFlow Serving layout)"
    )


def saved_model_dir(root: Path) -> Path | None:
    """The highest numbered `<version>/` folder holding a SavedModel, as TensorFlow Serving picks it."""
    versions = [
        p
        for p in root.iterdir()
        if p.is_dir() and VERSION_DIR.match(p.name) and (p / SAVED_MODEL_FILE).is_file()
    ]
    return max(versions, key=lambda p: int(p.name)) if versions else None


def read_metadata(root: Path) -> dict[str, Any]:
    """metadata.json as a dict; an empty one when the bundle has none (a bare TF Serving model)."""
    path = root / METADATA_FILE
    if not path.exists():
        return {}
    try:
        metadata = json.loads(path.read_text())
    except ValueError as exc:
        raise BundleFormatError(f"{METADATA_FILE} is not JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise BundleFormatError(f"{METADATA_FILE} must hold a JSON object")
    return metadata


METADATA_SIDECAR_SUFFIX = ".metadata.json"


def metadata_sidecar(target: str) -> str:
    """The key (under the models prefix) of a bundle's metadata published beside it, so a reader
    (production scoring, `wattcast monitor`) gets the model's test metrics without unpacking it:
    `lstm/20261201.tar.gz` -> `lstm/20261201.metadata.json`."""
    stem = target[: -len(".tar.gz")] if target.endswith(".tar.gz") else target
    return stem + METADATA_SIDECAR_SUFFIX
