"""`wattcast bench ingest` (make bench): figures for the ingest path.

- handler throughput (readings/s) against the emulator, the full Lambda handler;
- pipeline throughput with every AWS call stubbed (in-memory ports), to separate our CPU cost;
- AWS calls per 1,000 readings, by service and operation (counted on the boto3 clients);
- replay (publisher) throughput into the emulator.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scripts.bench.aws_calls import count_calls, per_1000
from scripts.data.faults import malformed_record
from scripts.data.replay import ReplayOptions, replay
from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, load_uci, minute_readings
from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.memory_ports import MemoryPorts
from scripts.local.stack import EmbeddedStack
from services.core.settings import Settings
from services.ingest.pipeline import ingest_batch


@dataclass
class IngestFigures:
    readings: int
    malformed: int
    batch_size: int
    handler_readings_per_s_emulator: float
    pipeline_readings_per_s_aws_stubbed: float
    replay_records_per_s_emulator: float
    calls_per_1000_by_service: dict[str, float]
    calls_per_1000_by_operation: dict[str, float]


def build_events(
    households: int, hours: int, batch_size: int, bad_share: float
) -> tuple[list[dict[str, Any]], int, int]:
    """Kinesis events of minute-major readings (plus malformed records), as one shard delivers them."""
    frame = load_uci(default_data_path(), start="2010-01-04", end="2010-02-01").iloc[: hours * 60]
    series = {hid: list(minute_readings(f, hid)) for hid, f in simulate_households(frame, households).items()}
    rng = random.Random(0)
    records: list[tuple[str, bytes]] = []
    for minute in range(len(frame)):
        for household_id, readings in series.items():
            records.append((household_id, json.dumps(readings[minute], separators=(",", ":")).encode()))
            if rng.random() < bad_share:
                records.append((household_id, malformed_record(readings[minute], rng)[1]))
    events = [
        kinesis_event_from_payloads(
            [data for _, data in records[i : i + batch_size]],
            partition_keys=[key for key, _ in records[i : i + batch_size]],
            first_sequence=10**20 + i,
        )
        for i in range(0, len(records), batch_size)
    ]
    readings_total = len(frame) * households
    return events, readings_total, len(records) - readings_total


def bench_stubbed(events: list[dict[str, Any]], readings: int) -> float:
    memory, settings = MemoryPorts(), Settings.from_env()
    started = time.perf_counter()
    for event in events:
        ingest_batch(event["Records"], memory.ports(), settings)
    return readings / (time.perf_counter() - started)


def bench_emulator(events: list[dict[str, Any]], readings: int) -> tuple[float, Counter[str]]:
    from services.ingest.handler import lambda_handler

    calls = count_calls(("kinesis", "s3", "dynamodb", "sqs"))
    started = time.perf_counter()
    for event in events:
        response = lambda_handler(event, LocalLambdaContext("wattcast-ingest"))
        if response["batchItemFailures"]:
            raise RuntimeError(f"benchmark batch failed: {response}")
    return readings / (time.perf_counter() - started), calls


def measure_ingest(
    households: int = 20, hours: int = 12, batch_size: int = 500, bad_share: float = 0.02
) -> IngestFigures:
    events, readings, malformed = build_events(households, hours, batch_size, bad_share)
    stubbed = bench_stubbed(events, readings)
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False)
        emulator, calls = bench_emulator(events, readings)
        sent = replay(ReplayOptions(households=households, days=hours / 24, progress=False), stack.clients)
    finally:
        stack.stop()
    by_service, by_operation = per_1000(calls, readings)
    return IngestFigures(
        readings=readings,
        malformed=malformed,
        batch_size=batch_size,
        handler_readings_per_s_emulator=round(emulator),
        pipeline_readings_per_s_aws_stubbed=round(stubbed),
        replay_records_per_s_emulator=round(sent.records / sent.seconds),
        calls_per_1000_by_service=by_service,
        calls_per_1000_by_operation=by_operation,
    )


def format_ingest(figures: IngestFigures, households: int) -> str:
    lines = [
        f"ingest benchmark: {figures.readings:,} readings + {figures.malformed:,} malformed records, "
        f"{households} households, batches of {figures.batch_size}"
    ]
    rows = [
        ("handler against the emulator (moto)", figures.handler_readings_per_s_emulator, "readings/s"),
        ("pipeline with AWS calls stubbed", figures.pipeline_readings_per_s_aws_stubbed, "readings/s"),
        ("replay (publisher) into the emulator", figures.replay_records_per_s_emulator, "records/s"),
    ]
    lines += [f"  {label:<38} {value:>10,.0f} {unit}" for label, value, unit in rows]
    lines.append("  AWS calls per 1,000 readings")
    lines += [
        f"    {service:<10} {value:>7.2f}" for service, value in figures.calls_per_1000_by_service.items()
    ]
    lines += [
        f"      {operation:<30} {value:>7.2f}"
        for operation, value in figures.calls_per_1000_by_operation.items()
    ]
    return "\n".join(lines)
