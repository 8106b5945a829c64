"""Each household's event time: when its hours close, whatever order its readings arrive in.

The household's watermark is its latest stored reading minus the allowed lateness (a setting). An
hour with readings is open until the watermark passes its end; then it closes, once. Hours without
readings never open, so they never close, and the hours after a gap still do. A reading for an hour
the watermark has passed still counts (the aggregates take every minute once); its hour is announced
again as revised, so what depends on it is recomputed.

Pure: `plan` takes the stored state and one batch's hours and returns the events and the new state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HouseholdTime:
    """What ingest keeps per household: its latest stored reading, the hours with readings that have
    not closed yet, the revisions not yet announced, a version that makes every update of the
    state conditional, and how many batches have announced hours (each batch's events carry its
    number, so a consumer can tell that it has seen every announcement of the household)."""

    latest: datetime | None = None
    open_hours: frozenset[datetime] = frozenset()
    pending_revisions: frozenset[datetime] = frozenset()
    version: int = 0
    announced: int = 0

    def closed(self, hour: datetime, lateness: timedelta) -> bool:
        return self.latest is not None and hour + HOUR + lateness <= self.latest


@dataclass(frozen=True)
class Announcement:
    hour: datetime
    revised: bool  # the hour had closed before; readings came for it since
    day_closed: bool  # every hour of the hour's UTC day has closed


@dataclass(frozen=True)
class Plan:
    """`marked` is saved before the announcements are published (it records revisions that only the
    minutes this batch added reveal, so a failed publish cannot lose them); `after` once they are."""

    announcements: list[Announcement] = field(default_factory=list)
    marked: HouseholdTime | None = None
    after: HouseholdTime | None = None  # None: the state does not change

    @property
    def announcement(self) -> int | None:
        """The number the announcements carry (the household's announcing batches, this one included)."""
        return self.after.announced if self.after and self.announcements else None


@dataclass(frozen=True)
class BatchHours:
    """One household's hours in one batch: the latest stored minute of each hour stored, the hours
    that received minutes not stored before, and the hours whose update failed (retried later)."""

    latest_minute: Mapping[datetime, datetime]
    with_new_minutes: frozenset[datetime] = frozenset()
    failed: frozenset[datetime] = frozenset()


def plan(before: HouseholdTime, batch: BatchHours, lateness: timedelta) -> Plan:
    """The hours this batch closes or revises, and the state after it.

    Event time advances only up to the first failed hour: hours before it may close now; it and the
    hours after it wait for its redelivery, so a failed write never turns an hour late.
    """
    first_failed = min(batch.failed, default=None)
    advancing = [m for h, m in batch.latest_minute.items() if first_failed is None or h < first_failed]
    latest = max([t for t in (before.latest, *advancing) if t is not None], default=None)
    late = {h for h in batch.latest_minute if before.closed(h, lateness)}
    new_revisions = (late & batch.with_new_minutes) - before.pending_revisions
    marked = (
        replace(
            before, pending_revisions=before.pending_revisions | new_revisions, version=before.version + 1
        )
        if new_revisions
        else None
    )
    saved = marked or before
    opened = set(batch.latest_minute) - late
    candidate = replace(saved, latest=latest, open_hours=saved.open_hours | opened)
    closing = sorted(h for h in candidate.open_hours if candidate.closed(h, lateness))
    after = replace(
        candidate,
        open_hours=candidate.open_hours - set(closing),
        pending_revisions=frozenset(),
        version=saved.version + 1,
    )
    announcements = [
        Announcement(h, revised=False, day_closed=_day_closed(after, h, lateness)) for h in closing
    ] + [
        Announcement(h, revised=True, day_closed=_day_closed(after, h, lateness))
        for h in sorted(saved.pending_revisions)
    ]
    # Saved only when the hours change (one write per household-hour, not one per batch). A `latest`
    # left unsaved lies inside the newest open hour; the worst it does is let a reading for an
    # earlier, still empty hour open that hour instead of revising it, and the next batch closes it.
    changed = (after.open_hours, after.pending_revisions) != (saved.open_hours, saved.pending_revisions)
    if announcements:
        after = replace(after, announced=saved.announced + 1)
    return Plan(announcements, marked, after if changed else None)


def _day_closed(state: HouseholdTime, hour: datetime, lateness: timedelta) -> bool:
    return state.closed(hour.replace(hour=23), lateness)
