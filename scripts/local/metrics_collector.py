"""The services' metrics in the embedded stack: the EMF lines every local function, the forecaster and
the household API print, collected in one file and summarised for `wattcast stack status`.

The stack names the file in `services.core.emf.COPY_FILE_ENV` before it starts anything, so every
process it runs (the in-process handlers, the forecaster's and the gateway's workers) appends its
lines there as it prints them. Nothing parses logs: the file holds EMF documents only.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.emf import COPY_FILE_ENV
from services.core.metrics import METRICS, REASON_DIMENSION, SERVICE_DIMENSION

LATENCY_UNITS = ("Milliseconds", "Seconds")
ORDER = {m.name: i for i, m in enumerate(METRICS)}
SERVICE_ORDER = {s: i for i, s in enumerate(dict.fromkeys(m.service for m in METRICS))}


def metrics_file(stack_dir: Path) -> Path:
    return stack_dir / "metrics.jsonl"


class MetricsCollection:
    """Points the stack's processes at a fresh metrics file; `stop` undoes it (unless the variable
    was set before: then that file is used and left alone)."""

    def __init__(self, stack_dir: Path) -> None:
        self.path = metrics_file(stack_dir).resolve()
        self._owned = False

    def start(self) -> None:
        if COPY_FILE_ENV in os.environ:
            self.path = Path(os.environ[COPY_FILE_ENV])
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")  # one stack's metrics: a new stack starts from none
        os.environ[COPY_FILE_ENV] = str(self.path)
        self._owned = True

    def stop(self) -> None:
        if self._owned:
            os.environ.pop(COPY_FILE_ENV, None)
            self._owned = False


@dataclass(frozen=True)
class Sample:
    service: str
    name: str
    unit: str
    value: float
    reason: str | None = None


def read_documents(path: Path) -> Iterator[dict[str, Any]]:
    """The EMF documents in the file; a line that is not one (a write in progress) is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("_aws"), dict):
            yield document


def samples(document: dict[str, Any]) -> Iterator[Sample]:
    """Every value of every metric the document's directives name."""
    service = str(document.get(SERVICE_DIMENSION, "?"))
    reason = None if document.get(REASON_DIMENSION) is None else str(document[REASON_DIMENSION])
    for directive in document["_aws"].get("CloudWatchMetrics", []):
        for metric in directive.get("Metrics", []):
            name, unit = str(metric.get("Name")), str(metric.get("Unit", "None"))
            for value in _numbers(document.get(name)):
                yield Sample(service, name, unit, value, reason)


def _numbers(member: Any) -> list[float]:
    """EMF values: a number or an array of them."""
    values = member if isinstance(member, list) else [member]
    return [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]


@dataclass(frozen=True)
class MetricSummary:
    """One metric of one service (and one rejection reason): its samples' count and sum, and for a
    latency its percentiles (nearest rank) and maximum."""

    service: str
    name: str
    unit: str
    reason: str | None
    count: int
    total: float
    p50: float | None = None
    p95: float | None = None
    max: float | None = None


def summarise(all_samples: Iterable[Sample]) -> list[MetricSummary]:
    grouped: dict[tuple[str, str, str | None], list[Sample]] = defaultdict(list)
    for sample in all_samples:
        grouped[(sample.service, sample.name, sample.reason)].append(sample)
    return sorted((summary_of(group) for group in grouped.values()), key=_display_order)


def summary_of(group: list[Sample]) -> MetricSummary:
    first, values = group[0], sorted(s.value for s in group)
    latency = first.unit in LATENCY_UNITS
    return MetricSummary(
        first.service,
        first.name,
        first.unit,
        first.reason,
        count=len(values),
        total=sum(values),
        p50=nearest_rank(values, 0.50) if latency else None,
        p95=nearest_rank(values, 0.95) if latency else None,
        max=values[-1] if latency else None,
    )


def nearest_rank(ordered: list[float], quantile: float) -> float:
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


def _display_order(summary: MetricSummary) -> tuple[int, int, str, str]:
    return (
        SERVICE_ORDER.get(summary.service, len(SERVICE_ORDER)),
        ORDER.get(summary.name, len(ORDER)),
        summary.name,
        summary.reason or "",
    )


def collected(path: Path) -> list[MetricSummary]:
    """The summaries of every metric in the file."""
    return summarise(sample for document in read_documents(path) for sample in samples(document))


UNIT_SUFFIX = {"Milliseconds": " ms", "Seconds": " s", "Count": "", "None": ""}


def format_metrics(summaries: list[dict[str, Any]]) -> list[str]:
    """Status lines, one per metric (and rejection reason), from summaries as `dataclasses.asdict`."""
    if not summaries:
        return ["metrics: none emitted yet"]
    lines = ["metrics (samples, sum; latencies p50 / p95 / max):"]
    for s in summaries:
        label = f"{s['name']}[reason={s['reason']}]" if s.get("reason") else s["name"]
        suffix = UNIT_SUFFIX.get(s["unit"], "")
        line = f"  {s['service']:<20} {label:<40} {s['count']:>7,} samples, sum {_number(s['total'])}{suffix}"
        if s.get("p50") is not None:
            line += f"; {_number(s['p50'])} / {_number(s['p95'])} / {_number(s['max'])}{suffix}"
        lines.append(line)
    return lines


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) or abs(value) >= 100 else f"{value:,.3g}"
