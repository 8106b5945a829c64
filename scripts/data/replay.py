"""`wattcast replay`: publish readings of N households from the real data into the readings stream.

Built on `services.core.publisher.KinesisPublisher`, the same class a meter client imports.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from scripts.data.errors import DataError
from scripts.data.faults import malformed_record
from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, load_uci, minute_readings, utc_timestamp
from services.core.clients import AwsClients, get_clients
from services.core.publisher import KinesisPublisher, PublishStats

FLUSH_RECORDS = 500
AGGREGATE_FLUSH_FACTOR = 40  # aggregated records hold many readings: buffer more per call


@dataclass(frozen=True)
class ReplayOptions:
    households: int = 5
    days: float = 3.0
    start: str | None = None  # default: the first midnight in the data
    data: Path | None = None  # default: the bundled slice
    seed: int = 0
    rate: float = 0.0  # simulated minutes per second; 0 = as fast as possible
    readings_per_record: int = 1
    aggregate: bool = False
    bad_share: float = 0.0
    duplicate_share: float = 0.0
    late_share: float = 0.0  # records delivered one step late (after the next step's), as head-ends do
    stream: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.households < 1 or self.days <= 0 or self.readings_per_record < 1 or self.rate < 0:
            raise DataError("households, days and readings per record must be positive, rate >= 0")
        if not all(0 <= share < 1 for share in (self.bad_share, self.duplicate_share, self.late_share)):
            raise DataError("--bad-share, --duplicate-share and --late-share must be in [0, 1)")


@dataclass
class ReplaySummary:
    stream: str
    households: int
    minutes: int
    records: int = 0  # Kinesis user records sent (readings, malformed and duplicates)
    malformed: Counter[str] = field(default_factory=Counter)  # reason -> records injected
    duplicates: int = 0  # records sent twice
    delayed: int = 0  # records sent one step late
    retried: int = 0
    failed: int = 0
    put_calls: int = 0
    seconds: float = 0.0
    readings_by_household: Counter[str] = field(default_factory=Counter)
    malformed_by_household: Counter[str] = field(default_factory=Counter)

    @property
    def readings(self) -> int:
        """Valid readings sent, each once (duplicates not counted)."""
        return sum(self.readings_by_household.values())

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it rebuilds a Counter from (key, value) pairs and counts the pairs.
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        plain = {name: dict(v) if isinstance(v, Counter) else v for name, v in values.items()}
        return {"readings": self.readings, **plain}

    def add(self, stats: PublishStats) -> None:
        self.records += stats.user_records_sent
        self.retried += stats.records_retried
        self.failed += stats.records_failed
        self.put_calls += stats.put_calls


def replay(options: ReplayOptions, clients: AwsClients | None = None) -> ReplaySummary:
    clients = clients or get_clients()
    stream = options.stream or clients.settings.readings_stream
    frame = _window(options)
    households = simulate_households(frame, options.households, seed=options.seed)
    summary = ReplaySummary(stream, options.households, len(frame))
    publisher = KinesisPublisher(clients.kinesis, stream, aggregate=options.aggregate)
    rng = random.Random(options.seed)
    progress = _progress_bar(options, summary.minutes * options.households)
    started = time.monotonic()
    pending: list[tuple[str, bytes]] = []
    retried: list[tuple[str, bytes]] = []  # duplicates: sent again before the next step's records
    held: list[tuple[str, bytes]] = []  # late: sent after the next step's records
    for step, records in enumerate(_steps(households, options.readings_per_record)):
        pending += retried
        retried, held_now = [], []
        for household_id, readings in records:
            data = _encode(readings)
            if options.late_share and rng.random() < options.late_share:  # no draw: seeds keep their faults
                held_now.append((household_id, data))
                summary.delayed += 1
            else:
                pending.append((household_id, data))
            summary.readings_by_household[household_id] += len(readings)
            if rng.random() < options.bad_share:
                reason, broken = malformed_record(readings[0], rng)
                pending.append((household_id, broken))
                summary.malformed[reason.value] += 1
                summary.malformed_by_household[household_id] += 1
            if rng.random() < options.duplicate_share:
                retried.append((household_id, data))  # sent again one step later, as a meter retry would
                summary.duplicates += 1
        pending += held
        held = held_now
        progress.update(sum(len(r) for _, r in records))
        if options.rate or len(pending) >= FLUSH_RECORDS * (
            AGGREGATE_FLUSH_FACTOR if options.aggregate else 1
        ):
            summary.add(publisher.publish(pending))
            pending = []
        if options.rate:
            _pace(started, (step + 1) * options.readings_per_record / options.rate)
    summary.add(publisher.publish(pending + retried + held))
    progress.close()
    summary.seconds = time.monotonic() - started
    return summary


def _window(options: ReplayOptions) -> Any:
    path = options.data or default_data_path()
    if options.start:
        start = utc_timestamp(options.start)
    else:
        first = load_uci(path, end=None).index[0]
        start = first.normalize() + (timedelta(days=1) if first != first.normalize() else timedelta(0))
    frame = load_uci(path, start=start, end=start + timedelta(days=options.days))
    if frame.empty:
        raise DataError(f"{path} has no minutes from {start} for {options.days} days")
    return frame


def _steps(households: dict[str, Any], per_record: int) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    """Minute-major: each step holds `per_record` minutes of every household, one record each."""
    streams = {hid: minute_readings(frame, hid) for hid, frame in households.items()}
    while True:
        step = []
        for household_id, readings in streams.items():
            chunk = [reading for _, reading in zip(range(per_record), readings, strict=False)]
            if chunk:
                step.append((household_id, chunk))
        if not step:
            return
        yield step


def _encode(readings: list[dict[str, Any]]) -> bytes:
    value: Any = readings[0] if len(readings) == 1 else readings
    return json.dumps(value, separators=(",", ":")).encode()


def _pace(started: float, due_seconds: float) -> None:
    delay = started + due_seconds - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(options: ReplayOptions, total: int) -> Any:
    if not options.progress or not sys.stderr.isatty():
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, unit="reading", desc="replay", file=sys.stderr)


def format_summary(summary: ReplaySummary) -> str:
    bad = sum(summary.malformed.values())
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    return "\n".join(
        [
            f"replayed {summary.households} households x {summary.minutes} minutes into {summary.stream}",
            f"  readings sent      {summary.readings:>10,}",
            f"  malformed injected {bad:>10,}  {dict(sorted(summary.malformed.items()))}",
            f"  duplicates sent    {summary.duplicates:>10,}",
            f"  sent one step late {summary.delayed:>10,}",
            f"  records sent       {summary.records:>10,}  in {summary.put_calls:,} PutRecords calls",
            f"  records retried    {summary.retried:>10,}",
            f"  records failed     {summary.failed:>10,}",
            f"  elapsed            {summary.seconds:>10.2f} s  ({rate:,.0f} records/s)",
        ]
    )
