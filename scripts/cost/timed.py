"""The stream functions' handlers, timed: `wattcast cost measure` points the local mappings here so
that each invocation's records and handler seconds are recorded (what Lambda bills as duration)."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HANDLERS = {
    "ingest": "services.ingest.handler.lambda_handler",
    "preprocess": "services.preprocess.handler.lambda_handler",
    "alerts": "services.portal.handler.alerts_handler",
    "statements": "services.portal.statement_handler.statements_handler",
    "accuracy": "services.accuracy.handler.lambda_handler",
}


@dataclass
class Timing:
    invocations: int = 0
    records: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the handler thread's own CPU: without the emulator's share of the wall


TIMINGS: dict[str, Timing] = {name: Timing() for name in HANDLERS}
_lock = threading.Lock()


def _resolve(path: str) -> Callable[[Any, Any], Any]:
    module, _, attribute = path.rpartition(".")
    handler: Callable[[Any, Any], Any] = getattr(importlib.import_module(module), attribute)
    return handler


def _timed(role: str, event: Any, context: Any) -> Any:
    handler = _resolve(HANDLERS[role])
    started, cpu_started = time.perf_counter(), time.thread_time()
    try:
        return handler(event, context)
    finally:
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        with _lock:
            timing = TIMINGS[role]
            timing.invocations += 1
            timing.records += len(event.get("Records", ())) if isinstance(event, dict) else 0
            timing.seconds += elapsed
            timing.cpu_seconds += cpu


def ingest(event: Any, context: Any) -> Any:
    return _timed("ingest", event, context)


def preprocess(event: Any, context: Any) -> Any:
    return _timed("preprocess", event, context)


def alerts(event: Any, context: Any) -> Any:
    return _timed("alerts", event, context)


def statements(event: Any, context: Any) -> Any:
    return _timed("statements", event, context)


def accuracy(event: Any, context: Any) -> Any:
    return _timed("accuracy", event, context)
