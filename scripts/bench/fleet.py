"""A simulated fleet for the load benchmarks: a warm history per household and the minutes to stream.

The LSTM needs `lookback` hours of history before it forecasts, so each household gets that many
hours seeded straight into the hourly table (not timed, not streamed); the measured hours are
streamed as meter records through the real ingest path. Also the pure parts of a steady pace.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, load_uci, minute_readings
from services.core.hourly import COUNT_PREFIX, MINUTES_ATTRIBUTE, SUM_PREFIX, HourlyRow
from services.core.reading import MEASURES, format_ts

DEFAULT_START = "2010-01-04"
MINUTES_PER_HOUR = 60


class FleetError(ValueError):
    """A fleet that cannot be built as asked."""


@dataclass(frozen=True)
class SeededHour:
    """One household-hour of warm history: the sums and counts ingest would have stored."""

    household_id: str
    hour: datetime
    minutes: tuple[int, ...]
    sums: dict[str, float]
    counts: dict[str, int]

    def row(self) -> HourlyRow:
        means = {m: (self.sums[m] / self.counts[m] if self.counts[m] else None) for m in MEASURES}
        return HourlyRow(self.household_id, self.hour, len(self.minutes), means)

    def item(self) -> dict[str, Any]:
        """The low-level DynamoDB item of the hourly table, as ingest's ADD updates leave it."""
        item: dict[str, Any] = {
            "household_id": {"S": self.household_id},
            "hour": {"S": format_ts(self.hour)},
        }
        if self.minutes:
            item[MINUTES_ATTRIBUTE] = {"NS": [str(m) for m in self.minutes]}
        for measure in MEASURES:
            item[SUM_PREFIX + measure] = {"N": repr(round(self.sums[measure], 6))}
            item[COUNT_PREFIX + measure] = {"N": str(self.counts[measure])}
        return item


@dataclass(frozen=True)
class Fleet:
    households: list[str]
    warm: list[SeededHour]  # history seeded before the measured hours
    records: list[tuple[str, bytes]]  # (partition key, data) in publishing order
    readings_per_record: list[int]  # readings in each record, aligned with `records`
    measured_hours: int

    @property
    def readings(self) -> int:
        return sum(self.readings_per_record)

    @property
    def household_hours(self) -> float:
        return self.readings / MINUTES_PER_HOUR


def build_fleet(
    households: int,
    hours: int,
    *,
    warm_hours: int = 48,
    per_record: int = 60,
    start: str = DEFAULT_START,
    seed: int = 0,
) -> Fleet:
    """`households` simulated from the UCI slice: `warm_hours` of history, then `hours` to stream,
    minute-major (each step holds `per_record` minutes of every household, one record each)."""
    if households < 1 or hours < 1 or warm_hours < 0 or per_record < 1:
        raise FleetError("households, hours and readings per record must be positive, warm hours >= 0")
    first = pd.Timestamp(start, tz="UTC")
    end = first + timedelta(hours=warm_hours + hours)
    frame = load_uci(default_data_path(), start=first, end=end)
    if len(frame) != (warm_hours + hours) * MINUTES_PER_HOUR:
        raise FleetError(f"the data has {len(frame)} minutes from {start}, not {warm_hours + hours} hours")
    frames = simulate_households(frame, households, seed=seed)
    split = warm_hours * MINUTES_PER_HOUR
    warm = [hour for hid, f in frames.items() for hour in seeded_hours(f.iloc[:split], hid)]
    records, counts = _records({hid: f.iloc[split:] for hid, f in frames.items()}, per_record)
    return Fleet(list(frames), warm, records, counts, hours)


def seeded_hours(frame: pd.DataFrame, household_id: str) -> list[SeededHour]:
    """The household-hours of a minute frame, as sums and counts of the measured minutes."""
    values = frame.loc[:, list(MEASURES)]
    stamps = pd.DatetimeIndex(values.index)
    index = stamps.tz_localize(UTC) if stamps.tz is None else stamps.tz_convert(UTC)
    values = values.set_axis(index)
    hours = []
    for hour, group in values.groupby(index.floor("h")):
        measured = group.notna()
        minutes = tuple(
            int(ts.minute) for ts, any_ in zip(group.index, measured.any(axis=1), strict=True) if any_
        )
        sums = {m: float(np.nansum(group[m].to_numpy())) for m in MEASURES}
        counts = {m: int(measured[m].sum()) for m in MEASURES}
        start = hour.to_pydatetime()
        hours.append(SeededHour(household_id, start, minutes, sums, counts))
    return hours


def _records(frames: dict[str, pd.DataFrame], per_record: int) -> tuple[list[tuple[str, bytes]], list[int]]:
    streams = {hid: list(minute_readings(f, hid)) for hid, f in frames.items()}
    records: list[tuple[str, bytes]] = []
    counts: list[int] = []
    length = max(len(s) for s in streams.values())
    for offset in range(0, length, per_record):
        for household_id, readings in streams.items():
            chunk = readings[offset : offset + per_record]
            if chunk:
                value: Any = chunk[0] if len(chunk) == 1 else chunk
                records.append((household_id, json.dumps(value, separators=(",", ":")).encode()))
                counts.append(len(chunk))
    return records, counts


# ---- a steady pace


def due_offsets(readings_per_record: Sequence[int], readings_per_second: float) -> list[float]:
    """When each record is due, in seconds from the start, for a steady pace of readings: a record
    is sent once every reading before it has had its share of time."""
    if readings_per_second <= 0 or math.isinf(readings_per_second):
        raise FleetError("the pace must be a positive number of readings per second")
    offsets, sent = [], 0
    for count in readings_per_record:
        offsets.append(sent / readings_per_second)
        sent += count
    return offsets


def due_batches(
    offsets: Sequence[float], tick_seconds: float, max_batch: int = 500
) -> Iterator[tuple[float, int, int]]:
    """(due time, first index, end index) of each send: the records due within one tick go
    together, at most `max_batch` per call (PutRecords' limit)."""
    if tick_seconds <= 0 or max_batch < 1:
        raise FleetError("the tick must be positive and a batch at least one record")
    start = 0
    while start < len(offsets):
        due = offsets[start]
        end = start
        while end < len(offsets) and end - start < max_batch and offsets[end] < due + tick_seconds:
            end += 1
        yield due, start, end
        start = end
