"""Production scoring: hours against their issued forecasts, days summed, drift, months, the fleet."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.accuracy import drift
from services.accuracy.drift import Baseline, baseline_of
from services.accuracy.pipeline import score_events
from services.accuracy.ports import FLEET, ScoreItem
from services.accuracy.scoring import ErrorSums, error_sums, score_hour, score_month
from services.accuracy.sweep import sweep_fleet
from services.core.errors import DependencyError
from services.core.hour_closed import HourClosedEvent, decode_events
from services.core.hourly import HourlyRow
from services.core.reading import format_ts
from services.core.settings import Settings
from tests.accuracy_fakes import (
    MODEL,
    MemoryAccuracy,
    hour_closed_record,
    issue_forecasts,
    noisy,
    profile_kw,
    row,
    start_of,
)

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SETTINGS = Settings(drift_multiple=2.0, drift_days=3)
FIRST_DAY = date(2010, 3, 1)


def event(household_id: str, hour: datetime, sequence: int = 1, **flags: bool) -> HourClosedEvent:
    return HourClosedEvent(household_id, hour, str(sequence), 1_700_000_000.0 + sequence, **flags)


def closing(household_id: str, hour: datetime, sequence: int) -> HourClosedEvent:
    return event(household_id, hour, sequence, day_closed=hour.hour == 23)


def constant(kw: float) -> Callable[[datetime], float]:
    return lambda _: kw


# Scoring one hour ----------------------------------------------------------------------------------


def test_an_hour_scores_every_issued_forecast_that_covered_it_by_its_lead() -> None:
    memory = MemoryAccuracy()
    hour = datetime.fromisoformat("2010-03-02T12:00:00+00:00")
    for lead in range(1, 25):  # the forecast issued `lead` hours before says `lead` kW for `hour`
        issue_forecasts(memory, "h1", hour - lead * HOUR, constant(float(lead)))
    score = score_hour("h1", hour, 10.0, memory.hours_issued("h1", hour - 23 * HOUR, hour))
    assert score is not None
    assert [s.lead for s in score.leads] == list(range(1, 25))
    assert [s.forecast_kw for s in score.leads] == [float(lead) for lead in range(1, 25)]
    # the band is 0.6x..1.5x the forecast: 10 kW lies in it for forecasts 7..16 kW
    assert [s.lead for s in score.leads if s.in_band] == list(range(7, 17))
    assert score.lead(3) is not None and score.lead(3).error(10.0) == -7.0  # type: ignore[union-attr]


def test_an_hour_without_actual_or_forecast_is_not_scored() -> None:
    memory = MemoryAccuracy()
    hour = datetime.fromisoformat("2010-03-02T12:00:00+00:00")
    assert score_hour("h1", hour, 1.0, {}) is None
    issue_forecasts(memory, "h1", hour - HOUR, profile_kw)
    assert score_hour("h1", hour, None, memory.hours_issued("h1", hour - 23 * HOUR, hour)) is None


def test_error_sums_add_up_and_survive_the_store() -> None:
    memory = MemoryAccuracy()
    hour = datetime.fromisoformat("2010-03-02T12:00:00+00:00")
    issue_forecasts(memory, "h1", hour - HOUR, lambda h: 2.0)
    issue_forecasts(memory, "h1", hour, lambda h: 2.0)
    first = score_hour("h1", hour, 1.0, memory.hours_issued("h1", hour - 23 * HOUR, hour))
    second = score_hour("h1", hour + HOUR, 4.0, memory.hours_issued("h1", hour - 22 * HOUR, hour + HOUR))
    assert first is not None and second is not None
    sums = error_sums([first, second])
    lead1 = sums.by_lead[1]
    assert (lead1.count, lead1.mae_kw) == (2, 1.5)
    assert lead1.rmse_kw == pytest.approx((0.5 * (1 + 4)) ** 0.5)
    assert lead1.coverage == 0.0  # 1 kW and 4 kW both lie outside 1.2..3.0
    assert sums.by_lead[2].count == 1  # only the forecast issued two hours before the second hour
    again = ErrorSums.from_attributes(sums.as_attributes())
    assert again.overall().rmse_kw == pytest.approx(sums.overall().rmse_kw)


def test_a_month_scores_each_projection_against_its_measured_kwh() -> None:
    projections = [
        {
            "as_of": "2010-03-10",
            "projected_month_kwh": 330.0,
            "projected_month_kwh_lower": 280.0,
            "projected_month_kwh_upper": 380.0,
        },
        {
            "as_of": "2010-03-02",
            "projected_month_kwh": 250.0,
            "projected_month_kwh_lower": 200.0,
            "projected_month_kwh_upper": 290.0,
        },
    ]
    scores = score_month(300.0, projections)
    assert [(s.as_of, s.error_kwh, s.within_interval) for s in scores] == [
        ("2010-03-02", -50.0, False),
        ("2010-03-10", 30.0, True),
    ]
    assert scores[1].as_json(300.0)["error_pct"] == 10.0


# Drift: a household whose use triples ---------------------------------------------------------------


def simulate(
    memory: MemoryAccuracy, household_id: str, days: int, *, triples_on: int | None, seed: int = 0
) -> dict[date, int]:
    """Hour by hour, as the pipeline sees it: the hour's actual is stored, its hour-closed event is
    scored, then the model (which learnt the household's usual profile) forecasts the next 24 hours.
    Returns the announcements made at each day's close."""
    rng = random.Random(seed)
    announced_by_day = {}
    for index in range(24 * days):
        hour = start_of(FIRST_DAY) + index * HOUR
        factor = 3.0 if triples_on is not None and hour.date() >= FIRST_DAY + triples_on * DAY else 1.0
        memory.hourly[(household_id, hour)] = row(
            household_id, hour, noisy(rng, factor * profile_kw(hour), 0.25)
        )
        before = len(memory.announced)
        outcome = score_events([closing(household_id, hour, index)], memory.ports(), SETTINGS)
        assert not outcome.failed_sequence_numbers
        issue_forecasts(memory, household_id, hour, profile_kw)
        if hour.hour == 23:
            announced_by_day[hour.date()] = len(memory.announced) - before
    return announced_by_day


def rolling_mean_profile() -> float:
    return sum(profile_kw(start_of(FIRST_DAY) + h * HOUR) for h in range(24)) / 24


def test_a_household_whose_use_triples_drifts_after_the_configured_days_and_not_before() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    announced = simulate(memory, "h1", 16, triples_on=10)
    triples = FIRST_DAY + 10 * DAY
    raised_on = [day for day, count in announced.items() if count]
    assert raised_on == [triples + 2 * DAY]  # the third day above twice the test error, only then
    subject, message = memory.announced[0]
    assert "h1" in subject and message["event"] == "raised" and message["since"] == triples.isoformat()
    mark = memory.get("h1", "drift")
    assert mark is not None and mark["status"] == drift.DRIFTING and mark["since"] == triples.isoformat()
    assert mark["run_days"] == 6  # days 10 to 15
    rolling = memory.get("h1", "rolling")
    assert rolling is not None and (rolling["as_of"], rolling["days"]) == ("2010-03-16", 7)
    assert rolling["by_lead"]["1"]["pairs"] == 7 * 24
    # six of the window's seven days at three times the use the model expects
    assert rolling["overall"]["mean_actual_kw"] == pytest.approx(
        (1 + 6 * 3) / 7 * rolling_mean_profile(), rel=0.05
    )
    steady_day = memory.get("h1", f"day#{(triples - DAY).isoformat()}")
    assert steady_day is not None and steady_day["hours"] == 24


def test_drift_resolves_on_the_first_day_back_under_the_multiple() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    simulate(memory, "h1", 14, triples_on=8)  # drifting from day 10
    rng = random.Random(1)
    for index in range(24 * 14, 24 * 15):  # day 14: back to the usual profile
        hour = start_of(FIRST_DAY) + index * HOUR
        memory.hourly[("h1", hour)] = row("h1", hour, noisy(rng, profile_kw(hour), 0.25))
        score_events([closing("h1", hour, index)], memory.ports(), SETTINGS)
        issue_forecasts(memory, "h1", hour, profile_kw)
    assert [m["event"] for _, m in memory.announced] == ["raised", "resolved"]
    assert memory.get("h1", "drift")["status"] == drift.STEADY  # type: ignore[index]


def test_a_redelivered_day_close_announces_nothing_twice() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    simulate(memory, "h1", 13, triples_on=10)

    def without_expiry() -> dict[tuple[str, str], dict[str, object]]:
        return {k: {a: v for a, v in i.items() if a != "expires_at"} for k, i in memory.items.items()}

    items = without_expiry()
    last = start_of(FIRST_DAY + 12 * DAY) + 23 * HOUR
    outcome = score_events([closing("h1", last, 999)], memory.ports(), SETTINGS)
    assert (outcome.drift_raised, len(memory.announced)) == (0, 1)
    assert without_expiry() == items


def test_a_household_that_only_uses_more_than_the_training_house_is_not_drifting() -> None:
    # errors in proportion to its use: relative to its mean load, as good as the model's test error
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=1.0)})
    rng = random.Random(2)
    for index in range(24 * 6):
        hour = start_of(FIRST_DAY) + index * HOUR
        memory.hourly[("big", hour)] = row("big", hour, noisy(rng, 3 * profile_kw(hour), 0.75))
        score_events([closing("big", hour, index)], memory.ports(), SETTINGS)
        issue_forecasts(memory, "big", hour, lambda h: 3 * profile_kw(h))
    assert memory.announced == []
    assert memory.get("big", "drift")["status"] == drift.STEADY  # type: ignore[index]


def test_without_published_test_metrics_drift_is_not_checked() -> None:
    memory = MemoryAccuracy()
    simulate(memory, "h1", 13, triples_on=5)
    assert memory.announced == [] and memory.get("h1", "drift") is None
    assert memory.get("h1", f"day#{(FIRST_DAY + 12 * DAY).isoformat()}") is not None


def test_the_baseline_is_the_served_blend_when_the_bundle_has_one() -> None:
    metadata = {
        "metrics": {"rmse_by_lead_kw": [1.0, 1.0], "blend_rmse_by_lead_kw": [0.3, 0.4], "test_mean_kw": 1.2}
    }
    baseline = baseline_of("lstm/x.tar.gz", metadata)
    assert baseline is not None
    assert baseline.rmse_kw == pytest.approx((0.125) ** 0.5) and baseline.mean_kw == 1.2
    assert baseline_of("lstm/x.tar.gz", {"metrics": {}}) is None


# Months and the fleet ----------------------------------------------------------------------------


def test_the_last_day_of_a_month_scores_its_projections() -> None:
    memory = MemoryAccuracy()
    for day in range(1, 32):
        memory.forecasts[("h1", f"day#2010-03-{day:02d}")] = {"kwh_by_hour": [0.5] * 24, "sub_meters_kwh": {}}
    memory.forecasts[("h1", "month#2010-03#2010-03-15")] = {
        "as_of": "2010-03-15",
        "projected_month_kwh": 400.0,
        "projected_month_kwh_lower": 350.0,
        "projected_month_kwh_upper": 450.0,
    }
    last = datetime.fromisoformat("2010-03-31T23:00:00+00:00")
    memory.hourly[("h1", last)] = row("h1", last, 1.0)
    outcome = score_events([event("h1", last, day_closed=True)], memory.ports(), SETTINGS)
    assert outcome.months_scored == 1
    month = memory.get("h1", "month#2010-03")
    assert month is not None and month["actual_kwh"] == 372.0 and month["hours_measured_share"] == 1.0
    assert month["projections"] == [
        {
            "as_of": "2010-03-15",
            "projected_kwh": 400.0,
            "error_kwh": 28.0,
            "error_pct": 7.53,
            "within_interval": True,
        }
    ]


def test_the_fleet_sweep_counts_drifting_households_and_sums_the_fleet() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    simulate(memory, "h1", 12, triples_on=8, seed=3)
    simulate(memory, "h2", 12, triples_on=None, seed=4)
    outcome = sweep_fleet(memory.ports(), SETTINGS, now=1_700_000_000.0)
    assert (outcome.households, outcome.drifting_households) == (2, 1)
    newest = FIRST_DAY + 11 * DAY
    assert outcome.newest_day == newest.isoformat()
    fleet_day = memory.get(FLEET, f"day#{newest.isoformat()}")
    h1, h2 = (memory.get(h, f"day#{newest.isoformat()}") for h in ("h1", "h2"))
    assert fleet_day is not None and h1 is not None and h2 is not None
    assert fleet_day["sums"]["1"][0] == h1["sums"]["1"][0] + h2["sums"]["1"][0]
    assert fleet_day["households"] == 2
    # one household in two tripled: the fleet's error is up, past twice the test error
    assert outcome.fleet is not None and outcome.fleet["status"] == drift.DRIFTING


def test_a_failing_store_fails_that_households_records_only() -> None:
    memory = MemoryAccuracy()

    class Broken(MemoryAccuracy):
        def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
            if household_id == "bad":
                raise DependencyError("throttled")
            return super().rows(household_id, first_hour, last_hour)

    broken = Broken()
    hour = datetime.fromisoformat("2010-03-02T12:00:00+00:00")
    broken.hourly[("ok", hour)] = row("ok", hour, 1.0)
    issue_forecasts(broken, "ok", hour - HOUR, profile_kw)
    outcome = score_events([event("bad", hour, 1), event("ok", hour, 2)], broken.ports(), SETTINGS)
    assert outcome.failed_sequence_numbers == {"1"} and outcome.hours_scored == 1
    assert memory.items == {}


def test_hour_closed_records_decode_and_others_are_skipped() -> None:
    good = hour_closed_record("h1", datetime.fromisoformat("2010-03-02T12:00:00+00:00"), 7, revised=True)
    bad = hour_closed_record("h1", datetime.fromisoformat("2010-03-02T23:00:00+00:00"), 8)
    bad["kinesis"]["data"] = "bm90IGpzb24="
    events, ignored = decode_events([good, bad])
    assert ignored == 1
    assert events[0].household_id == "h1" and events[0].revised and events[0].closes_day is False
    assert decode_events([hour_closed_record("h1", datetime.fromisoformat("2010-03-02T23:00:00+00:00"), 9)])[
        0
    ][0].closes_day


# wattcast monitor --------------------------------------------------------------------------------


def test_the_monitor_report_shows_fleet_and_households_beside_the_test_error() -> None:
    from scripts.monitoring.report import format_report, monitor_report

    baseline = Baseline(
        MODEL, rmse_kw=0.3, mean_kw=None, rmse_by_lead_kw=(0.25,) * 24, coverage_by_lead=(0.8,) * 24
    )
    memory = MemoryAccuracy(baselines={MODEL: baseline})
    simulate(memory, "h1", 12, triples_on=8, seed=5)
    simulate(memory, "h2", 12, triples_on=None, seed=6)
    report = monitor_report(memory, memory, window_days=7)
    assert report.as_of == (FIRST_DAY + 11 * DAY).isoformat()
    h1, h2 = report.households
    assert (h1["household_id"], h1["drift"]["status"], h2["drift"]["status"]) == ("h1", "drifting", "steady")
    assert h2["next_hour"]["test_rmse_kw"] == 0.25 and h2["next_hour"]["rmse_vs_test"] < 1.5
    assert h1["overall"]["rmse_vs_test"] > 2
    fleet = report.fleet
    assert fleet is not None and fleet["households"] == 2 and set(fleet["by_lead"]) == {"1", "6", "12", "24"}
    assert fleet["by_lead"]["1"]["pairs"] == 2 * 7 * 24
    lines = format_report(report)
    assert any(line.strip().startswith("h1") and "DRIFTING since 2010-03-09" in line for line in lines)
    only = monitor_report(memory, memory, window_days=3, household_ids=["h2"])
    assert [h["household_id"] for h in only.households] == ["h2"] and only.fleet["households"] == 1  # type: ignore[index]


# What a review found -------------------------------------------------------------------------------


class FailingOnce(MemoryAccuracy):
    """The operations topic throttles its first announcement."""

    failures: int = 1

    def announce(self, subject: str, message: Mapping[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyError("SNS throttled")
        super().announce(subject, message)


def test_an_announcement_that_fails_is_made_when_the_records_are_retried() -> None:
    memory = FailingOnce(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    with pytest.raises(AssertionError):  # simulate() asserts no failed record: the raising day fails
        simulate(memory, "h1", 13, triples_on=10)
    assert memory.announced == [] and memory.get("h1", "drift")["status"] == drift.STEADY  # type: ignore[index]
    last = start_of(FIRST_DAY + 12 * DAY) + 23 * HOUR
    outcome = score_events([closing("h1", last, 9_999)], memory.ports(), SETTINGS)  # the retry
    assert outcome.drift_raised == 1 and [m["event"] for _, m in memory.announced] == ["raised"]


def test_a_revision_of_an_old_day_does_not_rewind_the_rolling_error() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    simulate(memory, "h1", 14, triples_on=None)
    old = start_of(FIRST_DAY + 3 * DAY) + 5 * HOUR
    score_events([event("h1", old, 10_000, revised=True, day_closed=True)], memory.ports(), SETTINGS)
    rolling, mark = memory.get("h1", "rolling"), memory.get("h1", "drift")
    assert rolling is not None and rolling["as_of"] == (FIRST_DAY + 13 * DAY).isoformat()
    assert mark is not None and mark["day"] == (FIRST_DAY + 13 * DAY).isoformat()


def test_a_run_of_bad_days_is_judged_against_one_model() -> None:
    new = "lstm/new.tar.gz"
    memory = MemoryAccuracy(baselines={m: Baseline(m, rmse_kw=0.3, mean_kw=None) for m in (MODEL, new)})
    simulate(memory, "h1", 12, triples_on=10)  # days 10 and 11 above twice the test error
    promoted = format_ts(start_of(FIRST_DAY + 11 * DAY) + 12 * HOUR)  # a new champion from day 11, noon
    for item in memory.forecasts.values():
        if item["issued_for"] >= promoted:
            item["model"] = new
    rng = random.Random(7)
    for index in range(24 * 12, 24 * 13):  # day 12: above as well, forecast by the new model
        hour = start_of(FIRST_DAY) + index * HOUR
        memory.hourly[("h1", hour)] = row("h1", hour, noisy(rng, 3 * profile_kw(hour), 0.25))
        score_events([closing("h1", hour, index)], memory.ports(), SETTINGS)
        issue_forecasts(memory, "h1", hour, profile_kw)
        memory.forecasts[("h1", f"lstm#{format_ts(hour + HOUR)}")]["model"] = new
    assert memory.get("h1", f"day#{(FIRST_DAY + 12 * DAY).isoformat()}")["model"] == new  # type: ignore[index]
    mark = memory.get("h1", "drift")
    assert mark is not None and mark["status"] == drift.STEADY and mark["run_days"] < SETTINGS.drift_days
    assert memory.announced == []


def test_a_household_that_went_quiet_while_drifting_does_not_hold_the_fleet_count() -> None:
    memory = MemoryAccuracy(baselines={MODEL: Baseline(MODEL, rmse_kw=0.3, mean_kw=None)})
    memory.put(
        [ScoreItem("gone", "drift", {"status": drift.DRIFTING, "day": "2010-03-02", "since": "2010-02-28"})]
    )
    simulate(memory, "h2", 12, triples_on=None, seed=4)
    outcome = sweep_fleet(memory.ports(), SETTINGS, now=1_700_000_000.0)
    assert (outcome.households, outcome.drifting_households) == (2, 0)
