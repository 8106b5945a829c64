"""A loaded model: its bundle, flavour, runtime, hooks and the memory it takes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core.bundle_format import (
    JSON,
    BundleFormatError,
    Flavour,
    check_metadata,
    detect_flavour,
    read_metadata,
)
from services.forecaster.bundles import Hooks, load_hooks
from services.forecaster.errors import BundleError
from services.forecaster.runtimes import load_lstm, load_members, load_prophet


@dataclass
class LoadedModel:
    name: str
    url: str
    root: Path
    flavour: Flavour
    metadata: dict[str, Any]
    runtime: Any
    hooks: Hooks
    memory_bytes: int = 0
    members: dict[str, Any] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.time)

    @property
    def accepts(self) -> tuple[str, ...]:
        offered = self.metadata.get("accept") or [JSON]
        return tuple(str(kind) for kind in offered)

    @property
    def runtime_name(self) -> str:
        return str(getattr(self.runtime, "name", type(self.runtime).__name__))


def load_model(
    name: str, root: Path, *, url: str | None = None, uncertainty_samples: int = 300
) -> LoadedModel:
    if not root.is_dir():
        raise BundleError(f"{root} is not a model folder")
    try:
        flavour = detect_flavour(root)
        metadata = read_metadata(root)
        if metadata:
            check_metadata(metadata, flavour)
    except BundleFormatError as exc:
        raise BundleError(str(exc)) from exc
    hooks = load_hooks(root, module_name=f"wattcast_bundle_{abs(hash((name, str(root), time.time_ns())))}")
    members: dict[str, Any] = {}
    if flavour is Flavour.PROPHET:
        if hooks.handler is None:
            raise BundleError("a Prophet bundle needs code/inference.py with handler(data, context)")
        runtime = load_prophet(root, uncertainty_samples)
    else:
        runtime = load_lstm(root)
        members = load_members(root, metadata)
    return LoadedModel(
        name, url or str(root), root, flavour, metadata, runtime, hooks, _disk_bytes(root), members=members
    )


def _disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
