"""One Kinesis batch through ingest: validate, dedupe, archive, aggregate, close hours, dead-letter.

Pure orchestration over the ports in `services.ingest.ports`: no boto3 here. The result names the
Kinesis sequence numbers that failed, so the handler can report a partial batch failure and the
event source mapping retries exactly those (and what follows them on their shard).
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.emf import ServiceMetrics
from services.core.errors import DependencyError
from services.core.hourly import HourAggregate, group_by_hour
from services.core.reading import Reading, Rejection, parse_record
from services.core.settings import Settings
from services.ingest import event_time
from services.ingest.event_time import HOUR, Announcement, BatchHours, HouseholdTime
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
    dead_lettered: Counter[str] = field(default_factory=Counter)  # rejected and sent, by reason
    hours_updated: int = 0
    hours_closed: int = 0
    hours_revised: int = 0
    archive_key: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "failed_records": len(self.failed_sequence_numbers),
            "readings_accepted": self.readings_accepted,
            "readings_already_stored": self.readings_already_stored,
            "rejected": dict(self.rejected),
            "hours_updated": self.hours_updated,
            "hours_closed": self.hours_closed,
            "hours_revised": self.hours_revised,
            "archive_key": self.archive_key,
        }

    def record(self, metrics: ServiceMetrics) -> None:
        """The batch's metrics; zeros too, so every metric has data whenever ingest runs."""
        metrics.add("ReadingsAccepted", self.readings_accepted)
        metrics.add("ReadingsRejected", sum(self.dead_lettered.values()))
        for reason, count in sorted(self.dead_lettered.items()):
            metrics.add("ReadingsRejected", count, reason=reason)
        metrics.add("HoursClosed", self.hours_closed + self.hours_revised)


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
    failed, with_new = _aggregate(groups, parsed.sources, ports, outcome)
    stored = _Stored(groups, failed, with_new, parsed.sources)
    _close_hours(stored, ports, settings, outcome)
    return outcome


def _parse(records: Iterable[UserRecord], settings: Settings) -> _Parsed:
    parsed = _Parsed()
    skew = timedelta(seconds=settings.max_clock_skew_seconds)
    for record in records:
        items = parse_record(
            record.data,
            max_bytes=settings.max_record_bytes,
            max_readings=settings.max_readings_per_record,
            not_after=datetime.fromtimestamp(record.approximate_arrival, UTC) + skew,
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
    outcome.dead_lettered += Counter(letter.rejection.reason.value for letter in letters) - Counter(
        letter.rejection.reason.value for letter in unsent
    )


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
) -> tuple[set[tuple[str, datetime]], set[tuple[str, datetime]]]:
    """Store every household-hour; returns the keys that failed and those that got new minutes."""
    failed: set[tuple[str, datetime]] = set()
    with_new: set[tuple[str, datetime]] = set()
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
        if added:
            with_new.add(key)
    return failed, with_new


@dataclass(frozen=True)
class _Stored:
    """What the aggregates step did with a batch's household-hours."""

    groups: Mapping[tuple[str, datetime], HourAggregate]
    failed: set[tuple[str, datetime]]
    with_new: set[tuple[str, datetime]]
    sources: Mapping[int, UserRecord]


def _batch_hours(stored: _Stored) -> dict[str, BatchHours]:
    latest: dict[str, dict[datetime, datetime]] = defaultdict(dict)
    new: dict[str, set[datetime]] = defaultdict(set)
    failing: dict[str, set[datetime]] = defaultdict(set)
    for (household_id, hour), group in stored.groups.items():
        if (household_id, hour) in stored.failed:
            failing[household_id].add(hour)
            continue
        latest[household_id][hour] = hour + timedelta(minutes=max(group.readings))
        if (household_id, hour) in stored.with_new:
            new[household_id].add(hour)
    return {h: BatchHours(latest[h], frozenset(new[h]), frozenset(failing[h])) for h in {*latest, *failing}}


def _close_hours(stored: _Stored, ports: IngestPorts, settings: Settings, outcome: IngestOutcome) -> None:
    """Plan every household's closings (services.ingest.event_time), publish all events in one call,
    then save the states, each conditional on the version read.

    Events go before the state: a crash in between re-sends events (at least once) but never loses
    one, and a redelivered batch announces nothing new. Revisions are saved as pending first, so a
    failed publish or a crash cannot lose one either.
    """
    hours = _batch_hours(stored)
    try:
        states = ports.households.states(hours)
    except DependencyError as exc:
        logger.warning("household states unreadable, closing hours is retried: %s", exc)
        _fail_households(set(hours), stored, outcome)
        return
    lateness = timedelta(seconds=settings.allowed_lateness_seconds)
    plans = {h: event_time.plan(states.get(h, HouseholdTime()), hours[h], lateness) for h in sorted(hours)}
    unmarked = {h for h, plan in plans.items() if plan.marked and not _save(h, plan.marked, ports)}
    arrivals = _arrivals(stored)
    events = [
        HourClosed(
            h,
            a.hour,
            revised=a.revised,
            day_closed=a.day_closed,
            closing_arrival=arrivals[h].closing(a, lateness) if h in arrivals else None,
            announcement=plan.announcement,
        )
        for h, plan in plans.items()
        if h not in unmarked
        for a in plan.announcements
    ]
    unpublished = unmarked | {event.household_id for event in _publish(events, ports)}
    for household_id, plan in plans.items():
        if household_id in unpublished or (plan.after and not _save(household_id, plan.after, ports)):
            _fail_households({household_id}, stored, outcome)
            continue
        outcome.hours_closed += sum(not a.revised for a in plan.announcements)
        outcome.hours_revised += sum(a.revised for a in plan.announcements)


@dataclass(frozen=True)
class _Arrivals:
    """When one household's readings of a batch reached Kinesis, to date each hour's closing."""

    times: list[datetime]  # the reading times that advance the household's event time, sorted
    earliest_from: list[float]  # earliest_from[i]: the earliest arrival of the readings times[i:]
    by_hour: Mapping[datetime, float]  # the earliest arrival of each hour that got new minutes

    @classmethod
    def of(cls, stored: _Stored, household_id: str, groups: Mapping[datetime, HourAggregate]) -> _Arrivals:
        first_failed = min((hour for hour in groups if (household_id, hour) in stored.failed), default=None)
        advancing = sorted(
            (group.hour + timedelta(minutes=minute), stored.sources[id(reading)].approximate_arrival)
            for hour, group in groups.items()
            if first_failed is None or hour < first_failed
            for minute, reading in group.readings.items()
        )
        earliest_from: list[float] = []
        for _, arrival in reversed(advancing):
            earliest_from.append(min(arrival, earliest_from[-1]) if earliest_from else arrival)
        by_hour = {
            hour: min(stored.sources[id(r)].approximate_arrival for r in group.readings.values())
            for hour, group in groups.items()
            if (household_id, hour) in stored.with_new
        }
        return cls([t for t, _ in advancing], earliest_from[::-1], by_hour)

    def closing(self, announcement: Announcement, lateness: timedelta) -> float | None:
        """The arrival of the first reading that closed the hour (moved the event time past its end
        plus the lateness), or for a revision that brought its late minutes; None if this batch's
        readings did neither (a revision pending since an earlier batch)."""
        if announcement.revised:
            return self.by_hour.get(announcement.hour)
        index = bisect_left(self.times, announcement.hour + HOUR + lateness)
        return self.earliest_from[index] if index < len(self.times) else None


def _arrivals(stored: _Stored) -> dict[str, _Arrivals]:
    by_household: dict[str, dict[datetime, HourAggregate]] = defaultdict(dict)
    for (household_id, hour), group in stored.groups.items():
        by_household[household_id][hour] = group
    return {h: _Arrivals.of(stored, h, groups) for h, groups in by_household.items()}


def _publish(events: list[HourClosed], ports: IngestPorts) -> list[HourClosed]:
    """The events that could not be published (all of them when the stream is unreachable)."""
    if not events:
        return []
    try:
        return ports.hourly_events.publish(events)
    except DependencyError as exc:
        logger.warning("hour-closed events not published, their households are retried: %s", exc)
        return events


def _save(household_id: str, state: HouseholdTime, ports: IngestPorts) -> bool:
    try:
        saved = ports.households.save(household_id, state)
    except DependencyError as exc:
        logger.warning("state of %s not saved; its records are retried: %s", household_id, exc)
        return False
    if not saved:
        logger.warning("state of %s changed under this batch; its records are retried", household_id)
    return saved


def _fail_households(households: set[str], stored: _Stored, outcome: IngestOutcome) -> None:
    for (household_id, _), group in stored.groups.items():
        if household_id in households:
            outcome.failed_sequence_numbers |= _records_of(group, stored.sources)
