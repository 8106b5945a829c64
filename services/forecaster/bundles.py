"""Model bundles on disk: safe unpacking and the bundle's own handler code (the format itself is
`services.core.bundle_format`).

`code/inference.py` holds the handlers, with the TensorFlow Serving container's hooks:
`handler(data, context)`, or `input_handler` + `output_handler`. It may declare `BAD_INPUT`, the
exception types that mean "the caller sent a bad request" (answered 400); any other exception a
handler raises is the bundle's own failure (answered 500, SageMaker's ModelError).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from services.core.bundle_format import HANDLER_FILE, LIB_DIR
from services.forecaster.errors import BundleError

MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class Hooks:
    handler: Callable[[Any, Any], Any] | None = None
    input_handler: Callable[[Any, Any], Any] | None = None
    output_handler: Callable[[Any, Any], Any] | None = None
    bad_input: tuple[type[BaseException], ...] = ()  # the handler's "bad request" exceptions


def unpack_bundle(archive: Path, destination: Path, max_bytes: int) -> Path:
    """Extract a model.tar.gz into `destination`, refusing anything that could escape it.

    Refused: absolute paths, `..`, links that point outside, devices, more than MAX_MEMBERS files and
    more than `max_bytes` unpacked. Extraction goes to a temporary folder moved into place at the end.
    """
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            _check_members(members, max_bytes)
            destination.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=destination.parent))
            _extract(tar, staging, archive)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError(f"bundle {archive.name} is not a readable tar archive: {exc}") from exc
    if destination.exists():
        shutil.rmtree(destination)
    staging.rename(destination)
    return destination


def _extract(tar: tarfile.TarFile, staging: Path, archive: Path) -> None:
    """With the "data" filter where Python has it (3.11.4+); `_check_members` already refused every
    member that could escape, so older Pythons (Debian bookworm's 3.11.2) extract without it."""
    if not hasattr(tarfile, "data_filter"):
        tar.extractall(staging)  # members were checked by _check_members
        return
    try:
        tar.extractall(staging, filter="data")
    except tarfile.FilterError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundleError(f"bundle {archive.name}: unsafe member: {exc}") from exc


def _check_members(members: list[tarfile.TarInfo], max_bytes: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise BundleError(f"bundle has {len(members)} members; at most {MAX_MEMBERS}")
    total = 0
    for member in members:
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts:
            raise BundleError(f"bundle member {member.name!r} points outside the bundle")
        if member.islnk() or member.issym():
            target = PurePosixPath(member.linkname)
            if target.is_absolute() or ".." in (path.parent / target).parts:
                raise BundleError(f"bundle link {member.name!r} -> {member.linkname!r} leads outside")
        elif not (member.isfile() or member.isdir()):
            raise BundleError(f"bundle member {member.name!r} is not a file or folder")
        total += member.size
        if total > max_bytes:
            raise BundleError(f"bundle unpacks to more than {max_bytes} bytes")


def load_hooks(root: Path, module_name: str) -> Hooks:
    """Import `code/inference.py` with the bundle's `code/lib` importable, isolated from other bundles.

    Modules imported from `code/lib` while the handler module loads are taken out of `sys.modules`
    afterwards (the handler keeps its references), so the next bundle imports its own copies.
    """
    script = root / HANDLER_FILE
    if not script.is_file():
        return Hooks()
    lib = root / LIB_DIR
    before = set(sys.modules)
    sys.path.insert(0, str(lib))
    try:
        module = _import(script, module_name)
    finally:
        sys.path.remove(str(lib))
        _forget_modules_under(lib, set(sys.modules) - before)
    hooks = Hooks(
        handler=getattr(module, "handler", None),
        input_handler=getattr(module, "input_handler", None),
        output_handler=getattr(module, "output_handler", None),
        bad_input=_bad_input(module),
    )
    if hooks.handler is None and (hooks.input_handler is None) != (hooks.output_handler is None):
        raise BundleError("code/inference.py must define handler, or both input_handler and output_handler")
    return hooks


def _bad_input(module: ModuleType) -> tuple[type[BaseException], ...]:
    declared = getattr(module, "BAD_INPUT", ())
    kinds = tuple(declared) if isinstance(declared, tuple | list) else (declared,)
    if not all(isinstance(kind, type) and issubclass(kind, Exception) for kind in kinds):
        raise BundleError(f"{HANDLER_FILE}: BAD_INPUT must be exception classes, got {declared!r}")
    return kinds


def _import(script: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, script)
    if spec is None or spec.loader is None:
        raise BundleError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the bundle's own code: any failure means the bundle is unusable
        raise BundleError(f"code/inference.py failed to import: {type(exc).__name__}: {exc}") from exc
    return module


def _forget_modules_under(lib: Path, names: set[str]) -> None:
    root = str(lib.resolve())
    for name in names:
        origin = getattr(sys.modules.get(name), "__file__", None) or ""
        if origin and str(Path(origin).resolve()).startswith(root):
            del sys.modules[name]
