"""Per-shard counters of a mapping, and a thread that publishes them as JSON for `wattcast stack status`."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.local.esm.checkpoints import write_json_atomically
from scripts.local.esm.failures import iso_millis

logger = logging.getLogger(__name__)


def status_path(stack_dir: Path, function_name: str) -> Path:
    """Where a runner publishes its status, for another process to read."""
    return stack_dir / f"esm-{function_name}.json"


def read_status(path: Path) -> dict[str, Any] | None:
    """The last status a runner published at `path`, or None if there is none (yet)."""
    try:
        loaded: Any = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


@dataclass
class ShardStatus:
    shard_id: str
    state: str = "waiting-for-parent"  # then "polling", "finished" or "crashed"
    last_sequence_number: str | None = None
    iterator_age_ms: int | None = None
    records_delivered: int = 0
    records_discarded: int = 0
    batches_ok: int = 0
    batches_failed: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    in_flight: dict[str, Any] | None = None  # the batch being invoked: records, first sequence, seconds


@dataclass(frozen=True)
class _InFlight:
    records: int
    first_sequence_number: str
    oldest_arrival: float
    started: float


class ShardStatusBoard:
    """One shard's status, updated by its worker thread and read by any other thread."""

    def __init__(self, shard_id: str, clock: Callable[[], float]) -> None:
        self._status = ShardStatus(shard_id)
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: _InFlight | None = None

    def invoking(self, records: int, first_sequence_number: str, oldest_arrival: float) -> None:
        """A batch is handed to the function: until `invoked`, the snapshot shows it and its age."""
        with self._lock:
            self._in_flight = _InFlight(records, first_sequence_number, oldest_arrival, self._clock())

    def invoked(self) -> None:
        with self._lock:
            self._in_flight = None

    def update(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._status, name, value)

    def add(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self._status, name, getattr(self._status, name) + value)

    def error(self, message: str) -> None:
        self.update(last_error=message, last_error_at=iso_millis(self._clock()))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snapshot = dataclasses.asdict(self._status)
            batch = self._in_flight
        if batch is not None:  # the records wait while the function runs: their age keeps growing
            now = self._clock()
            snapshot["in_flight"] = {
                "records": batch.records,
                "first_sequence_number": batch.first_sequence_number,
                "seconds": round(now - batch.started, 1),
            }
            oldest = max(0, int((now - batch.oldest_arrival) * 1000))
            snapshot["iterator_age_ms"] = max(snapshot["iterator_age_ms"] or 0, oldest)
        return snapshot

    @property
    def state(self) -> str:
        with self._lock:
            return self._status.state


class StatusWriter:
    """Writes `source()` to `path` (atomically) every `interval_seconds` until stopped, then once more."""

    def __init__(
        self, source: Callable[[], dict[str, Any]], path: Path, interval_seconds: float = 2.0
    ) -> None:
        self.source = source
        self.path = path
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"esm-status-{self.path.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.write()

    def write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomically(self.path, self.source())
        except OSError as exc:
            logger.warning("cannot write mapping status to %s: %s", self.path, exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.write()
