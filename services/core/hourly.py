"""Hourly aggregates: sums and counts of the valid minutes of a household-hour.

The mean of an hour is sum / count over the minutes that measured it (the UCI `?` minutes count for
nothing). Sums are kept as exact decimals, so adding the same minutes in any order or any batching
gives the same stored value. Ingest writes these; features and tests read them back through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.core.reading import MEASURES, Reading, format_ts, parse_ts

SUM_PREFIX = "sum_"
COUNT_PREFIX = "count_"
MINUTES_ATTRIBUTE = "minutes"


@dataclass
class HourAggregate:
    """The contribution of some readings to one household-hour (one reading per minute at most)."""

    household_id: str
    hour: datetime
    readings: dict[int, Reading] = field(default_factory=dict)  # minute of hour -> reading

    def add(self, reading: Reading) -> bool:
        """Add a reading; False if its minute is already here (a duplicate: the first one wins)."""
        if reading.minute in self.readings:
            return False
        self.readings[reading.minute] = reading
        return True

    def without_minutes(self, minutes: Iterable[int]) -> HourAggregate:
        drop = set(minutes)
        kept = {m: r for m, r in self.readings.items() if m not in drop}
        return HourAggregate(self.household_id, self.hour, kept)

    @property
    def minutes(self) -> list[int]:
        return sorted(self.readings)

    def sums(self) -> dict[str, Decimal]:
        totals = dict.fromkeys(MEASURES, Decimal(0))
        for reading in self.readings.values():
            for measure, value in zip(MEASURES, reading.values, strict=True):
                if value is not None:
                    totals[measure] += decimal_of(value)
        return totals

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(MEASURES, 0)
        for reading in self.readings.values():
            for measure, value in zip(MEASURES, reading.values, strict=True):
                if value is not None:
                    counts[measure] += 1
        return counts

    @property
    def hour_key(self) -> str:
        return format_ts(self.hour)


def decimal_of(value: float) -> Decimal:
    """The decimal a meter meant: repr() gives the shortest string that round-trips the float."""
    return Decimal(repr(value))


def group_by_hour(readings: Iterable[Reading]) -> tuple[dict[tuple[str, datetime], HourAggregate], int]:
    """Group readings by household-hour, keeping the first reading of each minute.

    Returns the groups and the number of duplicate readings dropped.
    """
    groups: dict[tuple[str, datetime], HourAggregate] = {}
    duplicates = 0
    for reading in readings:
        key = (reading.household_id, reading.hour)
        group = groups.get(key)
        if group is None:
            group = groups[key] = HourAggregate(reading.household_id, reading.hour)
        if not group.add(reading):
            duplicates += 1
    return groups, duplicates


@dataclass(frozen=True)
class HourlyRow:
    """One stored household-hour read back: the means of its valid minutes."""

    household_id: str
    hour: datetime
    minutes: int
    means: dict[str, float | None]


def hourly_means(sums: Mapping[str, Decimal | float], counts: Mapping[str, int]) -> dict[str, float | None]:
    return {m: (float(Decimal(str(sums[m])) / counts[m]) if counts.get(m) else None) for m in MEASURES}


def row_from_item(item: Mapping[str, Any]) -> HourlyRow:
    """Read a low-level DynamoDB item of the hourly table back into means."""
    hour = parse_ts(item["hour"]["S"])
    if isinstance(hour, str):
        raise ValueError(hour)
    sums = {m: Decimal(item.get(SUM_PREFIX + m, {"N": "0"})["N"]) for m in MEASURES}
    counts = {m: int(item.get(COUNT_PREFIX + m, {"N": "0"})["N"]) for m in MEASURES}
    # Without the minute set (a projection leaves it out), the minutes that measured any measure.
    minutes = len(item[MINUTES_ATTRIBUTE]["NS"]) if MINUTES_ATTRIBUTE in item else max(counts.values())
    return HourlyRow(item["household_id"]["S"], hour, minutes, hourly_means(sums, counts))


def hours_payload(rows: Sequence[HourlyRow], first: datetime, last: datetime) -> list[dict[str, Any]]:
    """The LSTM contract's `hours`: raw hourly means (null where unmeasured), oldest first."""
    return [{"ts": format_ts(r.hour), **r.means} for r in rows if first <= r.hour <= last]
