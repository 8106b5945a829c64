"""Each preprocess container's recent hours per household, so a batch reads only what changed.

A household's window is read in full once. After that, a batch of its hour-closed events reads only
the hours it needs that are not cached: from its earliest event (or from the first hour after those
cached) to its latest, and any before the cached window, as long as the events prove this container
missed nothing in between. Ingest numbers each household's
announcing batches 1, 2, 3, ... (`announcement`), and every hour that closes or changes after
closing is announced, so the cached window is current when this batch's new numbers follow the
cached one without a gap. Numbers seen before (a redelivery: a retried batch, or a batch ingest
published again) read their own hours again and leave the cached number as it was. Anything else is a
full read: events without numbers, a gap (another container saw the batches in between), a
household evicted.

On AWS this turns each household-hour's Query of its whole lookback (336 items, about 10 read units)
into one of an item or two; in the embedded mode, where the emulator spends milliseconds of Python on
every item it returns, it is most of hour-close -> forecast stored. Reads are strongly consistent: a
cached hour is kept until it is announced again, so it must not be an eventually consistent one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core.hour_closed import HourClosedEvent
from services.core.hourly import HourlyRow
from services.preprocess.ports import HourlyHistory

HOUR = timedelta(hours=1)
# About 200 KB per household at the 336-hour window: 1,000 households ~ 200 MB of the function's memory.
DEFAULT_CAPACITY = 1_000


@dataclass
class _Window:
    first: datetime  # the rows are the stored hours of [first, last] when `announcement` was seen
    last: datetime
    rows: dict[datetime, HourlyRow]
    announcement: int


@dataclass
class CacheStats:
    full_reads: int = 0
    partial_reads: int = 0


class HistoryCache:
    """`window()` as `HourlyHistory.rows()` would answer it, from the cache where the events allow.

    Safe to call from several threads for different households (the batch reads them concurrently).
    """

    def __init__(self, history: HourlyHistory, capacity: int = DEFAULT_CAPACITY) -> None:
        self._history = history
        self._capacity = capacity
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def window(
        self, household_id: str, first: datetime, last: datetime, events: Sequence[HourClosedEvent]
    ) -> list[HourlyRow]:
        """The stored hours of [first, last], oldest first, for this batch's events of the household."""
        with self._lock:
            cached = self._windows.pop(household_id, None)
        spans = _unread_spans(cached, first, last, events)
        if cached is None or spans is None:
            rows = self._history.rows(household_id, first, last)
            window = _Window(first, last, {r.hour: r for r in rows}, 0)
            with self._lock:
                self.stats.full_reads += 1
        else:
            window = cached
            for since, until in spans:
                window = _merged(window, since, until, self._history.rows(household_id, since, until))
            with self._lock:
                self.stats.partial_reads += 1
        answer = sorted((r for r in window.rows.values() if first <= r.hour <= last), key=lambda r: r.hour)
        announcement = _newest_announcement(events)
        if announcement is not None:
            seen = max(announcement, window.announcement)  # a redelivery does not take the number back
            self._keep(household_id, _trimmed(window, first, seen))
        return answer

    def _keep(self, household_id: str, window: _Window) -> None:
        with self._lock:
            self._windows[household_id] = window
            while len(self._windows) > self._capacity:
                self._windows.popitem(last=False)  # the household read least recently


def _unread_spans(
    cached: _Window | None, first: datetime, last: datetime, events: Sequence[HourClosedEvent]
) -> list[tuple[datetime, datetime]] | None:
    """The spans to read if the cached window can be brought up to date, else None: the hours
    before it the batch needs, and those from the batch's earliest event or the first hour after the
    window, whichever is earlier, to its latest. The batch's numbers above the cached one must follow
    it without a gap; those at or below it were seen (their hours are read again all the same)."""
    numbers = {e.announcement for e in events}
    if cached is None or not numbers or None in numbers:
        return None
    new = sorted(n for n in numbers if n is not None and n > cached.announcement)
    if new != list(range(cached.announcement + 1, cached.announcement + 1 + len(new))):
        return None
    spans = [(first, cached.first - HOUR)] if first < cached.first else []
    since = min([cached.last + HOUR, *(e.hour for e in events)])
    return [*spans, (since, last)] if since <= last else spans


def _merged(window: _Window, since: datetime, until: datetime, fresh: list[HourlyRow]) -> _Window:
    rows = {hour: row for hour, row in window.rows.items() if not since <= hour <= until}
    rows.update((r.hour, r) for r in fresh)
    return _Window(min(window.first, since), max(window.last, until), rows, window.announcement)


def _trimmed(window: _Window, first: datetime, announcement: int) -> _Window:
    """Only what later batches can ask for: their windows start after this one's."""
    start = max(window.first, first)
    rows = {hour: row for hour, row in window.rows.items() if hour >= start}
    return _Window(start, window.last, rows, announcement)


def _newest_announcement(events: Sequence[HourClosedEvent]) -> int | None:
    numbers = [e.announcement for e in events]
    if not numbers or None in numbers:
        return None
    return max(n for n in numbers if n is not None)
