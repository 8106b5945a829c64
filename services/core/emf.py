"""The metrics of one invocation as CloudWatch embedded metric format (EMF) lines on stdout.

Lambda sends a function's stdout to CloudWatch Logs, which extracts the metrics of every EMF line.
The lines are the ones Powertools Metrics prints (tests/unit/test_metrics_emf.py holds them to
Powertools' own serialiser), written with the standard library because Powertools' `Metrics` keeps
its metric set at class level, shared by every instance in a process (the embedded stack runs
several functions' handlers in one process, on threads), and the forecaster image has no Powertools.

Names and units come from `services.core.metrics`; every document has the dimension `service`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.core.metrics import SERVICE_DIMENSION, spec
from services.core.settings import get_settings

logger = logging.getLogger(__name__)
MAX_VALUES_PER_METRIC = 100  # EMF: at most 100 values per metric in one document...
MAX_METRICS_PER_DOCUMENT = 100  # ...and 100 metrics
# Local stacks only: each EMF line is also appended to the file this variable names, so the local
# `wattcast stack status` reads every process's metrics from one place. Unset on AWS.
COPY_FILE_ENV = "WATTCAST_METRICS_COPY_FILE"
_output_lock = threading.Lock()  # whole lines: threads of one process never interleave theirs

DimensionKey = tuple[tuple[str, str], ...]


class ServiceMetrics:
    """The metrics of one invocation of one service; flushed as CloudWatch EMF JSON lines on stdout.

    One instance per invocation: instances share nothing, so concurrent invocations (of the same or
    of different services) never mix metrics or dimensions.
    """

    def __init__(self, service: str, namespace: str | None = None) -> None:
        self.service = service
        self.namespace = namespace or get_settings().metrics_namespace
        self._values: dict[DimensionKey, dict[str, list[float]]] = {}
        self._lock = threading.Lock()

    def add(self, name: str, value: float, **dimensions: str) -> None:
        """Add a value of a named metric (KeyError for a name `services.core.metrics` does not own).
        Extra dimensions (e.g. reason="bad_voltage") put the value in a document of its own."""
        spec(name)
        if SERVICE_DIMENSION in dimensions:
            raise ValueError(f"the {SERVICE_DIMENSION!r} dimension is the emitting service's own")
        if not math.isfinite(value):  # not valid JSON: CloudWatch would drop the whole line
            logger.warning("metric %s: %r is not a finite number; not emitted", name, value)
            return
        key = tuple(sorted((dimension, str(text)) for dimension, text in dimensions.items()))
        with self._lock:
            self._values.setdefault(key, {}).setdefault(name, []).append(float(value))

    def documents(self, timestamp_ms: int | None = None) -> list[dict[str, Any]]:
        """The EMF documents of what was added (without clearing it)."""
        timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        with self._lock:
            groups = [
                (dict(key), {n: list(v) for n, v in named.items()}) for key, named in self._values.items()
            ]
        return [
            emf_document(self.namespace, {SERVICE_DIMENSION: self.service, **extra}, part, timestamp_ms)
            for extra, named in groups
            for part in split_values(named)
        ]

    def flush(self) -> None:
        """Print the EMF lines (nothing when empty) and forget them: a second flush prints nothing."""
        documents = self.documents()
        with self._lock:
            self._values.clear()
        if documents:
            write_lines([json.dumps(d, separators=(",", ":")) for d in documents])


@contextmanager
def invocation_metrics(service: str) -> Iterator[ServiceMetrics]:
    """The metrics of one invocation, flushed on exit, also when the body raised."""
    metrics = ServiceMetrics(service)
    try:
        yield metrics
    finally:
        metrics.flush()


def split_values(named: dict[str, list[float]]) -> list[dict[str, list[float]]]:
    """Parts within EMF's limits: at most 100 values per metric and 100 metrics per document."""
    parts = []
    longest = max((len(values) for values in named.values()), default=0)
    for start in range(0, longest, MAX_VALUES_PER_METRIC):
        window = {
            name: values[start : start + MAX_VALUES_PER_METRIC]
            for name, values in named.items()
            if len(values) > start
        }
        names = list(window)
        for first in range(0, len(names), MAX_METRICS_PER_DOCUMENT):
            parts.append({n: window[n] for n in names[first : first + MAX_METRICS_PER_DOCUMENT]})
    return parts


def emf_document(
    namespace: str, dimensions: dict[str, str], named: dict[str, list[float]], timestamp_ms: int
) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": spec(name).unit} for name in named],
                }
            ],
        },
        **dimensions,
        **named,
    }


def write_lines(lines: list[str]) -> None:
    """To stdout, where Lambda (and SageMaker) ship them to CloudWatch Logs; under the local stack to
    its metrics file instead (its processes' stdout is a terminal or a command's own output)."""
    text = "".join(line + "\n" for line in lines)
    copy_file = os.environ.get(COPY_FILE_ENV)
    if copy_file and _append(copy_file, text.encode()):
        return
    with _output_lock:
        sys.stdout.write(text)
        sys.stdout.flush()


def _append(path: str, data: bytes) -> bool:
    """One O_APPEND write: the lines of several processes appending to one file stay whole. False
    (logged) when the file cannot be written: the lines go to stdout then."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        logger.warning("metrics not copied to %s: %s", path, exc)
        return False
    return True
