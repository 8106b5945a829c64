"""In-memory ingest ports: the same contracts as the AWS ones, for unit tests and the benchmark
that measures the handler with AWS calls stubbed out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.core.errors import DependencyError
from services.core.hourly import HourAggregate
from services.ingest.event_time import HouseholdTime
from services.ingest.pipeline import IngestPorts
from services.ingest.ports import DeadLetter, HourClosed


@dataclass
class MemoryArchive:
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail: bool = False

    def put_batch(self, key: str, lines: Sequence[Mapping[str, Any]]) -> None:
        if self.fail:
            raise DependencyError("archive unavailable")
        self.objects[key] = [dict(line) for line in lines]


@dataclass
class MemoryAggregates:
    groups: dict[tuple[str, datetime], HourAggregate] = field(default_factory=dict)
    failing_households: set[str] = field(default_factory=set)

    def add(self, group: HourAggregate) -> int:
        if group.household_id in self.failing_households:
            raise DependencyError(f"aggregates for {group.household_id} unavailable")
        stored = self.groups.setdefault(
            (group.household_id, group.hour), HourAggregate(group.household_id, group.hour)
        )
        return sum(stored.add(reading) for reading in group.readings.values())


@dataclass
class MemoryHouseholdStates:
    stored: dict[str, HouseholdTime] = field(default_factory=dict)
    fail: bool = False

    def states(self, household_ids: Iterable[str]) -> dict[str, HouseholdTime]:
        if self.fail:
            raise DependencyError("household states unavailable")
        return {h: self.stored[h] for h in household_ids if h in self.stored}

    def save(self, household_id: str, state: HouseholdTime) -> bool:
        current = self.stored.get(household_id, HouseholdTime())
        if current.version != state.version - 1:
            return False
        self.stored[household_id] = state
        return True


@dataclass
class MemoryHourlyEvents:
    events: list[HourClosed] = field(default_factory=list)
    fail: bool = False

    def publish(self, events: Sequence[HourClosed]) -> list[HourClosed]:
        if self.fail:
            raise DependencyError("hourly stream unavailable")
        self.events.extend(events)
        return []


@dataclass
class MemoryDeadLetters:
    letters: list[DeadLetter] = field(default_factory=list)
    fail: bool = False

    def send(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        if self.fail:
            raise DependencyError("dead-letter queue unavailable")
        self.letters.extend(letters)
        return []


@dataclass
class MemoryPorts:
    archive: MemoryArchive = field(default_factory=MemoryArchive)
    aggregates: MemoryAggregates = field(default_factory=MemoryAggregates)
    households: MemoryHouseholdStates = field(default_factory=MemoryHouseholdStates)
    hourly_events: MemoryHourlyEvents = field(default_factory=MemoryHourlyEvents)
    dead_letters: MemoryDeadLetters = field(default_factory=MemoryDeadLetters)

    def ports(self) -> IngestPorts:
        return IngestPorts(
            self.archive, self.aggregates, self.households, self.hourly_events, self.dead_letters
        )
