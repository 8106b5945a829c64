"""The alert machines: budget crossing, re-arming and stale evidence; unusual-use runs; silent meters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.portal.alerts import HourUse, budget_step, silent_meter_step, unusual_use_step
from services.portal.household_settings import Budget, UnusualUse

BUDGET = Budget(300.0, "kWh")
T0 = datetime(2010, 2, 10, 12, tzinfo=UTC)
H = timedelta(hours=1)


def step(state, as_of, projected, thresholds=(0.8, 1.0)):
    return budget_step(
        state, month="2010-02", as_of=as_of, projected=projected, budget=BUDGET, thresholds=thresholds
    )


def test_a_crossing_raises_once_per_threshold_and_rearms_when_the_projection_falls_back() -> None:
    first = step(None, "2010-02-05", 250.0)  # 83 %: over 80 %, under 100 %
    assert [r.key for r in first.raised] == ["budget#2010-02#0.8#1"]
    assert first.raised[0].details == {
        "month": "2010-02",
        "threshold": 0.8,
        "limit": 240.0,
        "projected": 250.0,
        "unit": "kWh",
    }
    again = step(first.state, "2010-02-06", 260.0)  # still over: nothing new
    assert again.raised == [] and again.resolved == []
    both = step(again.state or first.state, "2010-02-07", 310.0)
    assert [r.key for r in both.raised] == ["budget#2010-02#1#1"]
    back = step(both.state, "2010-02-08", 200.0)  # under both: both re-arm, both resolve
    assert back.raised == [] and sorted(back.resolved) == ["budget#2010-02#0.8#1", "budget#2010-02#1#1"]
    cross_again = step(back.state, "2010-02-09", 245.0)
    assert [r.key for r in cross_again.raised] == ["budget#2010-02#0.8#2"]  # a new crossing, a new key


def test_redelivered_and_stale_projections_change_nothing() -> None:
    first = step(None, "2010-02-05", 250.0)
    assert step(first.state, "2010-02-05", 250.0).state is None  # the same evidence again
    stale = step(first.state, "2010-02-04", 100.0)  # older than the applied one
    assert stale.raised == [] and stale.resolved == [] and stale.state is None


def test_exactly_at_the_limit_counts_as_crossed() -> None:
    assert [r.key for r in step(None, "2010-02-05", 240.0, thresholds=(0.8,)).raised] == [
        "budget#2010-02#0.8#1"
    ]
    assert step(None, "2010-02-05", 239.99, thresholds=(0.8,)).raised == []


def uses(values, bounds, start=T0):
    return [
        HourUse(start + i * H, kwh, bound) for i, (kwh, bound) in enumerate(zip(values, bounds, strict=True))
    ]


def test_k_consecutive_hours_above_the_bound_raise_one_alert_keyed_by_the_runs_first_hour() -> None:
    rule = UnusualUse(hours=3, bound="p90", margin_kw=0.1)
    hours = uses([0.5, 2.0, 2.1, 2.2], [1.0, 1.0, 1.0, 1.0])
    outcome = unusual_use_step(hours, rule, [])
    assert [r.key for r in outcome.raised] == ["unusual_use#2010-02-10T13:00:00Z"]
    assert outcome.raised[0].details["hours"] == 3
    assert outcome.raised[0].details["kwh_above_bound"] == 3.3
    longer = unusual_use_step([*hours, *uses([2.5], [1.0], T0 + 4 * H)], rule, [])
    assert [r.key for r in longer.raised] == ["unusual_use#2010-02-10T13:00:00Z"]  # the same run, same key


def test_the_margin_a_gap_or_a_missing_forecast_break_the_run() -> None:
    rule = UnusualUse(hours=2, margin_kw=0.5)
    assert unusual_use_step(uses([1.4, 1.4], [1.0, 1.0]), rule, []).raised == []  # within the margin
    gap = [*uses([2.0], [1.0]), *uses([2.0], [1.0], T0 + 2 * H)]
    assert unusual_use_step(gap, rule, []).raised == []
    assert unusual_use_step(uses([2.0, 2.0], [None, 1.0]), rule, []).raised == []


def test_an_hour_under_the_bound_resolves_the_open_run() -> None:
    open_keys = ["unusual_use#2010-02-10T09:00:00Z", "budget#2010-02#1#1"]
    outcome = unusual_use_step(uses([0.5], [1.0]), UnusualUse(), open_keys)
    assert outcome.resolved == ["unusual_use#2010-02-10T09:00:00Z"]


def test_a_meter_silent_longer_than_its_setting_raises_once_and_resolves_when_it_speaks() -> None:
    latest, fleet = T0, T0 + 7 * H
    raised = silent_meter_step(latest, fleet, 6, [])
    assert [r.key for r in raised.raised] == ["silent_meter#2010-02-10T12:00:00Z"]
    assert raised.raised[0].details == {"last_reading": "2010-02-10T12:00:00Z", "silent_hours": 7.0}
    assert silent_meter_step(latest, fleet + H, 6, ["silent_meter#2010-02-10T12:00:00Z"]).raised == []
    assert silent_meter_step(latest, T0 + 6 * H, 6, []).raised == []  # exactly the setting: not yet
    spoke = silent_meter_step(fleet, fleet, 6, ["silent_meter#2010-02-10T12:00:00Z"])
    assert spoke.resolved == ["silent_meter#2010-02-10T12:00:00Z"]
