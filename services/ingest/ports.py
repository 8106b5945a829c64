"""What the ingest pipeline needs from the outside world. The AWS implementations are in
`services.ingest.aws`; tests and the benchmark swap in in-memory ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.core.hourly import HourAggregate
from services.core.reading import Rejection
from services.ingest.event_time import HouseholdTime
from services.ingest.records import UserRecord


@dataclass(frozen=True)
class DeadLetter:
    record: UserRecord
    rejection: Rejection


@dataclass(frozen=True)
class HourClosed:
    household_id: str
    hour: datetime
    revised: bool = False  # announced before; readings came for it since
    day_closed: bool = False  # every hour of its UTC day has closed
    closing_arrival: float | None = None  # when the reading that closed (or revised) it reached Kinesis
    announcement: int | None = None  # the household's announcing batch this event is part of


class RawArchive(Protocol):
    def put_batch(self, key: str, lines: Sequence[Mapping[str, Any]]) -> None:
        """Write one object holding every line; the same key and lines give the same object."""


class AggregateStore(Protocol):
    def add(self, group: HourAggregate) -> int:
        """Add the group's minutes that are not stored yet; returns how many were new."""


class HouseholdStates(Protocol):
    def states(self, household_ids: Iterable[str]) -> dict[str, HouseholdTime]:
        """The stored event time of each household that has one."""

    def save(self, household_id: str, state: HouseholdTime) -> bool:
        """Store `state` if the stored version is still `state.version - 1`; False if it is not."""


class HourlyEvents(Protocol):
    def publish(self, events: Sequence[HourClosed]) -> list[HourClosed]:
        """Publish the events; returns those still rejected after retries. DependencyError when the
        stream cannot be reached at all."""


class DeadLetterSink(Protocol):
    def send(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        """Send the letters; returns those that could not be sent. DependencyError when the queue
        cannot be reached at all."""
