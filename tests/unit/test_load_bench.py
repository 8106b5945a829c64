"""The load benchmark's pure parts (pace, percentiles, CPU arithmetic, the fleet) and its stubbed run."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scripts.bench.cpu import (
    CLOCK_TICKS,
    per_household_hour,
    percentiles,
    process_tree_cpu,
    rate,
    stat_cpu_seconds,
)
from scripts.bench.fleet import FleetError, build_fleet, due_batches, due_offsets, seeded_hours
from scripts.bench.load import Bundles, run_stubbed
from scripts.bench.pipeline import capacity, first_missing, meets_target
from scripts.bench.publishing import publish_paced, split_first_hour
from services.core.hourly import COUNT_PREFIX, MINUTES_ATTRIBUTE, SUM_PREFIX
from services.core.publisher import PublishStats


def test_records_are_due_when_the_readings_before_them_had_their_share_of_time() -> None:
    assert due_offsets([60, 60, 1, 1], 30.0) == [0.0, 2.0, 4.0, 4 + 1 / 30]


@pytest.mark.parametrize("pace", [0.0, -1.0, math.inf])
def test_a_pace_must_be_a_positive_number(pace: float) -> None:
    with pytest.raises(FleetError):
        due_offsets([1], pace)


def test_records_due_within_one_tick_are_sent_together() -> None:
    offsets = [0.0, 0.05, 0.1, 0.25, 0.26]
    assert list(due_batches(offsets, 0.1)) == [(0.0, 0, 2), (0.1, 2, 3), (0.25, 3, 5)]


def test_a_send_holds_at_most_one_put_records_call() -> None:
    assert list(due_batches([0.0] * 5, 1.0, max_batch=2)) == [(0.0, 0, 2), (0.0, 2, 4), (0.0, 4, 5)]


def test_percentiles_interpolate_and_are_nan_without_values() -> None:
    assert percentiles([1.0, 2.0, 3.0, 4.0], {"p50": 50, "p95": 95, "max": 100}) == {
        "p50": 2.5,
        "p95": 3.85,
        "max": 4.0,
    }
    assert all(math.isnan(v) for v in percentiles([], {"p50": 50}).values())


def test_cpu_per_household_hour_and_rates() -> None:
    assert per_household_hour(3.0, 60.0) == 0.05
    assert rate(10, 4.0) == 2.5
    assert math.isnan(rate(10, 0.0))
    with pytest.raises(ValueError, match="household-hours"):
        per_household_hour(1.0, 0.0)


def _stat(pid: int, ppid: int, utime: int, stime: int, name: str = "python") -> str:
    rest = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 10
    return f"{pid} ({name}) {' '.join(rest)}\n"


def test_a_stat_line_gives_user_plus_system_time_whatever_the_command_name() -> None:
    assert stat_cpu_seconds(_stat(7, 1, 3 * CLOCK_TICKS, CLOCK_TICKS, name="gunicorn: worker (x)")) == 4.0


def test_a_process_tree_sums_the_process_and_its_descendants(tmp_path: Path) -> None:
    for pid, ppid, ticks in [(10, 1, 1), (11, 10, 2), (12, 11, 3), (13, 1, 50)]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, ppid, ticks * CLOCK_TICKS, 0))
    (tmp_path / "self").mkdir()
    assert process_tree_cpu(10, tmp_path) == 6.0


def _row(pace: float, published: float, p95: float, forecasts: int = 10) -> dict[str, Any]:
    return {
        "pace_readings_per_s": pace,
        "published_readings_per_s": published,
        "forecasts": forecasts,
        "latency_s": {"p50": p95, "p95": 9.0},  # the first hour (cold start) does not count
        "latency_s_after_first_hour": {"p50": p95 / 2, "p95": p95},
    }


def test_the_capacity_is_the_highest_pace_before_the_first_miss() -> None:
    rows = [_row(400, 399, 2.5), _row(100, 100, 1.2), _row(200, 199, 1.9), _row(800, 500, 1.0)]
    assert capacity(rows) == 200
    assert first_missing(rows) == 400


def test_a_pace_the_stack_could_not_keep_up_with_or_without_forecasts_misses() -> None:
    assert not meets_target(_row(100, 80, 1.0))  # published under 90 % of the pace
    assert not meets_target(_row(100, 100, float("nan"), forecasts=0))
    assert meets_target(_row(100, 91, 2.0))
    assert meets_target(_row(100, 91, 2.0) | {"failed_batches": {"ingest": 0, "preprocess": 0}})
    assert not meets_target(_row(100, 100, 1.0) | {"failed_batches": {"ingest": 0, "preprocess": 2}})
    assert capacity([_row(100, 100, 3.0)]) is None


def test_seeded_hours_sum_and_count_the_measured_minutes() -> None:
    index = pd.date_range("2010-01-04", periods=120, freq="min", tz="UTC")
    power = np.ones(120)
    power[5] = np.nan
    frame = pd.DataFrame({m: power.copy() for m in _measures()}, index=index)
    frame.loc[index[61], :] = np.nan  # a minute that measured nothing at all
    first, second = seeded_hours(frame, "h7")
    assert first.hour == datetime(2010, 1, 4, 0, tzinfo=UTC)
    assert (len(first.minutes), first.counts["voltage"], first.sums["voltage"]) == (59, 59, 59.0)
    assert len(second.minutes) == 59
    row = first.row()
    assert (row.minutes, row.means["global_active_power"]) == (59, 1.0)
    item = second.item()
    assert item["household_id"] == {"S": "h7"}
    assert item["hour"] == {"S": "2010-01-04T01:00:00Z"}
    assert len(item[MINUTES_ATTRIBUTE]["NS"]) == 59 and "1" not in item[MINUTES_ATTRIBUTE]["NS"]
    assert item[COUNT_PREFIX + "voltage"] == {"N": "59"}
    assert item[SUM_PREFIX + "voltage"] == {"N": "59.0"}


def _measures() -> tuple[str, ...]:
    from services.core.reading import MEASURES

    return MEASURES


def test_a_fleet_has_its_warm_history_and_its_records_minute_major() -> None:
    fleet = build_fleet(3, 2, warm_hours=2, per_record=60)
    assert fleet.households == ["h000", "h001", "h002"]
    assert len(fleet.warm) == 6
    assert (len(fleet.records), fleet.readings, fleet.household_hours) == (6, 360, 6.0)
    assert [key for key, _ in fleet.records] == ["h000", "h001", "h002"] * 2
    per_minute = build_fleet(2, 1, warm_hours=0, per_record=1)
    assert (len(per_minute.records), per_minute.warm) == (120, [])
    with pytest.raises(FleetError):
        build_fleet(0, 1)


def test_the_stubbed_run_stores_a_forecast_for_every_closed_hour(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    fleet = build_fleet(20, 3, warm_hours=48, per_record=60)
    figures = run_stubbed(
        fleet, Bundles(sample_bundles["lstm.tar.gz"], sample_bundles["prophet.tar.gz"]), tmp_path
    )
    # the last hour of each household stays open: nothing later has reached its lateness yet
    assert (figures["readings"], figures["hour_closed_events"], figures["forecasts"]) == (3600, 40, 40)
    assert figures["history_queries"] == 20
    assert figures["endpoint_calls"] == 1  # 40 events: one preprocess batch, one endpoint call
    cpu = figures["cpu_s"]
    assert cpu["total"] == pytest.approx(cpu["ingest"] + cpu["preprocess"] + cpu["forecaster"], abs=0.011)
    assert figures["cpu_s_per_household_hour"] == pytest.approx(cpu["total"] / 60, abs=1e-4)


class _RecordingPublisher:
    def __init__(self) -> None:
        self.sends: list[tuple[float, list[tuple[str, bytes]]]] = []

    def publish(self, records: list[tuple[str, bytes]]) -> PublishStats:
        self.sends.append((time.monotonic(), list(records)))
        return PublishStats(records_failed=1 if any(key == "bad" for key, _ in records) else 0)


def test_a_paced_publish_sends_each_tick_when_it_is_due_and_counts_failures() -> None:
    fleet = build_fleet(2, 1, warm_hours=0, per_record=30)  # 4 records of 30 readings, 2 households
    publisher = _RecordingPublisher()
    before = time.monotonic()
    seconds, worst_lag, failed = publish_paced(publisher, fleet, pace=600.0, tick_seconds=0.01)  # type: ignore[arg-type]
    sends = publisher.sends
    # due at 0, 0.05, 0.1 and 0.15 s: one send each, in order, none before it is due
    assert [len(records) for _, records in sends] == [1, 1, 1, 1]
    assert [r for _, records in sends for r in records] == fleet.records
    assert all(
        sent - before >= due - 1e-3 for (sent, _), due in zip(sends, [0, 0.05, 0.1, 0.15], strict=True)
    )
    assert seconds >= 0.15 and failed == 0 and worst_lag >= 0.0


def test_a_paced_publish_counts_the_records_that_failed() -> None:
    fleet = build_fleet(1, 1, warm_hours=0, per_record=60)
    bad = type(fleet)(fleet.households, [], [("bad", b"{}")], [1], 1)
    assert publish_paced(_RecordingPublisher(), bad, pace=1000.0)[2] == 1  # type: ignore[arg-type]
    assert publish_paced(_RecordingPublisher(), fleet, pace=1e6)[2] == 0  # type: ignore[arg-type]


def test_the_first_forecast_hour_is_reported_apart_from_the_steady_state() -> None:
    def item(key: str, arrival: float, stored: float) -> dict[str, Any]:
        return {"forecast_key": key, "event_arrival": arrival, "stored_at": stored}

    items = [
        item("lstm#2010-01-06T01:00:00Z", 100.0, 102.5),
        item("lstm#2010-01-06T00:00:00Z", 10.0, 16.0),
        item("lstm#2010-01-06T00:00:00Z", 10.0, 14.0),
        item("lstm#2010-01-06T02:00:00Z", 200.0, 201.25),
    ]
    every, steady = split_first_hour(items)
    assert every == [2.5, 6.0, 4.0, 1.25]
    assert steady == [2.5, 1.25]
    assert split_first_hour([]) == ([], [])
