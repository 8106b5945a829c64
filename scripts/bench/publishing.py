"""Publishing a fleet's records for the benchmarks: at a steady pace of readings per second, and the
latency split the paced runs report (the first hour's cold start apart from the steady state)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from scripts.bench.fleet import Fleet, due_batches, due_offsets
from services.core.publisher import KinesisPublisher


def publish_paced(
    publisher: KinesisPublisher, fleet: Fleet, pace: float, tick_seconds: float = 0.1
) -> tuple[float, float, int]:
    """Publish the fleet's records at `pace` readings per second: (seconds taken, the most a send
    started behind its due time, records that failed)."""
    offsets = due_offsets(fleet.readings_per_record, pace)
    started = time.monotonic()
    worst_lag, failed = 0.0, 0
    for due, first, end in due_batches(offsets, tick_seconds):
        delay = started + due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        worst_lag = max(worst_lag, -delay)
        failed += publisher.publish(fleet.records[first:end]).records_failed
    return time.monotonic() - started, worst_lag, failed


def latency(item: dict[str, Any]) -> float:
    """Hour closed (its event's arrival in the hourly stream) -> forecast stored."""
    return float(item["stored_at"]) - float(item["event_arrival"])


def split_first_hour(items: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """(every forecast's latency, those after the first forecast hour): the fleet's first hour is
    the functions' cold start (clients created, each household's history read in full)."""
    first_key = min((i["forecast_key"] for i in items), default="")
    return [latency(i) for i in items], [latency(i) for i in items if i["forecast_key"] != first_key]
