"""Bundles scored as the forecaster serves them: unpacked, loaded and invoked in process.

`invoke` is the code path behind `/invocations`, `/models/{name}/invoke` and the runtime path: the
bundle's handler, its feature code and the forecaster's runtimes. Only the HTTP layer is skipped.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from services.forecaster.bundles import unpack_bundle
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import LoadedModel, load_model

MAX_BUNDLE_BYTES = 2 * 10**9


class ServedBundle:
    def __init__(self, archive: Path, name: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="wattcast-evaluate-")
        root = unpack_bundle(archive, Path(self._tmp.name) / name, MAX_BUNDLE_BYTES)
        self.model: LoadedModel = load_model(name, root)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.model.metadata

    def ask(self, request: dict[str, Any], accept: str = "application/json") -> Any:
        body = json.dumps(request).encode()
        answer = invoke(self.model, InvocationRequest(body, accept=accept)).body
        return answer if accept != "application/json" else json.loads(answer)

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> ServedBundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
