"""One batch of hour-closed events -> LSTM forecasts (one endpoint call) and month projections.

Pure orchestration over the ports: the Lambda sends raw hourly means and never scales or windows
data itself (the bundle does). The outcome names the Kinesis sequence numbers that failed.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from services.core import features
from services.core.days import day_rollup
from services.core.emf import ServiceMetrics
from services.core.errors import DependencyError
from services.core.forecast_store import ForecastItem
from services.core.hour_closed import HOUR_CLOSED, HourClosedEvent, decode_events
from services.core.hourly import HourlyRow, hours_payload
from services.core.month_projection import projection_item, projection_request
from services.core.reading import format_ts
from services.core.settings import Settings
from services.preprocess.history_cache import HistoryCache
from services.preprocess.ports import ForecastedHours, Forecaster, ForecastStore, HourlyHistory

logger = logging.getLogger(__name__)
DAY_CLOSING_HOUR = 23
HISTORY_READERS = 8  # concurrent Queries, within botocore's pool of 10 connections per client


@dataclass(frozen=True)
class PreprocessPorts:
    history: HourlyHistory
    forecaster: Forecaster
    store: ForecastStore
    forecasted: ForecastedHours | None = None  # None: nobody scores the forecasts (tests, tools)
    history_cache: HistoryCache | None = None  # the container's recent hours over `history`


ClosedHour = HourClosedEvent  # the hour-closed event, as services/core/hour_closed.py decodes it


@dataclass
class PreprocessOutcome:
    failed_sequence_numbers: set[str] = field(default_factory=set)
    forecasts_stored: int = 0
    warming_up: int = 0
    projections_stored: int = 0
    days_stored: int = 0
    forecasts_kept: int = 0  # revised hours whose forecast was issued already (left as issued)
    ignored_events: int = 0
    endpoint_calls: int = 0
    endpoint_errors: int = 0  # calls that failed until the deadline
    endpoint_latencies_ms: list[float] = field(default_factory=list)  # per call, retries included
    event_to_forecast_seconds: list[float] = field(default_factory=list)  # per stored LSTM forecast

    def summary(self) -> dict[str, Any]:
        return {
            "failed_records": len(self.failed_sequence_numbers),
            "forecasts_stored": self.forecasts_stored,
            "warming_up": self.warming_up,
            "projections_stored": self.projections_stored,
            "days_stored": self.days_stored,
            "forecasts_kept": self.forecasts_kept,
            "ignored_events": self.ignored_events,
            "endpoint_calls": self.endpoint_calls,
            "endpoint_errors": self.endpoint_errors,
        }

    def record(self, metrics: ServiceMetrics) -> None:
        """The batch's metrics; the counts also when zero, so they have data whenever preprocess runs."""
        metrics.add("ForecastsStored", self.forecasts_stored)
        metrics.add("HouseholdsWarmingUp", self.warming_up)
        metrics.add("EndpointErrors", self.endpoint_errors)
        for milliseconds in self.endpoint_latencies_ms:
            metrics.add("EndpointLatency", milliseconds)
        for seconds in self.event_to_forecast_seconds:
            metrics.add("EventToForecastLatency", seconds)


def decode_hour_closed_events(
    lambda_records: Sequence[Mapping[str, Any]], outcome: PreprocessOutcome
) -> list[ClosedHour]:
    """Decode hour-closed events; anything else is logged and skipped (retrying would not fix it)."""
    events, ignored = decode_events(lambda_records, HOUR_CLOSED)
    outcome.ignored_events += ignored
    return events


def preprocess_batch(
    lambda_records: Sequence[Mapping[str, Any]], ports: PreprocessPorts, settings: Settings, deadline: float
) -> PreprocessOutcome:
    """`deadline` (time.monotonic()) bounds the retries of endpoint calls within the Lambda's time."""
    outcome = PreprocessOutcome()
    by_household: dict[str, list[ClosedHour]] = defaultdict(list)
    for event in decode_hour_closed_events(lambda_records, outcome):
        by_household[event.household_id].append(event)
    histories = _read_histories(by_household, ports, settings, outcome)
    batch = _Batch(by_household, histories, ports, settings, deadline)
    items = _lstm_forecasts(batch, outcome) + _projections(batch, outcome) + _day_rollups(batch)
    _store(items, ports, outcome)
    _announce_forecasted(by_household, ports, outcome)
    return outcome


def _announce_forecasted(
    by_household: Mapping[str, list[ClosedHour]], ports: PreprocessPorts, outcome: PreprocessOutcome
) -> None:
    """Each hour whose forecasts are stored (or whose household is still warming up) goes to the
    forecasted stream, for production scoring; one that cannot be announced is retried."""
    if ports.forecasted is None:
        return
    failed = outcome.failed_sequence_numbers
    done = [e for events in by_household.values() for e in events if e.sequence_number not in failed]
    if not done:
        return
    try:
        unannounced = ports.forecasted.publish(done)
    except DependencyError as exc:
        logger.warning("announcing %d forecasted hours failed; they are retried: %s", len(done), exc)
        unannounced = done
    failed.update(e.sequence_number for e in unannounced)


@dataclass(frozen=True)
class _Batch:
    by_household: Mapping[str, list[ClosedHour]]
    histories: Mapping[str, list[HourlyRow]]
    ports: PreprocessPorts
    settings: Settings
    deadline: float


def _read_histories(
    by_household: Mapping[str, list[ClosedHour]],
    ports: PreprocessPorts,
    settings: Settings,
    outcome: PreprocessOutcome,
) -> dict[str, list[HourlyRow]]:
    """One query per household covering every window and month-to-date the batch needs (through
    the container's cache: only the hours it lacks), up to HISTORY_READERS at a time (each Query
    waits on the network, not on this CPU)."""
    spans = {household_id: _history_span(events, settings) for household_id, events in by_household.items()}
    cache = ports.history_cache
    with ThreadPoolExecutor(max_workers=max(1, min(HISTORY_READERS, len(spans)))) as pool:
        reads = {
            h: pool.submit(cache.window, h, *span, by_household[h])
            if cache
            else pool.submit(ports.history.rows, h, *span)
            for h, span in spans.items()
        }
    histories = {}
    for household_id, read in reads.items():
        try:
            histories[household_id] = read.result()
        except DependencyError as exc:
            logger.warning("history of %s unreadable; its records are retried: %s", household_id, exc)
            outcome.failed_sequence_numbers.update(e.sequence_number for e in by_household[household_id])
    return histories


def _history_span(events: list[ClosedHour], settings: Settings) -> tuple[datetime, datetime]:
    last = max(e.hour for e in events)
    window_start = min(e.hour for e in events) - timedelta(hours=settings.history_hours - 1)
    return min([window_start, *(_month_start(e) for e in events if e.closes_day)]), last


def _month_start(event: ClosedHour) -> datetime:
    as_of = event.hour.date() + timedelta(days=1)
    return datetime(as_of.year, as_of.month, 1, tzinfo=UTC)


def _lstm_forecasts(batch: _Batch, outcome: PreprocessOutcome) -> list[tuple[ForecastItem, ClosedHour]]:
    settings = batch.settings
    events = [e for h in batch.histories for e in sorted(batch.by_household[h], key=lambda e: e.hour)]
    encoded = []
    for event in events:
        first = event.hour - timedelta(hours=settings.history_hours - 1)
        hours = hours_payload(batch.histories[event.household_id], first, event.hour)
        instance = {"household_id": event.household_id, "hours": hours or [{"ts": format_ts(event.hour)}]}
        encoded.append((event, json.dumps(instance, separators=(",", ":"))))
    items = []
    for chunk in payload_chunks(encoded, int(settings.forecaster_max_body_bytes * 0.9)):
        body = lstm_request_body([text for _, text in chunk])
        try:
            answer, model = _timed_call(outcome, batch.ports.forecaster.lstm, body, batch.deadline)
        except DependencyError as exc:
            logger.warning("LSTM forecasts failed; %d records are retried: %s", len(chunk), exc)
            outcome.failed_sequence_numbers.update(e.sequence_number for e, _ in chunk)
            continue
        outcome.endpoint_calls += 1
        for (event, _), prediction in zip(chunk, answer["predictions"], strict=True):
            if "error" in prediction:
                outcome.warming_up += 1
                continue
            items.append((_lstm_item(event, prediction, model, settings), event))
    return items


Answer = TypeVar("Answer")
Arguments = ParamSpec("Arguments")


def _timed_call(
    outcome: PreprocessOutcome,
    call: Callable[Arguments, Answer],
    *args: Arguments.args,
    **kwargs: Arguments.kwargs,
) -> Answer:
    """One endpoint call through the forecaster port: its time (retries included) and its failure."""
    started = time.monotonic()
    try:
        return call(*args, **kwargs)
    except DependencyError:
        outcome.endpoint_errors += 1
        raise
    finally:
        outcome.endpoint_latencies_ms.append((time.monotonic() - started) * 1000)


LSTM_BODY_START, LSTM_BODY_END = b'{"errors":"per_instance","instances":[', b"]}"


def lstm_request_body(instances: Sequence[str]) -> bytes:
    """The request body from already encoded instances (each instance is serialised once)."""
    return LSTM_BODY_START + ",".join(instances).encode() + LSTM_BODY_END


def payload_chunks(pairs: list[tuple[ClosedHour, str]], max_bytes: int) -> list[list[tuple[ClosedHour, str]]]:
    """As few endpoint calls as the invocation payload limit allows: one per batch when it fits."""
    chunks: list[list[tuple[ClosedHour, str]]] = []
    size = 0
    for pair in pairs:
        length = len(pair[1].encode()) + 1  # the instance and its comma
        if not chunks or size + length > max_bytes:
            chunks.append([])
            size = len(LSTM_BODY_START) + len(LSTM_BODY_END)
        chunks[-1].append(pair)
        size += length
    return chunks


FORECAST_QUANTILES = ("p10", "p50", "p90")  # stored as kw_p10... when the model answers them


def _lstm_item(event: ClosedHour, prediction: dict[str, Any], model: str, settings: Settings) -> ForecastItem:
    forecast = prediction["forecast"]
    quantiles = {f"kw_{q}": [f[q] for f in forecast] for q in FORECAST_QUANTILES if q in forecast[0]}
    return ForecastItem(
        event.household_id,
        f"lstm#{forecast[0]['ts']}",
        {
            "kind": "lstm",
            "issued_for": forecast[0]["ts"],
            "origin": format_ts(event.hour),
            "kw": [f[features.TARGET] for f in forecast],
            **quantiles,
            "model": model,
            "event_arrival": event.arrival,
            "expires_at": int(event.arrival) + settings.forecast_ttl_days * 86_400,
        },
    )


def _projections(batch: _Batch, outcome: PreprocessOutcome) -> list[tuple[ForecastItem, ClosedHour]]:
    if batch.settings.projection_route == "batch":
        return []  # the nightly projections make them (services/projections)
    items = []
    for household_id, rows in batch.histories.items():
        for event in (e for e in batch.by_household[household_id] if e.closes_day):
            request = projection_request(household_id, event.hour.date() + timedelta(days=1), rows)
            try:
                answer, model = _timed_call(
                    outcome, batch.ports.forecaster.projection, household_id, request, batch.deadline
                )
            except DependencyError as exc:
                logger.warning("projection for %s failed; retried: %s", household_id, exc)
                outcome.failed_sequence_numbers.add(event.sequence_number)
                continue
            outcome.endpoint_calls += 1
            items.append((_projection_item(event, answer, model, batch.settings), event))
    return items


def _projection_item(
    event: ClosedHour, answer: dict[str, Any], model: str, settings: Settings
) -> ForecastItem:
    as_of = event.hour.date() + timedelta(days=1)
    return projection_item(event.household_id, as_of, answer, model, arrival=event.arrival, settings=settings)


def _day_rollups(batch: _Batch) -> list[tuple[ForecastItem, ClosedHour]]:
    """Each closing (or revised closed) day's rollup, from the hours the batch read anyway."""
    items = []
    for household_id, rows in batch.histories.items():
        for event in (e for e in batch.by_household[household_id] if e.closes_day):
            rollup = day_rollup(household_id, event.hour.date(), rows)
            attributes = {
                "kind": "day",
                "day": rollup.day.isoformat(),
                **rollup.as_attributes(),
                "event_arrival": event.arrival,
                "expires_at": int(event.arrival) + batch.settings.day_rollup_ttl_days * 86_400,
            }
            items.append((ForecastItem(household_id, f"day#{rollup.day.isoformat()}", attributes), event))
    return items


def event_to_forecast_seconds(events: Sequence[ClosedHour], stored_at: float) -> list[float]:
    """For each stored forecast whose event says when its closing reading arrived: how long ago."""
    return [stored_at - e.closing_arrival for e in events if e.closing_arrival is not None]


def _store(
    items: list[tuple[ForecastItem, ClosedHour]], ports: PreprocessPorts, outcome: PreprocessOutcome
) -> None:
    """Write the items. A revised hour's LSTM forecast is written only if none is stored: an issued
    forecast is the record of what was forecast then, never rewritten with hindsight."""
    if not items:
        return
    by_key = {(i.household_id, i.forecast_key): event for i, event in items}
    first_issue = [i for i, e in items if e.revised and i.forecast_key.startswith("lstm#")]
    overwrite = [i for i, e in items if not (e.revised and i.forecast_key.startswith("lstm#"))]
    failed = ports.store.put(overwrite) if overwrite else []
    written, not_written = ports.store.put_new(first_issue) if first_issue else ([], [])
    failed += not_written
    for item in failed:
        outcome.failed_sequence_numbers.add(by_key[(item.household_id, item.forecast_key)].sequence_number)
    stored = {(i.household_id, i.forecast_key) for i in [*overwrite, *written]} - {
        (i.household_id, i.forecast_key) for i in failed
    }
    outcome.forecasts_stored += sum(1 for h, k in stored if k.startswith("lstm#"))
    outcome.event_to_forecast_seconds += event_to_forecast_seconds(
        [by_key[key] for key in stored if key[1].startswith("lstm#")], time.time()
    )
    outcome.projections_stored += sum(1 for h, k in stored if k.startswith("month#"))
    outcome.days_stored += sum(1 for h, k in stored if k.startswith("day#"))
    outcome.forecasts_kept += len(first_issue) - len(written) - len(not_written)
