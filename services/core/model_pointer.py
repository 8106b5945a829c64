"""The model pointers: which bundle each model slot serves, one SSM parameter per slot (the only owner).

A slot is what preprocess asks the endpoint for: the LSTM, and the default Prophet model (households
without their own). Its parameter, `<model_pointer_prefix><slot>` (String), holds JSON:

    {"champion": "lstm/20261201120624.tar.gz",
     "previous": ["lstm/default.tar.gz", ...],      newest first, at most MAX_PREVIOUS
     "promoted_at": "2026-12-01T12:10:00Z",
     "holdout": {...}}                              the comparison that promoted it (or the rollback)

Promotion changes this one value; the bundles themselves are never overwritten (the multi-model
endpoint caches by target name). No parameter, or an empty prefix, means the settings' fixed target.

Pure parts first (the value, promotion, rollback), then the SSM adapter and the cached reader.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError, WattcastError
from services.core.settings import Settings

logger = logging.getLogger(__name__)
MAX_PREVIOUS = 5
MAX_VALUE_CHARS = 4096  # a standard-tier SSM parameter's limit


class ModelSlot(StrEnum):
    LSTM = "lstm"
    PROPHET_DEFAULT = "prophet-default"


class ModelPointerError(WattcastError):
    """A pointer's value is invalid, or the change asked of it is impossible (nothing to roll back)."""


def fixed_target(settings: Settings, slot: ModelSlot) -> str:
    """The target a slot serves without a pointer: the settings' name."""
    if slot is ModelSlot.LSTM:
        return settings.lstm_target_model
    return settings.prophet_default_model


def parameter_name(settings: Settings, slot: ModelSlot) -> str | None:
    """The slot's SSM parameter, or None when pointers are off (empty prefix)."""
    prefix = settings.model_pointer_prefix
    if not prefix:
        return None
    return (prefix if prefix.endswith("/") else prefix + "/") + slot.value


@dataclass(frozen=True)
class Pointer:
    champion: str
    previous: tuple[str, ...] = ()
    promoted_at: str = ""
    holdout: Mapping[str, Any] = field(default_factory=dict)


def serialise(pointer: Pointer) -> str:
    text = json.dumps(
        {
            "champion": pointer.champion,
            "previous": list(pointer.previous),
            "promoted_at": pointer.promoted_at,
            "holdout": dict(pointer.holdout),
        },
        separators=(",", ":"),
    )
    if len(text) > MAX_VALUE_CHARS:
        raise ModelPointerError(f"pointer value is {len(text)} characters; SSM holds {MAX_VALUE_CHARS}")
    return text


def parse(text: str) -> Pointer:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ModelPointerError(f"pointer value is not JSON: {exc}") from exc
    if not isinstance(value, dict) or not _is_target(value.get("champion")):
        raise ModelPointerError(f"pointer value needs a champion target: {text[:200]!r}")
    previous = value.get("previous", [])
    if not isinstance(previous, list) or not all(_is_target(p) for p in previous):
        raise ModelPointerError("pointer previous must be a list of targets")
    holdout = value.get("holdout") or {}
    if not isinstance(holdout, dict):
        raise ModelPointerError("pointer holdout must be an object")
    return Pointer(value["champion"], tuple(previous), str(value.get("promoted_at", "")), holdout)


def _is_target(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and value.endswith(".tar.gz")


def promoted(
    current: Pointer | None,
    challenger: str,
    *,
    fallback: str,
    now: datetime,
    holdout: Mapping[str, Any],
) -> Pointer:
    """The pointer once `challenger` is champion; the champion before it (`fallback`, the fixed
    target, when there was no pointer) becomes the newest previous."""
    champion = current.champion if current is not None else fallback
    if challenger == champion:
        raise ModelPointerError(f"{challenger} is the champion already")
    earlier = current.previous if current is not None else ()
    previous = [champion, *(p for p in earlier if p not in (champion, challenger))]
    return Pointer(challenger, tuple(previous[:MAX_PREVIOUS]), timestamp(now), dict(holdout))


def rolled_back(current: Pointer, *, now: datetime) -> Pointer:
    """The previous champion restored; the one rolled back from is dropped (never re-promoted by a
    second rollback)."""
    if not current.previous:
        raise ModelPointerError(f"nothing to roll back to: {current.champion} has no previous champion")
    restored, *rest = current.previous
    return Pointer(restored, tuple(rest), timestamp(now), {"rolled_back_from": current.champion})


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The SSM adapter -------------------------------------------------------------------------------------


class PointerSource(Protocol):
    def get(self, slot: ModelSlot) -> Pointer | None:
        """The slot's pointer; None when it has none. DependencyError if it cannot be read."""


class SsmPointers:
    """The pointers as SSM parameters (through AwsClients' shared "ssm" client)."""

    def __init__(self, clients: AwsClients, settings: Settings | None = None) -> None:
        self._clients = clients
        self._settings = settings or clients.settings

    def name(self, slot: ModelSlot) -> str | None:
        return parameter_name(self._settings, slot)

    def get(self, slot: ModelSlot) -> Pointer | None:
        name = self.name(slot)
        if name is None:
            return None
        ssm = self._clients.client("ssm")
        try:
            value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"reading the model pointer {name}: {exc}") from exc
        return parse(value)

    def put(self, slot: ModelSlot, pointer: Pointer) -> str:
        """Write the slot's pointer (String, overwritten); returns the parameter's name."""
        name = self.name(slot)
        if name is None:
            raise ModelPointerError("model pointers are off (model_pointer_prefix is empty)")
        value = serialise(pointer)
        try:
            self._clients.client("ssm").put_parameter(
                Name=name,
                Value=value,
                Type="String",
                Overwrite=True,
                Description=f"Wattcast {slot.value} champion bundle (JSON)",
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"writing the model pointer {name}: {exc}") from exc
        return name


# The cached reader (preprocess) ----------------------------------------------------------------------


@dataclass
class _Cached:
    target: str
    read_at: float


class ModelPointerReader:
    """Each slot's champion target, read at most once per `model_pointer_cache_seconds` per process.

    No pointer (or pointers off) is the fixed target, logged once per slot. A pointer that cannot be
    read keeps the last target read (logged) or, with none yet, raises DependencyError, so the records
    are retried rather than forecast by a model nobody chose.
    """

    def __init__(
        self,
        source: PointerSource,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._settings = settings
        self._clock = clock
        self._cache: dict[ModelSlot, _Cached] = {}
        self._fallback_logged: set[ModelSlot] = set()
        self._lock = threading.Lock()

    def target(self, slot: ModelSlot) -> str:
        if not self._settings.model_pointer_prefix:
            return self._fallback(slot, "model pointers are off")
        with self._lock:
            cached = self._cache.get(slot)
            now = self._clock()
            if cached is not None and now - cached.read_at < self._settings.model_pointer_cache_seconds:
                return cached.target
            target = self._read(slot, cached)
            self._cache[slot] = _Cached(target, now)
            return target

    def _read(self, slot: ModelSlot, cached: _Cached | None) -> str:
        try:
            pointer = self._source.get(slot)
        except (DependencyError, ModelPointerError) as exc:
            if cached is None:
                raise DependencyError(f"the {slot.value} model pointer is unreadable: {exc}") from exc
            logger.warning("the %s model pointer is unreadable; keeping %s: %s", slot, cached.target, exc)
            return cached.target
        if pointer is None:
            return self._fallback(slot, "no model pointer")
        return pointer.champion

    def _fallback(self, slot: ModelSlot, why: str) -> str:
        target = fixed_target(self._settings, slot)
        if slot not in self._fallback_logged:
            self._fallback_logged.add(slot)
            logger.info("%s for %s: serving the fixed target %s", why, slot.value, target)
        return target
