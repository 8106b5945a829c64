"""One Kinesis batch through ingest: validate, dedupe, archive, aggregate, close hours, dead-letter.

Pure orchestration over the ports in `services.ingest.ports`: no boto3 here. The result names the
Kinesis sequence numbers that failed, so the handler can report a partial batch failure and the
event source mapping retries exactly those (and what follows them on their shard).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.core.errors import DependencyError
from services.core.hourly import HourAggregate, group_by_hour
from services.core.reading import Reading, Rejection, parse_record
from services.core.settings import Settings
from services.ingest.ports import (
    AggregateStore,
    DeadLetter,
    DeadLetterSink,
    HourClosed,
    HourlyEvents,
    HouseholdStates,
    RawArchive,
)
from services.ingest.records import UserRecord, user_records

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestPorts:
    archive: RawArchive
    aggregates: AggregateStore
    households: HouseholdStates
    hourly_events: HourlyEvents
    dead_letters: DeadLetterSink


@dataclass
class IngestOutcome:
    failed_sequence_numbers: set[str] = field(default_factory=set)
    readings_accepted: int = 0  # minutes newly stored
    readings_already_stored: int = 0  # minutes a redelivery or a duplicate brought again
    rejected: Counter[str] = field(default_factory=Counter)
    hours_updated: int = 0
    hours_closed: int = 0
    archive_key: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "failed_records": len(self.failed_sequence_numbers),
            "readings_accepted": self.readings_accepted,
            "readings_already_stored": self.readings_already_stored,
            "rejected": dict(self.rejected),
            "hours_updated": self.hours_updated,
            "hours_closed": self.hours_closed,
            "archive_key": self.archive_key,
        }


@dataclass
class _Parsed:
    readings: list[Reading] = field(default_factory=list)
    sources: dict[int, UserRecord] = field(default_factory=dict)  # id(reading) -> its record
    letters: list[DeadLetter] = field(default_factory=list)


def ingest_batch(
    lambda_records: Sequence[Mapping[str, Any]], ports: IngestPorts, settings: Settings
) -> IngestOutcome:
    outcome = IngestOutcome()
    records = list(user_records(lambda_records))
    if not records:
        return outcome
    parsed = _parse(records, settings)
    _send_dead_letters(parsed.letters, ports, outcome)
    groups, _ = group_by_hour(parsed.readings)
    try:
        outcome.archive_key = archive_key(records, settings)
        ports.archive.put_batch(outcome.archive_key, archive_lines(groups.values(), parsed.sources))
    except DependencyError as exc:
        logger.warning("archive failed, the whole batch is retried: %s", exc)
        outcome.failed_sequence_numbers.update(r.sequence_number for r in records)
        return outcome
    failed_hours = _aggregate(groups, parsed.sources, ports, outcome)
    _close_hours(groups, failed_hours, parsed.sources, ports, outcome)
    return outcome


def _parse(records: Iterable[UserRecord], settings: Settings) -> _Parsed:
    parsed = _Parsed()
    for record in records:
        items = parse_record(
            record.data, max_bytes=settings.max_record_bytes, max_readings=settings.max_readings_per_record
        )
        for item in items:
            if isinstance(item, Rejection):
                parsed.letters.append(DeadLetter(record, item))
            else:
                parsed.readings.append(item)
                parsed.sources[id(item)] = record
    return parsed


def _send_dead_letters(letters: list[DeadLetter], ports: IngestPorts, outcome: IngestOutcome) -> None:
    for letter in letters:
        outcome.rejected[letter.rejection.reason.value] += 1
    if not letters:
        return
    try:
        unsent = ports.dead_letters.send(letters)
    except DependencyError as exc:
        logger.warning("dead letters not sent, their records are retried: %s", exc)
        unsent = letters
    for letter in unsent:
        outcome.failed_sequence_numbers.add(letter.record.sequence_number)


def archive_key(records: Sequence[UserRecord], settings: Settings) -> str:
    """Derived from the shard and the batch's sequence numbers, so a retried batch rewrites it."""
    first = min(records, key=lambda r: int(r.sequence_number))
    last = max(records, key=lambda r: int(r.sequence_number))
    day = datetime.fromtimestamp(first.approximate_arrival, UTC).strftime("%Y-%m-%d")
    span = f"{first.sequence_number}-{last.sequence_number}"
    return f"{settings.raw_prefix}dt={day}/{first.shard_id}/{span}.jsonl.gz"


def archive_lines(groups: Iterable[HourAggregate], sources: Mapping[int, UserRecord]) -> list[dict[str, Any]]:
    lines = []
    for group in groups:
        for reading in group.readings.values():
            line = reading.to_json_dict()
            line["record_id"] = sources[id(reading)].record_id
            lines.append(line)
    lines.sort(key=lambda line: (line["record_id"], line["household_id"], line["ts"]))
    return lines


def _records_of(group: HourAggregate, sources: Mapping[int, UserRecord]) -> set[str]:
    return {sources[id(r)].sequence_number for r in group.readings.values()}


def _aggregate(
    groups: Mapping[tuple[str, datetime], HourAggregate],
    sources: Mapping[int, UserRecord],
    ports: IngestPorts,
    outcome: IngestOutcome,
) -> set[tuple[str, datetime]]:
    failed: set[tuple[str, datetime]] = set()
    for key, group in groups.items():
        try:
            added = ports.aggregates.add(group)
        except DependencyError as exc:
            logger.warning("aggregate update failed, its records are retried: %s", exc)
            failed.add(key)
            outcome.failed_sequence_numbers |= _records_of(group, sources)
            continue
        outcome.hours_updated += 1
        outcome.readings_accepted += added
        outcome.readings_already_stored += len(group.readings) - added
    return failed


def plan_closings(
    open_hour: datetime | None, stored_hours: Iterable[datetime], failed_hours: Iterable[datetime]
) -> tuple[list[datetime], datetime | None]:
    """Which hours a batch closes for one household, and the household's new open hour.

    An hour closes once a later hour has readings. Hours that failed to store stay open: the new
    open hour stops at the first of them, and their redelivery closes them later. Hours before the
    stored open hour were closed already (late readings do not close anything twice).
    """
    stored, failed = set(stored_hours), set(failed_hours)
    if not stored:
        return [], None
    new_open = min(failed) if failed else max(stored)
    if open_hour is not None and new_open <= open_hour:
        return [], None
    closing = stored if open_hour is None else {*stored, open_hour}
    return sorted(h for h in closing if h < new_open and (open_hour is None or h >= open_hour)), new_open


def _close_hours(
    groups: Mapping[tuple[str, datetime], HourAggregate],
    failed_hours: set[tuple[str, datetime]],
    sources: Mapping[int, UserRecord],
    ports: IngestPorts,
    outcome: IngestOutcome,
) -> None:
    """Plan every household's closings, publish all events in one call, then advance the states.

    Events go before the state: a crash in between re-sends events (at least once) but never loses
    one, and a redelivered batch finds the state advanced and sends nothing.
    """
    stored: dict[str, list[datetime]] = defaultdict(list)
    failed: dict[str, list[datetime]] = defaultdict(list)
    for household_id, hour in groups:
        (failed if (household_id, hour) in failed_hours else stored)[household_id].append(hour)
    households = set(stored) | set(failed)
    try:
        open_hours = ports.households.open_hours(households)
    except DependencyError as exc:
        logger.warning("household states unreadable, closing hours is retried: %s", exc)
        _fail_households(households, groups, sources, outcome)
        return
    plans = {h: plan_closings(open_hours.get(h), stored[h], failed[h]) for h in sorted(households)}
    events = [HourClosed(h, hour) for h, (closing, _) in plans.items() for hour in closing]
    unpublished = {event.household_id for event in _publish(events, ports)}
    for household_id, (closing, new_open) in plans.items():
        if new_open is None:
            continue
        if household_id not in unpublished and _advance(household_id, new_open, ports):
            outcome.hours_closed += len(closing)
        else:
            _fail_households({household_id}, groups, sources, outcome)


def _publish(events: list[HourClosed], ports: IngestPorts) -> list[HourClosed]:
    """The events that could not be published (all of them when the stream is unreachable)."""
    if not events:
        return []
    try:
        return ports.hourly_events.publish(events)
    except DependencyError as exc:
        logger.warning("hour-closed events not published, their households are retried: %s", exc)
        return events


def _advance(household_id: str, new_open: datetime, ports: IngestPorts) -> bool:
    try:
        ports.households.advance(household_id, new_open)
    except DependencyError as exc:
        logger.warning("state of %s not advanced; retried: %s", household_id, exc)
        return False
    return True


def _fail_households(
    households: set[str],
    groups: Mapping[tuple[str, datetime], HourAggregate],
    sources: Mapping[int, UserRecord],
    outcome: IngestOutcome,
) -> None:
    for (household_id, _), group in groups.items():
        if household_id in households:
            outcome.failed_sequence_numbers |= _records_of(group, sources)
