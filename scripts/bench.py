"""`wattcast bench ingest` (make bench): figures for the ingest path.

- handler throughput (readings/s) against the emulator, the full Lambda handler;
- pipeline throughput with every AWS call stubbed (in-memory ports), to separate our CPU cost;
- AWS calls per 1,000 readings, by service and operation (counted on the boto3 clients);
- replay (publisher) throughput into the emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from typing import Any

from services.core.clients import get_clients
from services.core.lambda_events import LocalLambdaContext, kinesis_event_from_payloads
from services.core.settings import Settings
from services.core.simulate import simulate_households
from services.core.uci import default_data_path, load_uci, minute_readings
from services.ingest.memory import MemoryPorts
from services.ingest.pipeline import ingest_batch
from scripts.replay import ReplayOptions, replay
from scripts.stack import EmbeddedStack

SERVICES = ("kinesis", "s3", "dynamodb", "sqs")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks that print figures")
    commands = parser.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    ingest = commands.add_parser("ingest", help="ingest handler throughput and AWS calls per 1,000 readings")
    ingest.add_argument("--households", type=int, default=20)
    ingest.add_argument("--hours", type=int, default=12)
    ingest.add_argument("--batch-size", type=int, default=500)
    ingest.add_argument("--json", action="store_true", help="print the figures as JSON")
    ingest.set_defaults(func=run_ingest)


def build_events(households: int, hours: int, batch_size: int) -> tuple[list[dict[str, Any]], int]:
    """Kinesis events of minute-major readings, `batch_size` records each, as one shard delivers them."""
    frame = load_uci(default_data_path(), start="2010-01-04", end=f"2010-01-{4 + (hours + 23) // 24:02d}")
    frame = frame.iloc[: hours * 60]
    series = {hid: list(minute_readings(f, hid)) for hid, f in simulate_households(frame, households).items()}
    readings = [series[hid][i] for i in range(len(frame)) for hid in series]
    payloads = [json.dumps(r, separators=(",", ":")).encode() for r in readings]
    keys = [r["household_id"] for r in readings]
    events = [
        kinesis_event_from_payloads(
            payloads[i : i + batch_size], partition_keys=keys[i : i + batch_size], first_sequence=10**20 + i
        )
        for i in range(0, len(payloads), batch_size)
    ]
    return events, len(readings)


def bench_stubbed(events: list[dict[str, Any]], readings: int) -> float:
    memory, settings = MemoryPorts(), Settings.from_env()
    started = time.perf_counter()
    for event in events:
        ingest_batch(event["Records"], memory.ports(), settings)
    return readings / (time.perf_counter() - started)


def bench_emulator(events: list[dict[str, Any]], readings: int) -> tuple[float, Counter[str]]:
    from services.ingest.handler import lambda_handler

    calls: Counter[str] = Counter()
    clients = get_clients()
    for service in SERVICES:
        clients.client(service).meta.events.register(
            "before-call", lambda model, service=service, **_: calls.update([f"{service}.{model.name}"])
        )
    started = time.perf_counter()
    for event in events:
        response = lambda_handler(event, LocalLambdaContext("wattcast-ingest"))
        if response["batchItemFailures"]:
            raise RuntimeError(f"benchmark batch failed: {response}")
    return readings / (time.perf_counter() - started), calls


def run_ingest(args: argparse.Namespace) -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    events, readings = build_events(args.households, args.hours, args.batch_size)
    stubbed = bench_stubbed(events, readings)
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False)
        emulator, calls = bench_emulator(events, readings)
        sent = replay(ReplayOptions(households=args.households, days=args.hours / 24, progress=False), stack.clients)
    finally:
        stack.stop()
    per_1000 = {name: round(count * 1000 / readings, 2) for name, count in sorted(calls.items())}
    by_service = Counter[str]()
    for name, count in calls.items():
        by_service[name.split(".")[0]] += count
    figures = {
        "readings": readings,
        "batch_size": args.batch_size,
        "handler_readings_per_s_emulator": round(emulator),
        "pipeline_readings_per_s_aws_stubbed": round(stubbed),
        "aws_calls_per_1000_readings_by_service": {s: round(c * 1000 / readings, 2) for s, c in by_service.items()},
        "aws_calls_per_1000_readings_by_operation": per_1000,
        "replay_records_per_s_emulator": round(sent.records / sent.seconds),
        "replay_put_records_calls": sent.put_calls,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"ingest benchmark: {readings:,} readings of {args.households} households, batches of {args.batch_size}")
    print(f"  handler against the emulator (moto):  {emulator:>10,.0f} readings/s")
    print(f"  pipeline with AWS calls stubbed:      {stubbed:>10,.0f} readings/s")
    print(f"  replay (publisher) into the emulator: {figures['replay_records_per_s_emulator']:>10,} records/s")
    print("  AWS calls per 1,000 readings:")
    for service, value in sorted(figures["aws_calls_per_1000_readings_by_service"].items()):  # type: ignore[attr-defined]
        print(f"    {service:<9} {value:>7.2f}")
    for name, value in per_1000.items():
        print(f"      {name:<32} {value:>7.2f}")
    return 0
