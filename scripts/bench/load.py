"""`wattcast bench load`: the streaming path (ingest -> preprocess -> forecaster) for a fleet.

Two runs over the same simulated fleet (each household seeded with the LSTM's lookback of history,
then its measured hours streamed as meter records):
- stubbed: the ingest and preprocess pipelines (the handlers' code under their thin Lambda adapters)
  over in-memory ports, the forecaster's serving code in-process: the pipeline's own CPU, one thread;
- emulator: the embedded stack (moto on 127.0.0.1, the forecaster under gunicorn, the ingest and
  preprocess event source mappings calling the real Lambda handlers), records published with the
  meters' publisher: as fast as it goes (a flood), or at a steady pace of readings per second, as a
  fleet's meters publish (`--pace`).
CPU is process time: this process's (and, against the emulator, the forecaster's process tree).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from scripts.bench.aws_calls import count_calls, per_1000
from scripts.bench.cpu import per_household_hour, percentiles, process_tree_cpu, rate, threads_cpu
from scripts.bench.fleet import Fleet, SeededHour, build_fleet
from scripts.bench.load_ports import InProcessForecaster, MemoryForecasted, MemoryForecastStore, MemoryHistory
from scripts.bench.publishing import publish_paced, split_first_hour
from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.mappings import ingest_mapping, preprocess_mapping
from scripts.local.memory_ports import MemoryPorts
from scripts.local.stack import EmbeddedStack
from services.core.clients import AwsClients, get_clients
from services.core.hour_closed import HOUR_CLOSED, HourClosedEvent, encode_event
from services.core.items import from_item
from services.core.publisher import KinesisPublisher
from services.core.reading import MEASURES, format_ts
from services.core.settings import Settings
from services.ingest.pipeline import ingest_batch
from services.ingest.ports import HourClosed
from services.preprocess.history_cache import HistoryCache
from services.preprocess.pipeline import PreprocessPorts, preprocess_batch

LATENCY_POINTS = {"p50": 50.0, "p95": 95.0, "max": 100.0}
BATCH_WRITE_ITEMS = 25
HISTORY_HOURS = 336  # two weeks: enough for any bundle's lookback (the forecast contract's maximum)


class LoadError(RuntimeError):
    """A load run that did not deliver what it was given."""


@dataclass(frozen=True)
class LoadOptions:
    households: int = 1000
    hours: int = 3
    warm_hours: int = 48
    per_record: int = 60
    seed: int = 0
    pace: float | None = None  # readings per second against the emulator; None: a flood


@dataclass(frozen=True)
class Bundles:
    lstm: Path
    prophet: Path


def sample_bundles(directory: Path) -> Bundles:
    from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle

    return Bundles(
        sample_lstm_bundle(directory / "lstm.tar.gz"), sample_prophet_bundle(directory / "prophet.tar.gz")
    )


# ---- the stubbed run


def ingest_events(fleet: Fleet, batch_size: int, stream: str) -> list[dict[str, Any]]:
    """The readings stream's records as one shard delivers them to ingest, `batch_size` a batch."""
    arrival = time.time()
    return [
        kinesis_event_from_payloads(
            [data for _, data in fleet.records[i : i + batch_size]],
            partition_keys=[key for key, _ in fleet.records[i : i + batch_size]],
            first_sequence=10**20 + i,
            stream_name=stream,
            approximate_arrival=arrival,
        )
        for i in range(0, len(fleet.records), batch_size)
    ]


def hourly_event(events: Sequence[HourClosed], first_sequence: int, stream: str) -> dict[str, Any]:
    """Ingest's hour-closed events as the hourly stream delivers them to preprocess, arriving now."""
    payloads = [
        encode_event(
            HOUR_CLOSED,
            HourClosedEvent(
                e.household_id, e.hour, "", 0.0, e.revised, e.day_closed, e.closing_arrival, e.announcement
            ),
        )
        for e in events
    ]
    return kinesis_event_from_payloads(
        payloads,
        partition_keys=[e.household_id for e in events],
        first_sequence=first_sequence,
        stream_name=stream,
        approximate_arrival=time.time(),
    )


def chunks(items: Sequence[HourClosed], size: int) -> Iterator[Sequence[HourClosed]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _StubbedRun:
    settings: Settings
    ingest: MemoryPorts
    preprocess: PreprocessPorts
    forecaster: InProcessForecaster
    store: MemoryForecastStore
    ingest_cpu: float = 0.0
    preprocess_cpu: float = 0.0
    failed: int = 0
    hour_events: int = 0
    sequence: int = 10**20

    def ingest_one(self, event: dict[str, Any]) -> None:
        started = time.process_time()
        outcome = ingest_batch(event["Records"], self.ingest.ports(), self.settings)
        self.ingest_cpu += time.process_time() - started
        self.failed += len(outcome.failed_sequence_numbers)
        closed, self.ingest.hourly_events.events = self.ingest.hourly_events.events, []
        for chunk in chunks(closed, self.settings.preprocess_batch_size):
            self.preprocess_one(chunk)

    def preprocess_one(self, closed: Sequence[HourClosed]) -> None:
        event = hourly_event(closed, self.sequence, self.settings.hourly_stream)
        self.sequence += len(closed)
        self.hour_events += len(closed)
        deadline = time.monotonic() + self.settings.endpoint_retry_seconds
        started = time.process_time()
        outcome = preprocess_batch(event["Records"], self.preprocess, self.settings, deadline)
        self.preprocess_cpu += time.process_time() - started
        self.failed += len(outcome.failed_sequence_numbers)


def run_stubbed(fleet: Fleet, bundles: Bundles, work: Path) -> dict[str, Any]:
    """Ingest then preprocess, batch after batch as the two mappings would pass them on, in one
    thread with every AWS call answered in memory."""
    settings = Settings.from_env()
    memory = MemoryPorts()
    forecaster = InProcessForecaster.from_bundles(
        bundles.lstm, bundles.prophet, work, settings.lstm_target_model, settings.prophet_default_model
    )
    store = MemoryForecastStore()
    history = MemoryHistory((hour.row() for hour in fleet.warm), memory.aggregates)
    # as the handler builds them: the container's cache over the table
    cache = HistoryCache(history)
    ports = PreprocessPorts(history, forecaster, store, MemoryForecasted(), history_cache=cache)
    run = _StubbedRun(settings, memory, ports, forecaster, store)
    events = ingest_events(fleet, settings.ingest_batch_size, settings.readings_stream)
    started = time.perf_counter()
    for event in events:
        run.ingest_one(event)
    seconds = time.perf_counter() - started
    if run.failed:
        raise LoadError(f"{run.failed} records failed in the stubbed run")
    return _stubbed_figures(fleet, run, seconds, history.queries)


def _stubbed_figures(fleet: Fleet, run: _StubbedRun, seconds: float, queries: int) -> dict[str, Any]:
    forecaster_cpu = run.forecaster.cpu_seconds
    total = run.ingest_cpu + run.preprocess_cpu
    forecasts = run.store.count("lstm")
    return {
        "mode": "stubbed",
        "households": len(fleet.households),
        "readings": fleet.readings,
        "records": len(fleet.records),
        "hour_closed_events": run.hour_events,
        "forecasts": forecasts,
        "seconds": round(seconds, 2),
        "readings_per_s": round(rate(fleet.readings, seconds)),
        "forecasts_per_s": round(rate(forecasts, seconds), 1),
        # what one busy core would do: wall time is stretched when other processes share the CPUs
        "readings_per_cpu_s": round(rate(fleet.readings, total)),
        "cpu_s": {
            "ingest": round(run.ingest_cpu, 2),
            "preprocess": round(run.preprocess_cpu - forecaster_cpu, 2),
            "forecaster": round(forecaster_cpu, 2),
            "total": round(total, 2),
        },
        "cpu_s_per_household_hour": round(per_household_hour(total, fleet.household_hours), 5),
        "endpoint_calls": run.forecaster.calls,
        "history_queries": queries,
    }


# ---- against the emulator


def upload_bundles(clients: AwsClients, bundles: Bundles) -> None:
    settings = clients.settings
    for target, bundle in (
        (settings.lstm_target_model, bundles.lstm),
        (settings.prophet_default_model, bundles.prophet),
    ):
        clients.s3.upload_file(str(bundle), settings.data_bucket, settings.models_prefix + target)


def seed_history(clients: AwsClients, hours: Sequence[SeededHour]) -> None:
    """The warm history written straight into the hourly table, 25 items a call."""
    table = clients.settings.hourly_table
    for start in range(0, len(hours), BATCH_WRITE_ITEMS):
        requests: Any = [{"PutRequest": {"Item": h.item()}} for h in hours[start : start + BATCH_WRITE_ITEMS]]
        for _ in range(20):
            response = clients.dynamodb.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table)
            if not requests:
                break
            time.sleep(0.05)
        else:
            raise LoadError("the emulator kept items of the warm history unprocessed")


def lstm_forecasts(clients: AwsClients) -> list[dict[str, Any]]:
    """Every stored LSTM forecast's keys and times (a paginated scan)."""
    paginator = clients.dynamodb.get_paginator("scan")
    items = []
    for page in paginator.paginate(
        TableName=clients.settings.forecasts_table,
        FilterExpression="begins_with(forecast_key, :k)",
        ExpressionAttributeValues={":k": {"S": "lstm#"}},
        ProjectionExpression="household_id, forecast_key, event_arrival, stored_at",
    ):
        items += [from_item(item) for item in page["Items"]]
    return items


def warm_forecaster(calls: int = 8, rounds: int = 10, warm_seconds: float = 0.5) -> None:
    """Load the LSTM in every forecaster worker before measuring: a multi-model endpoint's first
    call of a target downloads and loads it (seconds), which is not the steady state. Rounds of
    concurrent calls until one round answers within `warm_seconds` (the workers are not chosen by
    the caller). The request is a valid one (two weeks of plain hours, what any lookback needs): a
    request the bundle refuses would load the model but leave its runtime's first run cold. Through
    the clients the handlers share, so their first batch does not create the runtime client either
    (seconds on a busy machine: a cold start, not the steady state)."""
    clients = get_clients()
    clients.client("ssm")  # the model pointers' reader
    for _ in range(rounds):
        started = time.monotonic()
        _warm_round(clients, calls)
        if time.monotonic() - started < warm_seconds:
            return


def _warm_round(clients: AwsClients, calls: int) -> None:
    settings = clients.settings
    body = json.dumps({"instances": [{"household_id": "warm-up", "hours": _plain_hours(HISTORY_HOURS)}]})

    def call(_: int) -> None:
        try:
            clients.client("sagemaker-runtime").invoke_endpoint(
                EndpointName=settings.forecaster_endpoint,
                TargetModel=settings.lstm_target_model,
                ContentType="application/json",
                Accept="application/json",
                Body=body.encode(),
            )["Body"].read()
        except ClientError as exc:
            raise LoadError(f"the forecaster refused the warm-up request: {exc}") from exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(call, range(calls)))


def _plain_hours(count: int) -> list[dict[str, Any]]:
    first = datetime(2010, 1, 1, tzinfo=UTC)
    values = dict.fromkeys(MEASURES, 1.0) | {"voltage": 240.0}
    return [{"ts": format_ts(first + timedelta(hours=i)), **values} for i in range(count)]


def forecaster_pid(stack: EmbeddedStack) -> int:
    if stack.forecaster is None or stack.forecaster.pid is None:
        raise LoadError("the forecaster is not running")
    return stack.forecaster.pid


def failed_batches(stack: EmbeddedStack) -> dict[str, int]:
    """Each mapping's failed invocations (timeouts and partial failures, retried): a run is steady
    only if these stay near zero, since a retried batch does its work again."""
    return {
        runner.mapping.function_name: sum(s["batches_failed"] for s in runner.status()["shards"].values())
        for runner in stack.runners
    }


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def run_emulator(fleet: Fleet, bundles: Bundles, pace: float | None = None) -> dict[str, Any]:
    """The fleet through the embedded stack's ingest and preprocess mappings, published as fast as
    the publisher goes (`pace` None) or at `pace` readings per second."""
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False, portal=False)
        assert stack.clients is not None
        clients = stack.clients
        upload_bundles(clients, bundles)
        seed_history(clients, fleet.warm)
        warm_forecaster()
        calls = count_calls()
        pid, emulator = forecaster_pid(stack), stack.emulator_pid
        cpu_before, forecaster_before = own_cpu(), process_tree_cpu(pid)
        emulator_before = process_tree_cpu(emulator) if emulator else 0.0
        stack.start_mappings([ingest_mapping(clients.settings), preprocess_mapping(clients.settings)])
        started = time.time()
        publisher = KinesisPublisher(clients.kinesis, clients.settings.readings_stream)
        published = _publish(publisher, fleet, pace)
        stack.runners[0].run_until_idle(idle_seconds=0.5, timeout=3600)
        ingest_seconds = time.time() - started - 0.5
        stack.run_until_idle(idle_seconds=1.0, timeout=3600)
        mapping_cpu = threads_cpu(("esm-",))
        cpu = own_cpu() - cpu_before + (process_tree_cpu(emulator) - emulator_before if emulator else 0.0)
        forecaster_cpu = process_tree_cpu(pid) - forecaster_before
        items = lstm_forecasts(clients)
        failed = failed_batches(stack)
    finally:
        stack.stop()
    if published.failed:
        raise LoadError(f"{published.failed} records could not be published")
    timing = (started, ingest_seconds)
    figures = _emulator_figures(fleet, items, calls, timing, (mapping_cpu, cpu, forecaster_cpu))
    return figures | published.figures(fleet) | {"failed_batches": failed}


@dataclass(frozen=True)
class _Published:
    pace: float | None
    seconds: float
    worst_lag: float
    failed: int

    def figures(self, fleet: Fleet) -> dict[str, Any]:
        if self.pace is None:
            return {"pace_readings_per_s": None}
        return {
            "pace_readings_per_s": self.pace,
            "published_readings_per_s": round(rate(fleet.readings, self.seconds), 1),
            "publisher_worst_lag_s": round(self.worst_lag, 3),
        }


def _publish(publisher: KinesisPublisher, fleet: Fleet, pace: float | None) -> _Published:
    if pace is None:
        started = time.monotonic()
        failed = publisher.publish(fleet.records).records_failed
        return _Published(None, time.monotonic() - started, 0.0, failed)
    seconds, worst_lag, failed = publish_paced(publisher, fleet, pace)
    return _Published(pace, seconds, worst_lag, failed)


def _emulator_figures(
    fleet: Fleet,
    items: list[dict[str, Any]],
    calls: Any,
    timing: tuple[float, float],
    cpu: tuple[float, float, float],
) -> dict[str, Any]:
    """`timing`: (epoch when publishing started, seconds until ingest was idle); `cpu`: (mapping
    threads, this whole process and the emulator's, the forecaster's processes) in seconds."""
    started, ingest_seconds = timing
    mapping_cpu, process_cpu, forecaster_cpu = cpu
    stored = sorted(float(i["stored_at"]) for i in items)
    latency, steady = split_first_hour(items)
    end = stored[-1] if stored else started + ingest_seconds
    by_service, by_operation = per_1000(calls, fleet.readings, digits=3)
    pipeline_cpu = mapping_cpu + forecaster_cpu
    return {
        "mode": "emulator",
        "households": len(fleet.households),
        "readings": fleet.readings,
        "records": len(fleet.records),
        "forecasts": len(items),
        "seconds": round(end - started, 2),
        "readings_per_s": round(rate(fleet.readings, ingest_seconds)),
        "forecasts_per_s": round(rate(len(items), end - started), 1),
        "latency_s": percentiles(latency, LATENCY_POINTS),
        # without the fleet's first forecast hour: the cold start (every window read in full)
        "latency_s_after_first_hour": percentiles(steady, LATENCY_POINTS),
        "cpu_s": {
            "mappings_and_handlers": round(mapping_cpu, 2),
            "forecaster_process": round(forecaster_cpu, 2),
            "whole_process_incl_emulator": round(process_cpu, 2),
        },
        "cpu_s_per_household_hour": round(per_household_hour(pipeline_cpu, fleet.household_hours), 5),
        "aws_calls_per_reading": round(sum(calls.values()) / fleet.readings, 5),
        "calls_per_1000_readings": by_service,
        "calls_per_1000_by_operation": by_operation,
    }


def load_figures(
    options: LoadOptions, modes: Sequence[str] = ("stubbed", "emulator")
) -> list[dict[str, Any]]:
    fleet = build_fleet(
        options.households,
        options.hours,
        warm_hours=options.warm_hours,
        per_record=options.per_record,
        seed=options.seed,
    )
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        bundles = sample_bundles(Path(tmp))
        for mode in modes:
            if mode == "stubbed":
                figures.append(run_stubbed(fleet, bundles, Path(tmp) / "stubbed"))
            else:
                figures.append(run_emulator(fleet, bundles, options.pace))
    return figures
