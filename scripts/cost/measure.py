"""`wattcast cost measure`: the usage file, measured on a replay through the embedded stack.

The five stream functions run behind the local event source mappings with every AWS call counted on
the handlers' own clients (by the mapping thread that made it: esm-<function>-<shard>), DynamoDB
request units and Kinesis records and bytes read from each call's parameters and answers, handler
seconds timed around each invocation (scripts/cost/timed.py), and the tables' stored bytes scanned
at the end. The forecaster's figures come from the serving benchmark (scripts/bench/forecaster.py).
Everything is divided by its driver: readings for ingest, household-hours for the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import multiprocessing
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.cost.errors import CostInputError
from scripts.cost.usage import DEFAULT_USAGE, FUNCTIONS, ForecasterUsage, FunctionUsage, Usage, save_usage

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
EVENTUALLY_CONSISTENT = 0.5


@dataclass(frozen=True)
class MeasureOptions:
    households: int = 10
    days: float = 4.0  # the sample LSTM needs a few days of hours before its first forecast
    readings_per_record: int = 1
    start: str = "2010-01-04"
    bad_share: float = 0.02
    out: Path = DEFAULT_USAGE
    forecaster: bool = True

    def __post_init__(self) -> None:
        if self.households < 1 or self.days <= 0 or self.readings_per_record < 1:
            raise CostInputError("--households, --days and --per-record must be positive")

    @property
    def command(self) -> str:
        return (
            f"wattcast cost measure --households {self.households} --days {self.days:g} "
            f"--per-record {self.readings_per_record}"
        )


# ---------------------------------------------------------------- sizes, as DynamoDB and Kinesis count them


def attribute_bytes(value: dict[str, Any]) -> int:
    """An attribute value's size in DynamoDB's accounting, near enough (numbers about 1 byte per 2 digits)."""
    (kind, inner), *_ = value.items()
    sizer = _SIZERS.get(kind)
    return sizer(inner) if sizer else sum(len(str(v).encode()) for v in inner)  # SS, NS, BS


_SIZERS: dict[str, Any] = {
    "S": lambda inner: len(str(inner).encode()),
    "N": lambda inner: len(str(inner)) // 2 + 1,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "M": lambda inner: 3 + sum(len(k.encode()) + attribute_bytes(v) + 1 for k, v in inner.items()),
    "L": lambda inner: 3 + sum(attribute_bytes(v) + 1 for v in inner),
}


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def write_units(operation: str, params: dict[str, Any]) -> float:
    if operation == "PutItem":
        return max(1, math.ceil(item_bytes(params["Item"]) / WRITE_UNIT_BYTES))
    if operation in ("UpdateItem", "DeleteItem"):
        # the item's size after the update is not in the request: key + new values is a lower bound
        size = item_bytes(params["Key"]) + sum(
            attribute_bytes(v) for v in params.get("ExpressionAttributeValues", {}).values()
        )
        return max(1, math.ceil(size / WRITE_UNIT_BYTES))
    if operation == "BatchWriteItem":
        return sum(
            max(
                1,
                math.ceil(
                    item_bytes(r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])
                    / WRITE_UNIT_BYTES
                ),
            )
            for requests in params["RequestItems"].values()
            for r in requests
        )
    if operation == "TransactWriteItems":
        return 2.0 * len(params["TransactItems"])
    return 0.0


def read_units(operation: str, parsed: dict[str, Any]) -> float:
    """Eventually consistent reads (the handlers' default): half a unit per 4 KB read."""
    if operation == "GetItem":
        return EVENTUALLY_CONSISTENT * max(1, math.ceil(item_bytes(parsed.get("Item", {})) / READ_UNIT_BYTES))
    if operation in ("Query", "Scan"):
        size = sum(item_bytes(item) for item in parsed.get("Items", []))
        return EVENTUALLY_CONSISTENT * max(1, math.ceil(size / READ_UNIT_BYTES))
    if operation == "BatchGetItem":
        return EVENTUALLY_CONSISTENT * sum(
            max(1, math.ceil(item_bytes(item) / READ_UNIT_BYTES))
            for items in parsed.get("Responses", {}).values()
            for item in items
        )
    return 0.0


def body_bytes(body: Any) -> int:
    if isinstance(body, bytes | bytearray):
        return len(body)
    if isinstance(body, str):
        return len(body.encode())
    return 0


# ---------------------------------------------------------------- counting on the handlers' clients


@dataclass
class FunctionCounts:
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    kinesis_records: Counter[str] = dataclasses.field(default_factory=Counter)
    kinesis_bytes: Counter[str] = dataclasses.field(default_factory=Counter)
    s3_bytes: int = 0


def counts_json(counts: FunctionCounts) -> dict[str, Any]:
    """Not dataclasses.asdict: it rebuilds a Counter from (key, value) pairs and counts the pairs."""
    return {
        f.name: dict(v) if isinstance(v, Counter) else v
        for f in dataclasses.fields(counts)
        for v in [getattr(counts, f.name)]
    }


class Counting:
    """Hooks on the process's shared clients, attributing each call to the mapping thread's function."""

    def __init__(self, thread_prefixes: dict[str, str], streams: dict[str, str]) -> None:
        self.counts: dict[str, FunctionCounts] = defaultdict(FunctionCounts)
        self._prefixes = thread_prefixes  # "esm-wattcast-ingest-" -> "ingest"
        self._streams = streams  # stream name -> readings | hourly | forecasted
        self._lock = threading.Lock()

    def role(self) -> str | None:
        name = threading.current_thread().name
        return next((role for prefix, role in self._prefixes.items() if name.startswith(prefix)), None)

    def install(self, clients: Any, services: tuple[str, ...]) -> None:
        for service in services:
            events = clients.client(service).meta.events
            events.register(
                "provide-client-params",
                lambda params, model, service=service, **_: self._before(service, params, model),
            )
            events.register(
                "after-call", lambda parsed, model, service=service, **_: self._after(service, parsed, model)
            )

    def _before(self, service: str, params: dict[str, Any], model: Any) -> None:
        """Returns None: a value returned here would replace the call's parameters."""
        role = self.role()
        if role is None:
            return
        operation = model.name
        with self._lock:
            counts = self.counts[role]
            counts.calls[f"{service}.{operation}"] += 1
            if service == "dynamodb":
                counts.write_units += write_units(operation, params)
            elif service == "kinesis" and operation in ("PutRecords", "PutRecord"):
                records = params.get("Records") or [params]
                stream = self._streams.get(params.get("StreamName", "").rsplit("/", 1)[-1], "other")
                counts.kinesis_records[stream] += len(records)
                counts.kinesis_bytes[stream] += sum(
                    body_bytes(r["Data"]) + len(r["PartitionKey"].encode()) for r in records
                )
            elif service == "s3" and operation == "PutObject":
                counts.s3_bytes += body_bytes(params.get("Body"))

    def _after(self, service: str, parsed: dict[str, Any], model: Any) -> None:
        role = self.role()
        if role is None or service != "dynamodb":
            return
        units = read_units(model.name, parsed)
        with self._lock:
            self.counts[role].read_units += units


# ---------------------------------------------------------------- the replay


def stored_bytes(clients: Any, tables: dict[str, str]) -> dict[str, int]:
    """Bytes each table holds (a full scan of the emulator's tables)."""
    sizes = {}
    for label, table in tables.items():
        total = 0
        for page in clients.dynamodb.get_paginator("scan").paginate(TableName=table):
            total += sum(item_bytes(item) for item in page["Items"])
        sizes[label] = total
    return sizes


def measure_pipeline(options: MeasureOptions, bundles: dict[str, Path]) -> dict[str, Any]:
    from scripts.bench.aws_calls import LAMBDA_SERVICES
    from scripts.cost import timed
    from scripts.data.replay import ReplayOptions, replay
    from scripts.local.mappings import default_mappings
    from scripts.local.stack import EmbeddedStack
    from services.core.clients import get_clients

    stack = EmbeddedStack()
    try:
        stack.start(mappings=False)
        assert stack.clients is not None
        settings = stack.clients.settings
        for target, bundle in (
            (settings.lstm_target_model, bundles["lstm"]),
            (settings.prophet_default_model, bundles["prophet"]),
        ):
            stack.clients.s3.upload_file(str(bundle), settings.data_bucket, settings.models_prefix + target)
        roles = {getattr(settings, f"{role}_function"): role for role in FUNCTIONS}
        streams = {
            settings.readings_stream: "readings",
            settings.hourly_stream: "hourly",
            settings.forecasted_stream: "forecasted",
        }
        counting = Counting({f"esm-{name}-": role for name, role in roles.items()}, streams)
        counting.install(get_clients(), LAMBDA_SERVICES)
        mappings = [
            dataclasses.replace(m, handler=f"scripts.cost.timed.{roles[m.function_name]}")
            for m in default_mappings(settings)
        ]
        stack.start_mappings(mappings)
        replay_options = ReplayOptions(
            households=options.households,
            days=options.days,
            start=options.start,
            readings_per_record=options.readings_per_record,
            bad_share=options.bad_share,
            progress=False,
        )
        sent = replay(replay_options, stack.clients)
        stack.run_until_idle(idle_seconds=2.0, timeout=1800)
        tables = {
            label: getattr(settings, f"{label}_table")
            for label in ("hourly", "households", "forecasts", "settings", "alerts", "accuracy")
        }
        sizes = stored_bytes(stack.clients, tables)
        readings_bytes = _readings_bytes(stack.clients, settings.readings_stream)
    finally:
        stack.stop()
    return {
        "readings": sent.readings,
        "records": sent.records,
        "readings_bytes": readings_bytes,
        "timings": {role: dataclasses.asdict(t) for role, t in timed.TIMINGS.items()},
        "counts": {role: counts_json(c) for role, c in counting.counts.items()},
        "stored_bytes": sizes,
    }


def _readings_bytes(clients: Any, stream: str) -> int:
    """Bytes (data + partition keys) of every record the replay put on the readings stream."""
    total = 0
    for shard in clients.kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = clients.kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = clients.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            total += sum(len(r["Data"]) + len(r["PartitionKey"].encode()) for r in page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return total


def measure_forecaster(bundles: dict[str, Path], work: Path) -> ForecasterUsage:
    from scripts.bench.forecaster import over_http, prophet_figures
    from services.forecaster.bundles import unpack_bundle
    from services.forecaster.loaded_model import load_model

    root = unpack_bundle(bundles["lstm"], work / "lstm", 2 * 10**9)
    hours = max(48, int(load_model("lstm", root).metadata["lookback"]))
    http = over_http(root, hours, repeat=200)
    prophet = prophet_figures(bundles["prophet"], work, models=10)
    return ForecasterUsage(
        lstm_forecasts_per_s_per_instance=float(http["forecasts_per_s_batch64_2_clients"]),
        prophet_cold_load_s=float(prophet["cold_load_first_answer_s"]),
        prophet_warm_projection_s=round((prophet["warm_load_ms"] + prophet["request"]["p50_ms"]) / 1000, 4),
        prophet_model_mb=float(prophet["memory_per_model_mb"]),
    )


# ---------------------------------------------------------------- per driver


def function_usage(role: str, raw: dict[str, Any], readings: int, household_hours: float) -> FunctionUsage:
    per = FUNCTIONS[role]
    units = readings if per == "reading" else household_hours
    timing = raw["timings"][role]
    counts = raw["counts"].get(role, counts_json(FunctionCounts()))

    def each(value: float) -> float:
        return float(f"{value / units:.8g}")

    return FunctionUsage(
        per=per,
        invocations=each(timing["invocations"]),
        handler_seconds=each(timing["seconds"]),
        calls={name: each(count) for name, count in sorted(counts["calls"].items())},
        dynamodb_write_units=each(counts["write_units"]),
        dynamodb_read_units=each(counts["read_units"]),
        kinesis_records={k: each(v) for k, v in sorted(counts["kinesis_records"].items())},
        kinesis_bytes={k: each(v) for k, v in sorted(counts["kinesis_bytes"].items())},
        s3_bytes_written=each(counts["s3_bytes"]),
        handler_cpu_seconds=each(timing.get("cpu_seconds", 0.0)),
    )


def usage_from_measurement(
    options: MeasureOptions, raw: dict[str, Any], forecaster: ForecasterUsage, measured_at: str
) -> Usage:
    readings = int(raw["readings"])
    household_hours = options.households * options.days * 24
    functions = {role: function_usage(role, raw, readings, household_hours) for role in FUNCTIONS}
    return Usage(
        produced_by=options.command,
        measured_at=measured_at,
        replay={
            "households": options.households,
            "days": options.days,
            "readings": readings,
            "records": raw["records"],
            "readings_per_record": options.readings_per_record,
            "readings_per_household_hour": round(readings / household_hours, 3),
            "bad_share": options.bad_share,
            "timings": raw["timings"],
        },
        readings_bytes_per_reading=round(raw["readings_bytes"] / readings, 2),
        functions=functions,
        forecaster=forecaster,
        dynamodb_bytes_per_household_hour={
            table: round(size / household_hours, 2) for table, size in raw["stored_bytes"].items()
        },
        notes=[
            "handler seconds are measured against the embedded emulator (moto on loopback) on the "
            "measuring machine; Lambda bills the same handler's duration on its own CPU share",
            "forecaster figures are the serving benchmark's on the measuring machine (sample bundles, "
            "gunicorn with 2 workers standing for an ml.m5.large's 2 vCPU)",
            "DynamoDB units are computed from item sizes (eventually consistent reads; an update "
            "counted at the size of its key and new values, at least 1 unit)",
        ],
    )


def _measure_in_process(options: MeasureOptions) -> tuple[dict[str, Any], ForecasterUsage | None]:
    from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundles = {
            "lstm": sample_lstm_bundle(work / "lstm.tar.gz"),
            "prophet": sample_prophet_bundle(work / "prophet.tar.gz"),
        }
        raw = measure_pipeline(options, bundles)
        forecaster = measure_forecaster(bundles, work) if options.forecaster else None
    return raw, forecaster


def measure(options: MeasureOptions, previous: ForecasterUsage | None = None) -> Usage:
    """In a fresh process: the call counting hooks the process's shared clients, which must be new."""
    started = time.time()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        raw, forecaster = pool.submit(_measure_in_process, options).result()
    forecaster = forecaster or previous
    if forecaster is None:
        raise CostInputError(
            "no forecaster figures: measure them (drop --no-forecaster) or keep a usage file"
        )
    measured_at = dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    usage = usage_from_measurement(options, raw, forecaster, measured_at)
    save_usage(usage, options.out)
    return usage
