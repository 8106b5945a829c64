"""Loaded models of a multi-model endpoint: bounded by a count and a memory budget, LRU unloaded.

A model's memory is measured as the growth of the process's resident set while it loads (loads are
serialised), and never taken as less than its size on disk.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from services.core.emf import invocation_metrics
from services.core.metrics import FORECASTER
from services.forecaster.errors import (
    BadRequestError,
    InsufficientMemoryError,
    ModelAlreadyLoadedError,
    ModelNotFoundError,
)
from services.forecaster.loaded_model import LoadedModel, load_model

logger = logging.getLogger(__name__)
Fetcher = Callable[[str], Path]  # target model name -> unpacked bundle folder


def resident_bytes() -> int:
    try:
        with Path("/proc/self/statm").open() as statm:
            return int(statm.read().split()[1]) * 4096
    except OSError:
        return 0


class ModelRegistry:
    def __init__(
        self,
        *,
        max_models: int,
        memory_budget_bytes: int,
        uncertainty_samples: int = 300,
        fetcher: Fetcher | None = None,
    ) -> None:
        self.max_models = max_models
        self.memory_budget_bytes = memory_budget_bytes
        self.uncertainty_samples = uncertainty_samples
        self._fetcher = fetcher
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()

    def load(self, name: str, url: str) -> LoadedModel:
        """Load a bundle folder as `name`: 409 if loaded, 507 if it cannot fit even alone."""
        with self._load_lock:
            return self._load_locked(name, url)

    def _load_locked(self, name: str, url: str) -> LoadedModel:
        with self._lock:
            if name in self._models:
                raise ModelAlreadyLoadedError(f"model {name} is already loaded", field="model_name")
        before = resident_bytes()
        model = load_model(name, Path(url), url=url, uncertainty_samples=self.uncertainty_samples)
        model.memory_bytes = max(model.memory_bytes, resident_bytes() - before)
        with self._lock:
            evicted = self._make_room(model)
            self._models[name] = model
        _count_loaded(evicted)
        logger.info(
            "loaded %s (%s, %s, %.1f MB)", name, model.flavour, model.runtime_name, model.memory_bytes / 1e6
        )
        return model

    def _make_room(self, model: LoadedModel) -> int:
        """Unload the least recently used models until `model` fits; returns how many."""
        if model.memory_bytes > self.memory_budget_bytes:
            raise InsufficientMemoryError(
                f"model {model.name} needs {model.memory_bytes / 1e6:.1f} MB, "
                f"more than the whole budget of {self.memory_budget_bytes / 1e6:.1f} MB"
            )
        unloaded = 0
        while self._models and (
            len(self._models) >= self.max_models
            or self.used_bytes() + model.memory_bytes > self.memory_budget_bytes
        ):
            evicted, _ = self._models.popitem(last=False)
            unloaded += 1
            logger.info("unloaded %s (least recently used) to make room for %s", evicted, model.name)
        return unloaded

    def get(self, name: str) -> LoadedModel:
        with self._lock:
            model = self._models.get(name)
            if model is None:
                raise ModelNotFoundError(f"model {name} is not loaded")
            self._models.move_to_end(name)
            return model

    def get_or_fetch(self, name: str) -> LoadedModel:
        """The model, fetched and loaded first if needed, as SageMaker does for a target model."""
        try:
            return self.get(name)
        except ModelNotFoundError:
            if self._fetcher is None:
                raise
        with self._load_lock:  # one fetch per target even when requests for it arrive together
            with self._lock:
                if name in self._models:
                    return self.get(name)
            folder = self._fetcher(name)
            return self._load_locked(name, str(folder))

    def unload(self, name: str) -> None:
        with self._lock:
            if self._models.pop(name, None) is None:
                raise ModelNotFoundError(f"model {name} is not loaded")
        with invocation_metrics(FORECASTER) as metrics:  # SageMaker unloads a model to make room
            metrics.add("ModelEvictions", 1)

    def list(
        self, next_page_token: str | None = None, max_results: int = 100
    ) -> tuple[list[LoadedModel], str | None]:
        if not 1 <= max_results <= 1000:
            raise BadRequestError("max_results must be 1..1000", field="max_results")
        start = _decode_token(next_page_token)
        with self._lock:
            names = sorted(self._models)
            page = [self._models[n] for n in names[start : start + max_results]]
        more = start + max_results < len(names)
        return page, _encode_token(start + max_results) if more else None

    def used_bytes(self) -> int:
        return sum(m.memory_bytes for m in self._models.values())

    def __len__(self) -> int:
        return len(self._models)


def _count_loaded(evicted: int) -> None:
    with invocation_metrics(FORECASTER) as metrics:
        metrics.add("ModelLoads", 1)
        metrics.add("ModelEvictions", evicted)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(
            "next_page_token is not a token this server issued", field="next_page_token"
        ) from exc
    if offset < 0:
        raise BadRequestError("next_page_token is not a token this server issued", field="next_page_token")
    return offset
