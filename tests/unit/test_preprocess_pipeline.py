"""The preprocess pipeline over in-memory ports: what it asks the endpoint, what it stores, what fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scripts.local.esm.events import kinesis_event_from_payloads
from services.core.errors import DependencyError
from services.core.forecast_store import ForecastItem
from services.core.hourly import HourlyRow
from services.core.month_projection import projection_request
from services.core.reading import MEASURES, format_ts
from services.core.settings import Settings
from services.preprocess.pipeline import (
    PreprocessPorts,
    lstm_request_body,
    payload_chunks,
    preprocess_batch,
)

SETTINGS = Settings.from_env({}, history_hours=48)
START = datetime(2010, 2, 1, tzinfo=UTC)


def rows(household: str, hours: int, power: float = 1.0) -> list[HourlyRow]:
    return [
        HourlyRow(
            household,
            START + timedelta(hours=h),
            60,
            {m: (power if m == "global_active_power" else 1.0) for m in MEASURES},
        )
        for h in range(hours)
    ]


@dataclass
class FakeHistory:
    stored: dict[str, list[HourlyRow]]
    failing: set[str] = field(default_factory=set)
    calls: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        self.calls.append((household_id, first_hour, last_hour))
        if household_id in self.failing:
            raise DependencyError("table down")
        return [r for r in self.stored.get(household_id, []) if first_hour <= r.hour <= last_hour]


@dataclass
class FakeForecaster:
    lookback: int = 24
    down: bool = False
    champion: str = "lstm/20261201120624.tar.gz"  # the target the model pointer names
    lstm_requests: list[dict[str, Any]] = field(default_factory=list)
    projections: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def lstm(self, body: bytes, deadline: float) -> tuple[dict[str, Any], str]:
        if self.down:
            raise DependencyError("endpoint down")
        request = json.loads(body)
        assert request["errors"] == "per_instance"
        self.lstm_requests.append(request)
        predictions = []
        for instance in request["instances"]:
            if len(instance["hours"]) < self.lookback:
                predictions.append({"household_id": instance["household_id"], "error": "needs more hours"})
            else:
                last = datetime.fromisoformat(instance["hours"][-1]["ts"])
                predictions.append(
                    {
                        "household_id": instance["household_id"],
                        "forecast": [
                            {
                                "ts": format_ts(last + timedelta(hours=k + 1)),
                                "global_active_power": 0.5,
                                "p10": 0.2 + k,
                                "p50": 0.4 + k,
                                "p90": 0.9 + k,
                            }
                            for k in range(3)
                        ],
                    }
                )
        return {"predictions": predictions}, self.champion

    def projection(
        self, household_id: str, request: dict[str, Any], deadline: float
    ) -> tuple[dict[str, Any], str]:
        if self.down:
            raise DependencyError("endpoint down")
        self.projections.append((household_id, request))
        answer = {
            "month": request["as_of"][:7],
            "actual_to_date_kwh": 1.0,
            "projected_month_kwh": 2.0,
            "projected_month_kwh_lower": 1.5,
            "projected_month_kwh_upper": 2.5,
            "forecast": [],
            "remaining_kwh_samples": [0.9, 1.0, 1.1],
        }
        return answer, "prophet/default.tar.gz"


@dataclass
class FakeStore:
    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
        for item in items:
            self.items[(item.household_id, item.forecast_key)] = item.attributes
        return []

    def put_new(self, items: Sequence[ForecastItem]) -> tuple[list[ForecastItem], list[ForecastItem]]:
        new = [i for i in items if (i.household_id, i.forecast_key) not in self.items]
        return new, self.put(new)


def events(*closed: tuple[str, int], **flags: bool) -> list[dict[str, Any]]:
    payloads = [
        json.dumps(
            {"type": "hour_closed", "household_id": h, "hour": format_ts(START + timedelta(hours=n)), **flags}
        ).encode()
        for h, n in closed
    ]
    records: list[dict[str, Any]] = kinesis_event_from_payloads(payloads, first_sequence=100)["Records"]
    return records


def run(records, history, forecaster=None, store=None):
    forecaster, store = forecaster or FakeForecaster(), store or FakeStore()
    outcome = preprocess_batch(records, PreprocessPorts(history, forecaster, store), SETTINGS, deadline=1e12)
    return outcome, forecaster, store


def test_one_query_per_household_and_one_endpoint_call_for_the_batch() -> None:
    history = FakeHistory({"a": rows("a", 40), "b": rows("b", 40)})
    outcome, forecaster, store = run(events(("a", 30), ("a", 31), ("b", 31)), history)
    assert sorted(h for h, _, _ in history.calls) == ["a", "b"]
    assert len(forecaster.lstm_requests) == 1 and len(forecaster.lstm_requests[0]["instances"]) == 3
    assert outcome.forecasts_stored == 3 and outcome.failed_sequence_numbers == set()
    first_instance = forecaster.lstm_requests[0]["instances"][0]
    assert first_instance["hours"][-1]["ts"] == format_ts(START + timedelta(hours=30))
    assert len(first_instance["hours"]) == 31  # everything stored from the window start (48 h back) to 30
    assert ("a", "lstm#2010-02-02T07:00:00Z") in store.items


def test_a_new_meter_is_warming_up_not_failing() -> None:
    outcome, _, store = run(events(("new", 5)), FakeHistory({"new": rows("new", 6)}))
    assert outcome.warming_up == 1 and outcome.forecasts_stored == 0 and not outcome.failed_sequence_numbers
    assert store.items == {}


def test_a_closed_day_asks_for_the_rest_of_the_month_with_the_measured_days() -> None:
    history = FakeHistory({"a": rows("a", 24 * 3, power=2.0)})
    outcome, forecaster, store = run(events(("a", 47)), history)  # 2010-02-02 23:00 closes the 2nd
    ((household, request),) = forecaster.projections
    assert household == "a" and request["as_of"] == "2010-02-03"
    assert request["days"] == [{"date": "2010-02-01", "kwh": 48.0}, {"date": "2010-02-02", "kwh": 48.0}]
    assert outcome.projections_stored == 1 and ("a", "month#2010-02#2010-02-03") in store.items
    assert store.items[("a", "month#2010-02#2010-02-03")]["remaining_kwh_samples"] == [0.9, 1.0, 1.1]


def test_a_closed_day_is_rolled_up_into_one_item_and_a_revision_rolls_it_up_again() -> None:
    history = FakeHistory({"a": rows("a", 24 * 3, power=2.0)})
    outcome, _, store = run(events(("a", 47)), history)
    day = store.items[("a", "day#2010-02-02")]
    assert outcome.days_stored == 1 and day["kwh_by_hour"] == [2.0] * 24 and day["kind"] == "day"
    # every measure is 1.0 in these rows: each sub-meter 1 Wh a minute, 0.06 kWh an hour
    assert day["sub_meters_kwh"] == {
        "kitchen": 1.44,
        "laundry": 1.44,
        "water_heater_and_air_conditioning": 1.44,
        "whole_house": 48.0,
    }
    assert day["sub_meter_hours"] == 24
    history.stored["a"] = [r for r in history.stored["a"] if r.hour.hour != 5]  # a revision found fewer
    revised, _, store = run(events(("a", 30), revised=True, day_closed=True), history)
    assert revised.days_stored == 1 and store.items[("a", "day#2010-02-02")]["kwh_by_hour"][5] is None
    assert run(events(("a", 40)), history)[2].items.get(("a", "day#2010-02-02")) is None  # not closing


def test_the_last_day_of_a_month_projects_the_next_month_from_nothing() -> None:
    request = projection_request("a", datetime(2010, 3, 1).date(), rows("a", 24 * 28))
    assert request == {"household_id": "a", "as_of": "2010-03-01", "days": []}


def test_a_down_endpoint_fails_exactly_the_affected_records() -> None:
    outcome, _, store = run(
        events(("a", 30), ("b", 31)),
        FakeHistory({"a": rows("a", 40), "b": rows("b", 40)}),
        FakeForecaster(down=True),
    )
    assert outcome.failed_sequence_numbers == {"100", "101"} and store.items == {}


def test_an_unreadable_history_fails_only_that_household() -> None:
    history = FakeHistory({"a": rows("a", 40), "b": rows("b", 40)}, failing={"b"})
    outcome, _, store = run(events(("a", 30), ("b", 31)), history)
    assert outcome.failed_sequence_numbers == {"101"} and list(store.items) == [
        ("a", "lstm#2010-02-02T07:00:00Z")
    ]


def test_the_same_events_twice_write_the_same_keys() -> None:
    history, store = FakeHistory({"a": rows("a", 40)}), FakeStore()
    run(events(("a", 30), ("a", 31)), history, store=store)
    first = {key: {k: v for k, v in value.items() if k != "stored_at"} for key, value in store.items.items()}
    run(events(("a", 30), ("a", 31)), history, store=store)
    assert {
        key: {k: v for k, v in value.items() if k != "stored_at"} for key, value in store.items.items()
    } == first
    assert len(store.items) == 2


def test_events_that_are_not_hour_closed_are_ignored() -> None:
    records = kinesis_event_from_payloads([b"{}", b"not json", json.dumps({"type": "other"}).encode()])[
        "Records"
    ]
    outcome, forecaster, _ = run(records, FakeHistory({}))
    assert (
        outcome.ignored_events == 3 and not outcome.failed_sequence_numbers and forecaster.lstm_requests == []
    )


def test_instances_are_split_only_when_the_payload_limit_needs_it() -> None:
    pairs = [(None, json.dumps({"hours": ["x" * 1000]})) for _ in range(10)]
    assert [len(c) for c in payload_chunks(pairs, 100_000)] == [10]  # type: ignore[arg-type]
    chunks = payload_chunks(pairs, 3_500)  # type: ignore[arg-type]
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    bodies = [lstm_request_body([text for _, text in chunk]) for chunk in chunks]
    assert all(len(body) <= 3_500 for body in bodies)
    assert len(lstm_request_body([text for _, text in pairs[:4]])) > 3_500  # a fourth instance would not fit
    assert [len(json.loads(body)["instances"]) for body in bodies] == [3, 3, 3, 1]


def test_lstm_items_carry_the_forecast_and_its_timing() -> None:
    history = FakeHistory({"a": rows("a", 40)})
    _, _, store = run(events(("a", 30)), history)
    (item,) = store.items.values()
    assert item["kind"] == "lstm" and item["kw"] == [0.5, 0.5, 0.5]
    assert item["kw_p10"] == [0.2, 1.2, 2.2] and item["kw_p90"] == [0.9, 1.9, 2.9]
    assert item["kw_p50"] == [0.4, 1.4, 2.4]
    assert item["origin"] == "2010-02-02T06:00:00Z" and item["issued_for"] == "2010-02-02T07:00:00Z"
    assert item["event_arrival"] == pytest.approx(1_700_000_000.0)
    assert item["expires_at"] == int(1_700_000_000.0) + 35 * 86_400  # from the event, so redelivery keeps it
    assert item["model"] == "lstm/20261201120624.tar.gz"  # the target invoked, not the fixed setting


def test_a_revised_hour_gets_the_forecast_it_never_had_and_keeps_the_one_it_had() -> None:
    history, store = FakeHistory({"a": rows("a", 40)}), FakeStore()
    run(events(("a", 30)), history, store=store)
    issued = dict(store.items[("a", "lstm#2010-02-02T07:00:00Z")])
    history.stored["a"] = rows("a", 40, power=3.0)  # late readings changed the hours
    outcome, _, _ = run(events(("a", 30), ("a", 31), revised=True, day_closed=False), history, store=store)
    assert store.items[("a", "lstm#2010-02-02T07:00:00Z")] == issued  # the record of what was forecast
    assert ("a", "lstm#2010-02-02T08:00:00Z") in store.items  # hour 31 had none: it gets one now
    assert (outcome.forecasts_stored, outcome.forecasts_kept, outcome.failed_sequence_numbers) == (
        1,
        1,
        set(),
    )


def test_a_revision_of_a_closed_day_recomputes_that_days_projection() -> None:
    history = FakeHistory({"a": rows("a", 24 * 3, power=2.0)})
    outcome, forecaster, store = run(events(("a", 30), revised=True, day_closed=True), history)
    ((_, request),) = forecaster.projections
    assert request["as_of"] == "2010-02-03" and ("a", "month#2010-02#2010-02-03") in store.items
    assert outcome.projections_stored == 1
    _, open_day, _ = run(events(("a", 50), revised=True, day_closed=False), history)
    assert open_day.projections == []


def test_on_the_batch_route_a_closed_day_is_rolled_up_but_not_projected() -> None:
    history = FakeHistory({"a": rows("a", 24 * 3, power=2.0)})
    forecaster, store = FakeForecaster(), FakeStore()
    batch_route = SETTINGS.replace(projection_route="batch")
    outcome = preprocess_batch(
        events(("a", 47)), PreprocessPorts(history, forecaster, store), batch_route, deadline=1e12
    )
    assert forecaster.projections == [] and outcome.projections_stored == 0
    assert outcome.days_stored == 1 and ("a", "day#2010-02-02") in store.items
    assert outcome.forecasts_stored == 1 and outcome.failed_sequence_numbers == set()


def test_the_households_histories_are_read_concurrently() -> None:
    # Each read waits until three are in flight at once: read one after another, they would break it.
    stored = {h: rows(h, 40) for h in ("a", "b", "c")}
    barrier = threading.Barrier(3, timeout=10)

    class ConcurrentHistory(FakeHistory):
        def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
            barrier.wait()
            return super().rows(household_id, first_hour, last_hour)

    outcome, _, store = run(events(("a", 30), ("b", 30), ("c", 30)), ConcurrentHistory(stored))
    assert outcome.failed_sequence_numbers == set() and outcome.forecasts_stored == 3
    assert {h for h, _ in store.items} == {"a", "b", "c"}
