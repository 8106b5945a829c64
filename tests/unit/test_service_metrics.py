"""What each service emits (services.core.metrics names, services.core.emf lines), read back from stdout,
and the closing reading's arrival that the hour-closed event carries from ingest to preprocess."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.memory_ports import MemoryPorts
from services.core.metrics import ALERTS, API, FORECASTER, INGEST, PREPROCESS, STATEMENTS
from services.core.settings import Settings
from services.forecaster.app import create_app
from services.ingest.aws import KinesisHourlyEvents
from services.ingest.pipeline import ingest_batch
from services.ingest.ports import HourClosed
from services.portal.alerting import AlertsOutcome
from services.preprocess.pipeline import PreprocessOutcome, PreprocessPorts, decode_hour_closed_events
from tests.emf_lines import emf_documents, metric_values
from tests.readings import payload, reading_dict
from tests.unit.test_preprocess_pipeline import FakeForecaster, FakeHistory, FakeStore, events, rows

SETTINGS = Settings.from_env({})
ARRIVAL = 1_700_000_000.0  # kinesis_event_from_payloads: the first record's, then 1 ms apart


def readings_event(readings: list[dict[str, Any]], arrival: float = ARRIVAL) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = kinesis_event_from_payloads(
        [payload(r) for r in readings],
        partition_keys=[r["household_id"] for r in readings],
        approximate_arrival=arrival,
    )["Records"]
    return records


# ingest


def test_ingest_emits_accepted_rejected_per_reason_and_hours_closed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.ingest import handler

    memory = MemoryPorts()
    monkeypatch.setattr(handler, "aws_ports", memory.ports)
    payloads = [payload(reading_dict("h1", m)) for m in range(150)]
    payloads[3] = b"garbage"
    payloads[7] = json.dumps(reading_dict("h1", 7) | {"voltage": 9999}).encode()
    payloads[9] = b"{also garbage"
    event = kinesis_event_from_payloads(payloads, partition_keys=["h1"] * 150)
    handler.lambda_handler(event, LocalLambdaContext("wattcast-ingest"))
    documents = emf_documents(capsys.readouterr().out)
    assert metric_values(documents, service=INGEST) == {
        "ReadingsAccepted": [147.0],
        "ReadingsRejected": [3.0],
        "HoursClosed": [2.0],
    }
    assert metric_values(documents, service=INGEST, reason="not_json") == {"ReadingsRejected": [2.0]}
    assert metric_values(documents, service=INGEST, reason="out_of_range") == {"ReadingsRejected": [1.0]}


def test_rejected_readings_count_only_once_their_dead_letters_are_sent() -> None:
    memory = MemoryPorts()
    memory.dead_letters.fail = True
    outcome = ingest_batch(
        readings_event([reading_dict("h1", 0)]) + garbage_record(), memory.ports(), SETTINGS
    )
    assert dict(outcome.rejected) == {"not_json": 1} and dict(outcome.dead_lettered) == {}


def garbage_record() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = kinesis_event_from_payloads([b"garbage"], first_sequence=1)["Records"]
    return records


def closing_arrivals(memory: MemoryPorts) -> dict[tuple[datetime, bool], float | None]:
    return {(e.hour, e.revised): e.closing_arrival for e in memory.hourly_events.events}


def hour(h: int) -> datetime:
    return datetime(2010, 1, 1, h, tzinfo=UTC)


def test_an_hour_closes_with_the_arrival_of_the_first_reading_past_its_end_and_lateness() -> None:
    memory = MemoryPorts()
    ingest_batch(readings_event([reading_dict("h1", m) for m in range(150)]), memory.ports(), SETTINGS)
    # Lateness 10 minutes: 01:10 closes hour 0 (record 70), 02:10 closes hour 1 (record 130).
    assert closing_arrivals(memory) == {
        (hour(0), False): pytest.approx(ARRIVAL + 0.070),
        (hour(1), False): pytest.approx(ARRIVAL + 0.130),
    }


def test_out_of_order_readings_close_hours_with_the_earliest_arrival_that_closes_them() -> None:
    memory = MemoryPorts()
    newest_first = [reading_dict("h1", m) for m in reversed(range(150))]
    ingest_batch(readings_event(newest_first), memory.ports(), SETTINGS)
    assert closing_arrivals(memory) == {(hour(0), False): ARRIVAL, (hour(1), False): ARRIVAL}


def test_a_revision_carries_the_arrival_of_the_late_reading() -> None:
    memory = MemoryPorts()
    ingest_batch(
        readings_event([reading_dict("h1", m) for m in range(150) if m != 30]), memory.ports(), SETTINGS
    )
    ingest_batch(readings_event([reading_dict("h1", 30)], arrival=ARRIVAL + 60), memory.ports(), SETTINGS)
    assert closing_arrivals(memory)[(hour(0), True)] == ARRIVAL + 60


def test_the_hour_closed_event_carries_the_closing_arrival_only_when_known() -> None:
    sent: list[dict[str, Any]] = []

    class Kinesis:
        def put_records(self, **request: Any) -> dict[str, Any]:
            sent.extend(json.loads(r["Data"]) for r in request["Records"])
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1"} for _ in request["Records"]]}

    events = KinesisHourlyEvents(SimpleNamespace(kinesis=Kinesis()), SETTINGS)  # type: ignore[arg-type]
    events.publish([HourClosed("h1", hour(3), closing_arrival=ARRIVAL), HourClosed("h2", hour(3))])
    assert sent == [
        {
            "type": "hour_closed",
            "household_id": "h1",
            "hour": "2010-01-01T03:00:00Z",
            "revised": False,
            "day_closed": False,
            "closing_arrival": ARRIVAL,
        },
        {
            "type": "hour_closed",
            "household_id": "h2",
            "hour": "2010-01-01T03:00:00Z",
            "revised": False,
            "day_closed": False,
        },
    ]


# preprocess


def test_preprocess_reads_the_closing_arrival_when_the_event_has_one() -> None:
    records = events(("a", 30), ("b", 30), ("c", 30))
    for record, closing in zip(records, (ARRIVAL, "soon", None), strict=True):
        body = json.loads(base64.b64decode(record["kinesis"]["data"]))
        if closing is not None:
            body["closing_arrival"] = closing
        record["kinesis"]["data"] = base64.b64encode(json.dumps(body).encode()).decode()
    decoded = decode_hour_closed_events(records, PreprocessOutcome())
    assert [e.closing_arrival for e in decoded] == [ARRIVAL, None, None]


def with_closing_arrival(records: list[dict[str, Any]], closing: float) -> list[dict[str, Any]]:
    for record in records:
        body = json.loads(base64.b64decode(record["kinesis"]["data"])) | {"closing_arrival": closing}
        record["kinesis"]["data"] = base64.b64encode(json.dumps(body).encode()).decode()
    return records


def test_preprocess_emits_forecasts_warming_up_endpoint_latency_and_event_to_forecast(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.preprocess import handler

    history = FakeHistory({"a": rows("a", 40), "new": rows("new", 3)})
    ports = PreprocessPorts(history, FakeForecaster(), any_store())
    monkeypatch.setattr(handler, "aws_ports", lambda: ports)
    closing = time.time() - 42.0
    records = with_closing_arrival(events(("a", 30), ("a", 31), ("new", 2)), closing)
    handler.lambda_handler({"Records": records}, LocalLambdaContext("wattcast-preprocess"))
    values = metric_values(emf_documents(capsys.readouterr().out), service=PREPROCESS)
    assert values["ForecastsStored"] == [2.0]
    assert values["HouseholdsWarmingUp"] == [1.0]
    assert values["EndpointErrors"] == [0.0]
    assert len(values["EndpointLatency"]) == 1 and 0 <= values["EndpointLatency"][0] < 5_000
    assert values["EventToForecastLatency"] == [pytest.approx(42.0, abs=5.0)] * 2


def test_old_events_without_the_closing_arrival_give_no_latency_sample() -> None:
    history = FakeHistory({"a": rows("a", 40)})
    outcome = run_batch(events(("a", 30)), history)
    assert outcome.forecasts_stored == 1 and outcome.event_to_forecast_seconds == []


def test_a_down_endpoint_counts_an_error_and_the_time_spent_per_call() -> None:
    history = FakeHistory({"a": rows("a", 40)})
    outcome = run_batch(events(("a", 23)), history, FakeForecaster(down=True))  # a day closes: 2 calls
    assert outcome.endpoint_errors == 2 and len(outcome.endpoint_latencies_ms) == 2


def run_batch(records: list[dict[str, Any]], history: FakeHistory, forecaster: FakeForecaster | None = None):
    ports = PreprocessPorts(history, forecaster or FakeForecaster(), any_store())
    from services.preprocess.pipeline import preprocess_batch

    return preprocess_batch(records, ports, Settings.from_env({}, history_hours=48), deadline=1e12)


def any_store() -> Any:
    return FakeStore()  # typed for test_preprocess_pipeline's own calls (lists, not sequences)


# the household API, alerts and statements


@pytest.mark.parametrize(("status", "errors"), [(200, 0.0), (404, 0.0), (503, 1.0)])
def test_the_api_counts_its_server_errors_and_zero_otherwise(
    status: int, errors: float, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.portal import api, handler

    monkeypatch.setattr(handler, "portal_ports", lambda: None)
    monkeypatch.setattr(api, "use_ports", lambda ports: None)
    monkeypatch.setattr(api.app, "resolve", lambda event, context: {"statusCode": status, "body": ""})
    handler.api_handler(
        {"requestContext": {"http": {"method": "GET"}}}, LocalLambdaContext("wattcast-portal")
    )
    assert metric_values(emf_documents(capsys.readouterr().out), service=API) == {"ApiServerErrors": [errors]}


def test_an_api_function_error_is_a_server_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.portal import api, handler

    def fail(event: Any, context: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(handler, "portal_ports", lambda: None)
    monkeypatch.setattr(api, "use_ports", lambda ports: None)
    monkeypatch.setattr(api.app, "resolve", fail)
    with pytest.raises(RuntimeError):
        handler.api_handler({}, LocalLambdaContext("wattcast-portal"))
    assert metric_values(emf_documents(capsys.readouterr().out), service=API) == {"ApiServerErrors": [1.0]}


def test_the_alerts_function_counts_the_alerts_it_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.portal import handler

    monkeypatch.setattr(handler, "alert_ports", lambda: None)
    monkeypatch.setattr(handler, "sweep_silent_meters", lambda ports: AlertsOutcome(raised=2))
    monkeypatch.setattr(handler, "evaluate_closed_hours", lambda closed, ports: AlertsOutcome(raised=1))
    handler.alerts_handler({}, LocalLambdaContext("wattcast-alerts"))
    handler.alerts_handler({"Records": events(("h1", 3))}, LocalLambdaContext("wattcast-alerts"))
    values = metric_values(emf_documents(capsys.readouterr().out), service=ALERTS)
    assert values == {"AlertsRaised": [2.0, 1.0]}


def test_the_statements_function_counts_the_statements_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.portal import statement_handler

    generated = SimpleNamespace(household_id="h1", month="2010-01", seconds=0.1)
    statements = SimpleNamespace(exists=lambda household_id, month: household_id == "h2")
    monkeypatch.setattr(statement_handler, "portal_ports", lambda: SimpleNamespace(statements=statements))
    monkeypatch.setattr(
        statement_handler, "months_ended", lambda closed: [("h1", "2010-01"), ("h2", "2010-01")]
    )
    monkeypatch.setattr(statement_handler, "generate", lambda ports, household_id, month: generated)
    answer = statement_handler.statements_handler({"Records": events(("h1", 3))}, LocalLambdaContext("s"))
    assert answer == {"batchItemFailures": []}
    values = metric_values(emf_documents(capsys.readouterr().out), service=STATEMENTS)
    assert values == {"StatementsWritten": [1.0]}


# the forecaster


def test_the_forecaster_counts_statuses_and_invocation_latency_but_not_health_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = create_app(Settings.from_env({}), multi_model=True).test_client()
    capsys.readouterr()
    assert client.get("/ping").status_code == 200
    assert emf_documents(capsys.readouterr().out) == []
    assert client.post("/invocations", json={}).status_code == 400  # no target model named
    assert client.get("/models/absent").status_code == 404
    assert client.get("/models").status_code == 200
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 3
    values = metric_values(documents, service=FORECASTER)
    assert values["Invocation4xx"] == [1.0, 1.0, 0.0]
    assert values["Invocation5xx"] == [0.0, 0.0, 0.0]
    assert len(values["InvocationLatency"]) == 1  # only /invocations is an invocation


def test_an_unhandled_error_is_a_5xx(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.forecaster.registry import ModelRegistry

    client = create_app(Settings.from_env({}), multi_model=True).test_client()

    def broken(name: str) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(ModelRegistry, "get", lambda self, name: broken(name))
    capsys.readouterr()
    response = client.post("/invocations", json={}, headers={"X-Amzn-SageMaker-Target-Model": "m"})
    assert response.status_code == 500
    values = metric_values(emf_documents(capsys.readouterr().out), service=FORECASTER)
    assert values["Invocation5xx"] == [1.0] and len(values["InvocationLatency"]) == 1


def test_the_forecaster_counts_loads_and_evictions(
    sample_bundles: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    client = create_app(Settings.from_env({}, forecaster_max_models=1), multi_model=True).test_client()
    for name in ("lstm", "prophet"):
        assert (
            client.post("/models", json={"model_name": name, "url": str(sample_bundles[name])}).status_code
            == 200
        )
    assert client.delete("/models/prophet").status_code == 200
    values = metric_values(emf_documents(capsys.readouterr().out), service=FORECASTER)
    assert values["ModelLoads"] == [1.0, 1.0]
    assert values["ModelEvictions"] == [0.0, 1.0, 1.0]  # lstm made room for prophet; then the unload
