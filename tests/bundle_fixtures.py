"""Bundles for forecaster tests: the sample bundles (built once per session) and hand-made ones."""

from __future__ import annotations

import shutil
import tarfile
import textwrap
from pathlib import Path

from services.forecaster.bundles import unpack_bundle


def unpacked_copy(archive: Path, destination: Path) -> Path:
    return unpack_bundle(archive, destination, 10**9)


def with_inference(source: Path, destination: Path, code: str, lib: dict[str, str] | None = None) -> Path:
    """A copy of an unpacked bundle whose code/inference.py (and code/lib) are replaced."""
    shutil.copytree(source, destination)
    code_dir = destination / "code"
    shutil.rmtree(code_dir, ignore_errors=True)
    (code_dir / "lib").mkdir(parents=True)
    (code_dir / "inference.py").write_text(textwrap.dedent(code))
    for name, text in (lib or {}).items():
        (code_dir / "lib" / name).write_text(textwrap.dedent(text))
    return destination


def tar_of(folder: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return archive
