"""Prophet bundles for a night's projections: the default loaded once, each household's own loaded,
used and dropped (a million of them do not fit in memory), both through the forecaster's runtime so
that an answer equals the endpoint's."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.errors import WattcastError
from services.core.settings import Settings
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import LoadedModel, load_model
from services.projections.ports import BundleFetcher


class NoProphetModelError(WattcastError):
    """Neither the household's own bundle nor the default exists."""


@dataclass
class Timings:
    load_seconds: float = 0.0
    projection_seconds: float = 0.0


class NightBundles:
    def __init__(self, fetcher: BundleFetcher, settings: Settings, workdir: Path | None = None) -> None:
        self._fetcher = fetcher
        self._settings = settings
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="wattcast-projections-"))
        self._default: tuple[str, LoadedModel] | None = None
        self.timings = Timings()

    def project(self, household_id: str, request: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The projection from the household's own model, else the default, and which one answered."""
        own = self._settings.prophet_target_model.format(household_id=household_id)
        folder = self._timed_fetch(own, self._workdir / "own")
        if folder is not None:
            try:
                return self._ask(self._load(own, folder), request), own
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        target, model = self._default_model()
        return self._ask(model, request), target

    def _default_model(self) -> tuple[str, LoadedModel]:
        if self._default is None:
            target = self._fetcher.default_target()
            folder = self._timed_fetch(target, self._workdir / "default")
            if folder is None:
                raise NoProphetModelError(f"the default Prophet model {target} does not exist")
            self._default = target, self._load(target, folder)
        return self._default

    def _timed_fetch(self, target: str, destination: Path) -> Path | None:
        started = time.perf_counter()
        try:
            return self._fetcher.fetch(target, destination)
        finally:
            self.timings.load_seconds += time.perf_counter() - started

    def _load(self, target: str, folder: Path) -> LoadedModel:
        started = time.perf_counter()
        try:
            return load_model(target, folder, uncertainty_samples=self._settings.prophet_uncertainty_samples)
        finally:
            self.timings.load_seconds += time.perf_counter() - started

    def _ask(self, model: LoadedModel, request: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = invoke(model, InvocationRequest(json.dumps(request).encode()))
            return json.loads(response.body)  # type: ignore[no-any-return]
        finally:
            self.timings.projection_seconds += time.perf_counter() - started
