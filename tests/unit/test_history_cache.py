"""The preprocess container's history cache: it answers as a full read would, and reads less only
when the events' announcement numbers prove it missed nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.core.hour_closed import HourClosedEvent
from services.core.hourly import HourlyRow
from services.preprocess.history_cache import HistoryCache

START = datetime(2010, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = 48


def at(index: int) -> datetime:
    return START + index * HOUR


class Table:
    """One household's stored hours, and the spans asked of it."""

    def __init__(self, hours: int) -> None:
        self.power = {at(i): 1.0 + i for i in range(hours)}
        self.reads: list[tuple[datetime, datetime]] = []

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        self.reads.append((first_hour, last_hour))
        return [
            HourlyRow(household_id, hour, 60, {"global_active_power": power})
            for hour, power in sorted(self.power.items())
            if first_hour <= hour <= last_hour
        ]


def event(index: int, announcement: int | None, revised: bool = False) -> HourClosedEvent:
    return HourClosedEvent("h", at(index), "1", 0.0, revised=revised, announcement=announcement)


def ask(cache: HistoryCache, table: Table, *events: HourClosedEvent) -> list[HourlyRow]:
    last = max(e.hour for e in events)
    first = min(e.hour for e in events) - (WINDOW - 1) * HOUR
    table.reads.clear()
    answer = cache.window("h", first, last, events)
    expected = Table.rows(table, "h", first, last)
    table.reads.pop()  # the comparison's own read
    assert answer == expected
    return answer


def test_after_one_full_read_a_following_announcement_reads_only_its_new_hour() -> None:
    table = Table(200)
    cache = HistoryCache(table)
    ask(cache, table, event(100, 1))
    assert table.reads == [(at(100 - WINDOW + 1), at(100))]
    ask(cache, table, event(101, 2))
    assert table.reads == [(at(101), at(101))]
    assert (cache.stats.full_reads, cache.stats.partial_reads) == (1, 1)


def test_a_revised_hour_announced_with_the_next_number_is_read_again_with_what_follows() -> None:
    table = Table(200)
    cache = HistoryCache(table)
    ask(cache, table, event(100, 1))
    table.power[at(90)] = -5.0  # late minutes, announced as a revision in the next batch
    answer = ask(cache, table, event(90, 2, revised=True), event(101, 2))
    assert table.reads == [(at(90 - WINDOW + 1), at(100 - WINDOW)), (at(90), at(101))]
    assert {r.hour: r.means["global_active_power"] for r in answer}[at(90)] == -5.0


def test_a_gap_in_the_numbers_or_no_number_is_a_full_read() -> None:
    table = Table(300)
    cache = HistoryCache(table)
    ask(cache, table, event(100, 1))
    table.power[at(95)] = 42.0  # announced by number 2, which another container processed
    answer = ask(cache, table, event(110, 3))
    assert table.reads == [(at(110 - WINDOW + 1), at(110))]
    assert {r.hour: r.means["global_active_power"] for r in answer}[at(95)] == 42.0
    ask(cache, table, event(111, None))  # an event from before the numbers: read, and not kept
    ask(cache, table, event(112, 4))
    assert table.reads == [(at(112 - WINDOW + 1), at(112))]


def test_a_redelivered_batch_reads_its_own_hours_again_and_keeps_the_newest_number() -> None:
    table = Table(300)
    cache = HistoryCache(table)
    ask(cache, table, event(100, 1))
    ask(cache, table, event(101, 2), event(102, 2))
    table.power[at(101)] = 7.0  # a batch ingest published again after its state failed to save
    answer = ask(cache, table, event(101, 2), event(102, 2))
    assert table.reads == [(at(101), at(102))]
    assert {r.hour: r.means["global_active_power"] for r in answer}[at(101)] == 7.0
    ask(cache, table, event(101, 1), event(102, 2), event(103, 3))  # seen numbers beside a new one
    assert table.reads == [(at(101), at(103))]
    ask(cache, table, event(100, 1))  # an older batch again: still number 3 afterwards
    ask(cache, table, event(104, 4))
    assert table.reads == [(at(104), at(104))]
    ask(cache, table, event(105, 3), event(106, 5))  # a seen number does not bridge a gap: 4 -> 5 is fine
    assert table.reads == [(at(105), at(106))]
    ask(cache, table, event(107, 7))
    assert table.reads == [(at(107 - WINDOW + 1), at(107))]


def test_a_window_reaching_before_the_cached_one_reads_only_the_hours_before_it() -> None:
    table = Table(300)
    cache = HistoryCache(table)
    ask(cache, table, event(200, 1))
    table.reads.clear()
    answer = cache.window("h", at(0), at(201), [event(201, 2)])  # a day's month-to-date, say
    assert table.reads == [(at(0), at(200 - WINDOW)), (at(201), at(201))]
    assert answer == Table(300).rows("h", at(0), at(201))


def test_the_least_recently_read_household_is_evicted_beyond_the_capacity() -> None:
    table = Table(200)
    cache = HistoryCache(table, capacity=2)
    for household in ("a", "b", "c"):
        cache.window(household, at(0), at(100), [event(100, 1)])
    table.reads.clear()
    cache.window("b", at(1), at(101), [event(101, 2)])
    cache.window("a", at(1), at(101), [event(101, 2)])
    assert table.reads == [(at(101), at(101)), (at(1), at(101))]


def test_any_run_of_announced_changes_is_answered_as_a_full_read_would() -> None:
    rng = random.Random(7)
    table = Table(80)
    cache = HistoryCache(table)
    number, hour = 0, 80
    for _ in range(300):
        number += 1
        events = []
        for _ in range(rng.randint(0, 2)):  # revisions of closed hours, the table changed first
            revised = rng.randint(hour - WINDOW, hour - 1)
            table.power[at(revised)] = rng.random()
            events.append(event(revised, number, revised=True))
        for _ in range(rng.randint(1, 3)):  # hours closing, some of them empty (no row stored)
            if rng.random() < 0.8:
                table.power[at(hour)] = rng.random()
            events.append(event(hour, number))
            hour += 1
        ask(cache, table, *events)
        if rng.random() < 0.1:  # some of it published again, with the hours ingest's retry rewrote
            again = rng.sample(events, rng.randint(1, len(events)))
            for e in again:
                table.power[e.hour] = rng.random()
            ask(cache, table, *again)
        if rng.random() < 0.05:
            number += 1  # a batch this container never saw
            table.power[at(hour - 2)] = rng.random()
    assert cache.stats.partial_reads > 150 and cache.stats.full_reads > 10
