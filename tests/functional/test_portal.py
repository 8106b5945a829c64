"""The household API over the embedded stack, with data the pipeline stored: its answers equal the
hourly table, the forecasts and the projections; tokens, ids and fuzzed requests (schemathesis
against openapi.yaml); alerts stored, announced on SNS once, also under redelivery."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.local.esm.events import kinesis_event, kinesis_event_record
from scripts.local.gateway import tokens
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.stack import EmbeddedStack
from scripts.stores.forecasts import forecast_items
from scripts.stores.readings import hourly_rows, queue_messages, stream_records
from services.core.settings import Settings
from services.portal.energy import days, hour_energy
from tests.functional.test_pipeline_e2e import send, start_pipeline

pytestmark = pytest.mark.functional
OPENAPI = Path(__file__).resolve().parents[2] / "services" / "portal" / "openapi.yaml"


@pytest.fixture
def stack(
    aws: Any, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmbeddedStack]:
    """The pipeline with 4 days of 3 households stored (forecasts from hour 48, projections as of
    Jan 5 to 7) and the household API on loopback."""
    monkeypatch.setenv("WATTCAST_ALERTS_BATCHING_WINDOW_SECONDS", "0.2")
    stack = start_pipeline(sample_bundles, tmp_path, monkeypatch, POWERTOOLS_LOG_LEVEL="INFO")
    try:
        send(stack, "2010-01-04", days=4)
        yield stack
    finally:
        stack.stop()


def settings_of(stack: EmbeddedStack) -> Settings:
    assert stack.clients is not None
    return stack.clients.settings


def token(stack: EmbeddedStack, household: str) -> str:
    return tokens.issue(settings_of(stack), tokens.TokenRequest(household))


def get(
    stack: EmbeddedStack,
    path: str,
    *,
    as_household: str | None = None,
    auth: str | None = None,
    method: str = "GET",
    body: Any = None,
) -> tuple[int, Any]:
    assert stack.portal is not None
    household = as_household or path.split("/")[2]
    headers = {"Authorization": auth if auth is not None else f"Bearer {token(stack, household)}"}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.portal.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_summary_equals_the_stored_hours_forecasts_and_projection(stack: EmbeddedStack) -> None:
    clients = stack.clients
    assert clients is not None
    status, body = get(stack, "/households/h000/summary")
    assert status == 200
    rows = hourly_rows(clients, "h000")
    closed = [r for r in rows if r.hour.isoformat().replace("+00:00", "Z") <= body["last_hour"]["hour"]]
    assert body["last_hour"]["kw"] == pytest.approx(closed[-1].means["global_active_power"], abs=1e-4)
    assert len(rows) - len(closed) == 1  # only the newest hour is still open
    [latest] = forecast_items(clients, "h000", "lstm", latest_only=True)
    assert [h["kw"] for h in body["next_24_hours"]["hours"]] == latest["kw"]
    bands = [h.get("kw_p90") for h in body["next_24_hours"]["hours"]]
    assert bands == latest.get("kw_p90", [None] * 24)  # the sample bundle answers no band
    rolled_up = forecast_items(clients, "h000", "day")
    assert sorted(d["day"] for d in rolled_up) == ["2010-01-04", "2010-01-05", "2010-01-06"]
    [projection] = forecast_items(clients, "h000", "month", latest_only=True)
    month = body["month"]
    assert month["projection_as_of"] == projection["as_of"] == "2010-01-07"
    assert month["projected_kwh"]["median"] == pytest.approx(projection["projected_month_kwh"], abs=0.01)
    assert month["projected_kwh"]["lower"] == pytest.approx(projection["projected_month_kwh_lower"], abs=0.01)
    assert month["projected_kwh"]["upper"] == pytest.approx(projection["projected_month_kwh_upper"], abs=0.01)
    january = [h for h in hour_energy(closed) if h.hour.month == 1]
    assert month["to_date_kwh"] == pytest.approx(sum(d.kwh for d in days(january)), abs=1e-3)
    lower, median, upper = (month["projected_cost"][k] for k in ("lower", "median", "upper"))
    assert lower < median < upper and month["projected_cost"]["currency"] == "EUR"


def test_hours_and_the_month_equal_the_tables(stack: EmbeddedStack) -> None:
    clients = stack.clients
    assert clients is not None
    status, body = get(stack, "/households/h001/hours?from=2010-01-06T00:00Z&to=2010-01-07T00:00Z")
    assert status == 200 and len(body["hours"]) == 24
    rows = {r.hour.isoformat().replace("+00:00", "Z"): r for r in hourly_rows(clients, "h001")}
    issued = {i["issued_for"]: i for i in forecast_items(clients, "h001", "lstm")}
    for hour in body["hours"]:
        assert hour["means"] == pytest.approx(rows[hour["hour"]].means, abs=1e-4)
        if hour["hour"] in issued:
            assert hour["forecast"]["kw"] == issued[hour["hour"]]["kw"][0]
        else:
            assert hour["forecast"] is None
    assert sum(h["forecast"] is not None for h in body["hours"]) == 24  # lookback 48: from hour 48 on
    status, month = get(stack, "/households/h001/month/2010-01")
    assert status == 200 and len(month["days"]) == 28  # Jan 4 to 31: nothing is stored before the 4th
    stored_days = {d.day.isoformat(): d for d in days(hour_energy(rows.values()))}
    for day in month["days"][:3]:
        assert day["status"] == "actual" and day["kwh"] == pytest.approx(
            stored_days[day["date"]].kwh, abs=1e-3
        )
    assert {d["status"] for d in month["days"][3:]} == {"projected"}
    subs = month["sub_meters_kwh"]
    parts = subs["kitchen"] + subs["laundry"] + subs["water_heater_and_air_conditioning"] + subs["rest"]
    assert parts == pytest.approx(subs["whole_house"], abs=1e-3) and subs["hours"] >= 95


def test_tokens_reach_their_own_household_only_and_bad_ones_are_401(stack: EmbeddedStack) -> None:
    assert get(stack, "/households/h001/summary", as_household="h000")[0] == 403
    assert get(stack, "/households/h001/summary", auth="")[0] == 401
    assert (
        get(stack, "/households/h001/summary", auth="Bearer " + token(stack, "h001")[:-3] + "abc")[0] == 401
    )
    expired = tokens.issue(settings_of(stack), tokens.TokenRequest("h001", ttl_seconds=60), now=0)
    assert get(stack, "/households/h001/summary", auth=f"Bearer {expired}") == (
        401,
        {"message": "Unauthorized"},
    )
    status, body = get(stack, "/households/h%2F1/summary", as_household="h001")
    assert status in (400, 403, 404) and body["message"]


def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_contract(stack: EmbeddedStack) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_path(OPENAPI)
    assert stack.portal is not None
    url = stack.portal.url
    headers = {
        "Authorization": f"Bearer {tokens.issue(settings_of(stack), tokens.TokenRequest(operator=True))}"
    }
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    for operation in schema.get_all_operations():
        strategy = operation.ok().as_strategy()  # type: ignore[union-attr]

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(strategy)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=checks)

        run()


def test_logs_carry_ids_only(stack: EmbeddedStack) -> None:
    budget = 4321.5
    status, _ = get(
        stack, "/households/h002/settings", method="PUT", body={"budget": {"amount": budget, "unit": "kWh"}}
    )
    assert status == 200
    issued = token(stack, "h002")
    get(stack, "/households/h002/summary", auth=f"Bearer {issued}")
    get(stack, "/households/h000/summary", auth=f"Bearer {issued}")  # a 403
    log = (settings_of(stack).stack_dir / "portal.log").read_text()
    answered = [json.loads(line) for line in log.splitlines() if '"answered"' in line]
    assert {(a["path"], a["status"]) for a in answered} >= {
        ("/households/h002/settings", 200),
        ("/households/h002/summary", 200),
        ("/households/h000/summary", 403),
    }
    for secret in (issued, str(budget), "custom:household_id", "global_active_power"):
        assert secret not in log


def test_a_budget_alert_is_stored_and_announced_once_also_under_redelivery(stack: EmbeddedStack) -> None:
    clients = stack.clients
    assert clients is not None
    sns, settings = clients.client("sns"), settings_of(stack)
    queue = clients.sqs.create_queue(QueueName="alerts-subscriber")["QueueUrl"]
    queue_arn = clients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=settings.alerts_topic_arn, Protocol="sqs", Endpoint=queue_arn)
    assert (
        get(
            stack,
            "/households/h001/settings",
            method="PUT",
            body={"budget": {"amount": 5, "unit": "kWh"}, "budget_thresholds": [1.0]},
        )[0]
        == 200
    )
    send(stack, "2010-01-08", days=1)  # a new projection: the alerts function applies it on the next hour
    _redeliver_hourly_events(clients)
    messages = [json.loads(m["Message"]) for m in queue_messages(clients, "alerts-subscriber")]
    budget = [m for m in messages if m["kind"] == "budget"]
    assert [(m["household_id"], m["key"]) for m in budget] == [("h001", "budget#2010-01#1#1")]
    status, body = get(stack, "/households/h001/alerts")
    assert status == 200 and [a["key"] for a in body["alerts"] if a["kind"] == "budget"] == [
        "budget#2010-01#1#1"
    ]
    summary = get(stack, "/households/h001/summary")[1]
    assert summary["budget"]["status"] == "over_budget"
    assert "budget#2010-01#1#1" in [a["key"] for a in summary["open_alerts"]]


def _redeliver_hourly_events(clients: Any) -> None:
    from services.portal.handler import alerts_handler

    records = [
        kinesis_event_record(
            data=r["Data"],
            sequence_number=r["SequenceNumber"],
            partition_key=r["PartitionKey"],
            shard_id=shard,
            approximate_arrival=r["ApproximateArrivalTimestamp"].timestamp(),
        )
        for shard, r in stream_records(clients, clients.settings.hourly_stream)
    ]
    answer = alerts_handler(kinesis_event(records), LocalLambdaContext("wattcast-alerts"))
    assert answer == {"batchItemFailures": []}


def operator_get(stack: EmbeddedStack, path: str) -> tuple[int, Any]:
    operator = tokens.issue(settings_of(stack), tokens.TokenRequest(operator=True))
    return get(stack, path, auth=f"Bearer {operator}")


def test_the_operator_sees_each_household_and_the_mappings_iterator_age(stack: EmbeddedStack) -> None:
    clients = stack.clients
    assert clients is not None
    status, fleet = operator_get(stack, "/fleet/households")
    assert status == 200 and [h["household_id"] for h in fleet["households"]] == ["h000", "h001", "h002"]
    for household in fleet["households"]:
        newest = hourly_rows(clients, household["household_id"])[-1].hour
        assert household["last_seen"][:13] == newest.isoformat()[:13]  # within the newest stored hour
        error = household["forecast_error"]
        assert error["hours"] == 47 and error["mae_kw"] > 0  # forecasts from hour 48 of 96, one open
    assert get(stack, "/fleet/households", as_household="h000")[0] == 403

    status, pipeline = operator_get(stack, "/fleet/pipeline")
    assert status == 200
    ages = {m["function"]: m["iterator_age_ms"] for m in pipeline["mappings"]}
    # The local mappings publish AWS/Lambda IteratorAge to the emulator's CloudWatch, as AWS does.
    for function in ("wattcast-ingest", "wattcast-preprocess", "wattcast-alerts", "wattcast-statements"):
        assert isinstance(ages[function], float) and 0 <= ages[function] < 600_000, function
    depth = {q["name"]: q["messages"] for q in pipeline["dead_letters"]}
    url = clients.sqs.get_queue_url(QueueName=settings_of(stack).dead_letter_queue)["QueueUrl"]
    waiting = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["wattcast-dead-letter"] == int(waiting["Attributes"]["ApproximateNumberOfMessages"])


def test_a_closed_month_gets_a_statement_whose_totals_are_the_api_s(stack: EmbeddedStack) -> None:
    from pypdf import PdfReader

    from services.portal.statement_handler import statements_handler

    assert get(stack, "/households/h000/statements/2010-01")[0] == 404
    closing = json.dumps({"type": "hour_closed", "household_id": "h000", "hour": "2010-02-01T00:00:00Z"})
    record = kinesis_event_record(data=closing.encode(), sequence_number="1", partition_key="h000")
    event = kinesis_event([record])
    assert statements_handler(event, LocalLambdaContext("wattcast-statements")) == {"batchItemFailures": []}
    status, links = get(stack, "/households/h000/statements/2010-01")
    assert status == 200 and links["expires_in_seconds"] == 3600
    with urllib.request.urlopen(links["pdf_url"], timeout=30) as response:  # presigned: no token
        document = response.read()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    month = get(stack, "/households/h000/month/2010-01")[1]
    assert "h000" in text and "January 2010" in text
    assert f"{month['total']['to_date_kwh']:,.2f} kWh" in text
    with urllib.request.urlopen(links["html_url"], timeout=30) as response:
        assert "January 2010" in response.read().decode()
