"""The alerts function over in-memory ports: stored once per key, announced once, also under
redelivery and after a failed announcement; budget crossings from projections; the silent sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scripts.local.portal_memory import MemoryStores
from services.core.hourly import HourlyRow
from services.core.reading import MEASURES, format_ts
from services.portal.alerting import evaluate_closed_hours, sweep_silent_meters

H = timedelta(hours=1)
T0 = datetime(2010, 2, 1, tzinfo=UTC)


def row(household: str, hour: datetime, kw: float) -> HourlyRow:
    means: dict[str, float | None] = dict.fromkeys(MEASURES, 0.0)
    means["global_active_power"] = kw
    return HourlyRow(household, hour, 60, means)


def lstm_item(hour: datetime, p90: float) -> dict[str, Any]:
    ts = format_ts(hour)
    return {
        "forecast_key": f"lstm#{ts}",
        "issued_for": ts,
        "origin": format_ts(hour - H),
        "model": "m",
        "kw": [p90 / 2] * 24,
        "kw_p10": [0.1] * 24,
        "kw_p90": [p90] * 24,
    }


def with_hours(
    fakes: MemoryStores, household: str, kws: list[float], p90: float, start: datetime = T0
) -> datetime:
    for i, kw in enumerate(kws):
        hour = start + i * H
        fakes.hours.rows_by_household.setdefault(household, []).append(row(household, hour, kw))
        fakes.forecasts.items.setdefault(household, []).append(lstm_item(hour, p90))
    return start + (len(kws) - 1) * H


def test_unusual_use_is_stored_and_announced_once_also_when_the_batch_is_redelivered() -> None:
    fakes = MemoryStores()
    last = with_hours(fakes, "h1", [0.5, 3.0, 3.0, 3.0], p90=1.0)
    for _ in range(3):
        outcome = evaluate_closed_hours([("h1", last), ("h1", last - H)], fakes.alert_ports)
        assert outcome.failed_households == set()
    assert fakes.notifier.published == [("h1", "unusual_use#2010-02-01T01:00:00Z")]
    [alert] = fakes.alerts.alerts("h1")
    assert alert.status == "open" and alert.notified and alert.details["hours"] == 3


def test_an_announcement_that_failed_is_made_when_the_evidence_comes_again() -> None:
    fakes = MemoryStores()
    last = with_hours(fakes, "h1", [3.0, 3.0, 3.0], p90=1.0)
    fakes.notifier.failures = 1
    failed = evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    assert failed.failed_households == {"h1"} and fakes.notifier.published == []
    assert not fakes.alerts.alerts("h1")[0].notified  # stored, not yet announced
    retried = evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    assert retried.failed_households == set() and retried.raised == 0 and retried.announced == 1
    assert fakes.notifier.published == [("h1", "unusual_use#2010-02-01T00:00:00Z")]


def test_a_normal_hour_resolves_the_run() -> None:
    fakes = MemoryStores()
    last = with_hours(fakes, "h1", [3.0, 3.0, 3.0, 0.2], p90=1.0)
    evaluate_closed_hours([("h1", last - H)], fakes.alert_ports)
    outcome = evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    assert outcome.resolved == 1
    [alert] = fakes.alerts.alerts("h1")
    assert alert.status == "resolved" and alert.resolved_for == format_ts(last)


def projection(as_of: str, samples: list[float]) -> dict[str, Any]:
    return {
        "forecast_key": f"month#2010-02#{as_of}",
        "as_of": as_of,
        "month": "2010-02",
        "forecast": [],
        "remaining_kwh_samples": samples,
    }


def test_budget_alerts_follow_the_projection_across_crossings_and_rearm() -> None:
    fakes = MemoryStores()
    fakes.settings.put("h1", {"budget": {"amount": 100, "unit": "kWh"}, "budget_thresholds": [1.0]})
    last = with_hours(fakes, "h1", [1.0] * 24, p90=5.0)  # 24 kWh on Feb 1
    items = fakes.forecasts.items["h1"]
    items.append(projection("2010-02-02", [90.0, 95.0, 100.0]))  # 24 + 95 = 119 kWh: over
    evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    evaluate_closed_hours([("h1", last)], fakes.alert_ports)  # redelivered: nothing new
    assert fakes.notifier.published == [("h1", "budget#2010-02#1#1")]
    alert = fakes.alerts.alerts("h1")[0]
    assert alert.details["projected"] == 119.0 and alert.details["limit"] == 100.0
    items.append(projection("2010-02-03", [50.0, 60.0, 70.0]))  # 84: back under
    evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    assert fakes.alerts.alerts("h1")[0].status == "resolved"
    items.append(projection("2010-02-04", [80.0, 90.0, 99.0]))  # 114: over again
    evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    assert fakes.notifier.published == [("h1", "budget#2010-02#1#1"), ("h1", "budget#2010-02#1#2")]


def test_a_cost_budget_compares_the_projected_cost() -> None:
    fakes = MemoryStores()
    # Base option: 0.2016 EUR/kWh and 164.64 EUR/year standing; 28 days of February.
    fakes.settings.put("h1", {"budget": {"amount": 30, "unit": "EUR"}, "budget_thresholds": [1.0]})
    last = with_hours(fakes, "h1", [1.0] * 24, p90=5.0)
    fakes.forecasts.items["h1"].append(projection("2010-02-02", [100.0] * 3))
    evaluate_closed_hours([("h1", last)], fakes.alert_ports)
    [alert] = fakes.alerts.alerts("h1")
    expected = (24 + 100) * 0.2016 + 164.64 / 365.25 * 28
    assert alert.kind == "budget" and alert.details["unit"] == "EUR"
    assert abs(alert.details["projected"] - expected) < 1e-3


def test_the_sweep_raises_silent_meters_by_the_fleets_clock_once_and_readings_resolve_them() -> None:
    fakes = MemoryStores()
    fakes.clocks.latest = {"quiet": T0, "busy": T0 + 8 * H, "brief": T0 + 3 * H}
    sweep_silent_meters(fakes.alert_ports)
    sweep_silent_meters(fakes.alert_ports)
    assert fakes.notifier.published == [("quiet", "silent_meter#2010-02-01T00:00:00Z")]
    with_hours(fakes, "quiet", [0.3], p90=1.0, start=T0 + 9 * H)
    evaluate_closed_hours([("quiet", T0 + 9 * H)], fakes.alert_ports)
    assert fakes.alerts.alerts("quiet")[0].status == "resolved"
