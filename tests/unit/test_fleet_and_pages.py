"""The operator's routes (the fleet and the pipeline's health), the statements' links, the tariffs
and the pages, over the in-memory ports; and which routes the local gateway serves without a token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from scripts.local.esm.events import kinesis_event, kinesis_event_record
from scripts.local.gateway.routes import PublicRoutes
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.portal_memory import MemoryStores
from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.portal import fleet
from services.portal.aws_pipeline import AwsPipelineHealth
from services.portal.aws_statements import S3Statements
from services.portal.errors import BadRequestError
from services.portal.requests import Month
from services.portal.statements import months_ended
from services.portal.tariffs import TariffError
from tests.portal_api import FEB, H, call, respond, row

OPERATOR = {"sub": "operator-1", "cognito:groups": "[operators]"}


def test_the_fleet_page_gives_freshness_open_alerts_and_the_next_hour_forecast_error(
    fakes: MemoryStores,
) -> None:
    fakes.clocks.latest["h2"] = FEB + 40 * H
    status, body = call("GET", "/fleet/households", claims=OPERATOR)
    assert status == 200
    assert body["fleet_clock"] == "2010-02-03T00:30:00Z"
    h1, h2 = body["households"]
    # h1: 1 kW measured every hour, 0.9 kW forecast for hours 25..48 of which 25..47 are closed.
    assert h1["forecast_error"] == {"hours": 23, "mae_kw": 0.1, "wape": 0.1}
    assert (h1["silent_hours"], h1["open_alerts"]) == (0.0, [])
    assert (h2["household_id"], h2["silent_hours"], h2["forecast_error"]) == ("h2", 8.5, None)
    assert body["next"] is None
    assert h1["drift"] is None  # not scored yet


def test_the_fleet_page_marks_a_household_whose_forecasts_drift(fakes: MemoryStores) -> None:
    fakes.drift.marks["h1"] = {"status": "drifting", "since": "2010-02-01", "ratio": 3.4, "day": "2010-02-03"}
    _, body = call("GET", "/fleet/households", claims=OPERATOR)
    assert body["households"][0]["drift"] == {"status": "drifting", "since": "2010-02-01", "ratio": 3.4}


def test_the_fleet_is_paged_by_id_and_its_limit_is_checked(fakes: MemoryStores) -> None:
    fakes.clocks.latest["h2"] = FEB
    status, first = call("GET", "/fleet/households", query="limit=1", claims=OPERATOR)
    assert (status, [h["household_id"] for h in first["households"]], first["next"]) == (200, ["h1"], "h1")
    _, second = call("GET", "/fleet/households", query="limit=1&after=h1", claims=OPERATOR)
    assert ([h["household_id"] for h in second["households"]], second["next"]) == (["h2"], None)
    for query in ("limit=0", "limit=201", "limit=x", "after=../h1"):
        status, body = call("GET", "/fleet/households", query=query, claims=OPERATOR)
        assert status == 400 and body["message"], query


def test_a_household_token_cannot_see_the_fleet(fakes: MemoryStores) -> None:
    for path in ("/fleet/households", "/fleet/pipeline"):
        status, body = call("GET", path)
        assert status == 403 and "operator" in body["message"]
        assert call("GET", path, claims={})[0] == 401


def test_the_pipeline_gives_each_mapping_s_largest_iterator_age_in_the_window_and_the_dead_letters(
    fakes: MemoryStores,
) -> None:
    now = datetime.now(UTC)
    fakes.pipeline.iterator_ages["wattcast-ingest"] = [
        (now - timedelta(minutes=5), 1200.0),
        (now - timedelta(minutes=2), 800.0),
        (now - timedelta(minutes=30), 99_999.0),  # outside the 15-minute window
    ]
    fakes.pipeline.queues["wattcast-dead-letter"] = 3
    status, body = call("GET", "/fleet/pipeline", claims=OPERATOR)
    assert status == 200 and body["window_minutes"] == 15
    ages = {m["function"]: m["iterator_age_ms"] for m in body["mappings"]}
    assert ages == {
        "wattcast-ingest": 1200.0,
        "wattcast-preprocess": None,
        "wattcast-alerts": None,
        "wattcast-statements": None,
    }
    assert body["dead_letters"] == [
        {"name": "wattcast-dead-letter", "holds": "bad_records", "messages": 3},
        {"name": "wattcast-stream-failures", "holds": "failed_batches", "messages": None},
    ]


def test_forecast_error_pairs_only_hours_with_both_an_actual_and_a_forecast() -> None:
    rows = [row(FEB, 2.0), row(FEB + H, 1.0), row(FEB + 2 * H, 0.5)]
    issued = {"2010-02-01T00:00:00Z": {"kw": [1.5]}, "2010-02-01T02:00:00Z": {"kw": [1.0, 9.0]}}
    error = fleet.forecast_error(rows, issued)
    assert error is not None
    assert (error.hours, round(error.mae_kw, 6), round(error.wape or 0, 6)) == (2, 0.5, 0.4)
    assert fleet.forecast_error(rows, {}) is None


def test_a_statement_is_linked_once_generated(fakes: MemoryStores) -> None:
    status, body = call("GET", "/households/h1/statements/2010-02")
    assert status == 404 and "2010-02" in body["message"]
    fakes.statements.put("h1", "2010-02", "<html></html>", b"%PDF-1.7")
    status, body = call("GET", "/households/h1/statements/2010-02")
    assert status == 200
    assert body["pdf_url"] == "memory://statements/h1/2010-02.pdf?expires=3600"
    assert body["html_url"] == "memory://statements/h1/2010-02.html?expires=3600"
    assert datetime.fromisoformat(body["generated_at"].replace("Z", "+00:00")).tzinfo is not None
    assert body["expires_in_seconds"] == 3600
    assert call("GET", "/households/h2/statements/2010-02")[0] == 403
    assert call("GET", "/households/h1/statements/2010-13")[0] == 400


def test_the_tariffs_list_every_option_with_its_prices(fakes: MemoryStores) -> None:
    status, body = call("GET", "/tariffs")
    assert status == 200
    (tariff,) = body["tariffs"]
    options = {o["option"]: o for o in tariff["options"]}
    assert (tariff["id"], tariff["currency"]) == ("fr_tarif_bleu_2025-02", "EUR")
    assert options["base"]["bands"] == [{"name": "base", "price_per_kwh": 0.2016}]
    assert [b["name"] for b in options["off_peak_peak"]["bands"]] == ["off_peak", "peak"]
    assert call("GET", "/tariffs", claims={})[0] == 401


def test_the_pages_load_without_a_token_with_a_strict_content_policy(fakes: MemoryStores) -> None:
    status, page = call("GET", "/", claims={})
    assert status == 200 and page.lstrip().lower().startswith("<!doctype html>")
    status, config = call("GET", "/page-config", claims={})
    assert (status, config["sign_in_url"], config["household_claim"]) == (200, None, "custom:household_id")
    for missing in ("/app/missing.js", "/app/.hidden", "/app/index.py"):
        status, body = call("GET", missing, claims={})
        assert status == 404 and body["message"], missing


def test_the_local_gateway_needs_no_token_only_for_the_contract_s_public_routes() -> None:
    public = PublicRoutes.of_contract()
    for method, path in (("GET", "/"), ("GET", "/operator"), ("GET", "/app/app.js"), ("GET", "/page-config")):
        assert public.allows(method, path), path
    for method, path in (
        ("PUT", "/"),
        ("GET", "/app/a/b.js"),
        ("GET", "/households/h1/summary"),
        ("GET", "/fleet/households"),
        ("GET", "/tariffs"),
        ("GET", "/operator/x"),
    ):
        assert not public.allows(method, path), path


def test_a_closed_hour_on_the_first_of_a_month_ends_the_month_before() -> None:
    closed = [
        ("h1", datetime(2010, 3, 1, 0, tzinfo=UTC)),
        ("h1", datetime(2010, 3, 1, 5, tzinfo=UTC)),
        ("h1", datetime(2010, 2, 28, 23, tzinfo=UTC)),  # the month's own last hour ends nothing yet
        ("h2", datetime(2010, 1, 1, 7, tzinfo=UTC)),  # h2's 23:00 on Dec 31 had no reading: still ended
        ("h3", datetime(2010, 2, 2, 0, tzinfo=UTC)),
    ]
    assert months_ended(closed) == [("h1", Month(2010, 2)), ("h2", Month(2009, 12))]


def test_the_fleet_handles_an_empty_fleet_open_alerts_a_page_past_the_end_and_bad_forecasts(
    fakes: MemoryStores,
) -> None:
    from services.portal.ports import StoredAlert

    fakes.alerts.add(
        "h1", StoredAlert("unusual#1", "unusual_use", "open", "2010-02-02T10:00Z", "m", {}, True)
    )
    fakes.forecasts.items["h1"].append(
        {"forecast_key": "lstm#2010-02-01T02:00:00Z", "issued_for": "2010-02-01T02:00:00Z", "kw": []}
    )
    _, body = call("GET", "/fleet/households", claims=OPERATOR)
    (h1,) = body["households"]
    assert h1["open_alerts"] == [{"kind": "unusual_use", "key": "unusual#1"}]
    assert h1["forecast_error"]["hours"] == 23  # the item without a forecast is not scored
    assert call("GET", "/fleet/households", query="after=h9", claims=OPERATOR)[1]["households"] == []
    fakes.clocks.latest.clear()
    assert call("GET", "/fleet/households", claims=OPERATOR)[1] == {
        "fleet_clock": None,
        "households": [],
        "next": None,
    }


def test_a_failing_store_makes_the_fleet_page_503_not_500(
    fakes: MemoryStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object, **__: object) -> None:
        raise DependencyError("DynamoDB is down")

    monkeypatch.setattr(fakes.alerts, "alerts", down)
    status, body = call("GET", "/fleet/households", claims=OPERATOR)
    assert status == 503 and "unavailable" in body["message"]


def test_a_limit_in_other_digits_is_a_400(fakes: MemoryStores) -> None:
    status, body = call("GET", "/fleet/households", query="limit=%C2%B2", claims=OPERATOR)
    assert status == 400 and "limit" in body["message"]


def test_the_page_files_carry_the_policy_and_an_etag_and_a_held_version_is_304(fakes: MemoryStores) -> None:
    for path in ("/", "/operator", "/app/app.js", "/app/style.css"):
        answer = respond("GET", path, claims={})
        headers = answer["headers"]
        assert answer["statusCode"] == 200, path
        assert (
            "script-src 'self'" in headers["Content-Security-Policy"]
            and "unsafe" not in headers["Content-Security-Policy"]
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        again = respond("GET", path, claims={}, headers={"If-None-Match": headers["ETag"]})
        assert (again["statusCode"], again["body"]) == (304, ""), path
    assert respond("GET", "/", claims={}, headers={"If-None-Match": '"stale"'})["statusCode"] == 200
    for hidden in ("/app/package.json", "/app/package-lock.json", "/app/.gitignore"):
        assert respond("GET", hidden, claims={})["statusCode"] == 404, hidden


def test_s3_statements_tell_missing_from_refused_and_presign_both_files() -> None:
    clients = AwsClients()
    statements = S3Statements(clients)
    key = {"Bucket": "wattcast-data", "Key": "statements/h1/2010-02.pdf"}
    with Stubber(clients.s3) as stub:
        stub.add_client_error("head_object", "404", http_status_code=404, expected_params=key)
        stub.add_response("head_object", {"LastModified": datetime(2010, 3, 1, 1, tzinfo=UTC)}, key)
        stub.add_client_error("head_object", "403", http_status_code=403, expected_params=key)
        assert statements.links("h1", "2010-02", 60) is None
        stored = statements.links("h1", "2010-02", 60)
        assert stored is not None and stored.generated_at == datetime(2010, 3, 1, 1, tzinfo=UTC)
        assert (
            "statements/h1/2010-02.html" in stored.html_url and "statements/h1/2010-02.pdf" in stored.pdf_url
        )
        assert "Expires=60" in stored.pdf_url or "X-Amz-Expires=60" in stored.pdf_url
        with pytest.raises(DependencyError, match="statement of h1"):
            statements.exists("h1", "2010-02")


def test_the_pipeline_health_reads_the_largest_iterator_age_and_tells_a_missing_queue() -> None:
    clients = AwsClients()
    health = AwsPipelineHealth(clients)
    since, until = datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    points = {"Datapoints": [{"Maximum": 1200.0}, {"Maximum": 5400.0}, {"Maximum": 800.0}]}
    with Stubber(clients.client("cloudwatch")) as stub:
        stub.add_response("get_metric_statistics", points)
        stub.add_response("get_metric_statistics", {"Datapoints": []})
        stub.add_client_error("get_metric_statistics", "Throttling")
        assert health.iterator_age_ms("wattcast-ingest", since, until) == 5400.0
        assert health.iterator_age_ms("wattcast-alerts", since, until) is None
        with pytest.raises(DependencyError, match="wattcast-preprocess"):
            health.iterator_age_ms("wattcast-preprocess", since, until)
    with Stubber(clients.sqs) as stub:
        stub.add_client_error("get_queue_url", "AWS.SimpleQueueService.NonExistentQueue")
        stub.add_response("get_queue_url", {"QueueUrl": "http://q/dead"})
        stub.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "7"}})
        stub.add_client_error("get_queue_url", "AccessDenied")
        assert health.queue_messages("missing") is None
        assert health.queue_messages("dead") == 7
        with pytest.raises(DependencyError, match="dead"):
            health.queue_messages("dead")


def hour_closed(household_id: str, hour: str, sequence: str) -> dict[str, Any]:
    body = json.dumps({"type": "hour_closed", "household_id": household_id, "hour": hour}).encode()
    return kinesis_event_record(data=body, sequence_number=sequence, partition_key=household_id)


def test_the_statements_function_writes_an_ended_month_once_and_fails_only_what_a_retry_can_fix(
    fakes: MemoryStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.portal import statement_handler

    monkeypatch.setattr(statement_handler, "portal_ports", lambda: fakes.portal)
    fakes.clocks.latest["h1"] = datetime(2010, 3, 1, 1, 30, tzinfo=UTC)
    context = LocalLambdaContext("wattcast-statements")
    event = kinesis_event(
        [hour_closed("h1", "2010-03-01T00:00:00Z", "1"), hour_closed("h1", "2010-02-27T05:00:00Z", "2")]
    )
    assert statement_handler.statements_handler(event, context) == {"batchItemFailures": []}
    (html, pdf, first) = fakes.statements.stored[("h1", "2010-02")]
    assert pdf.startswith(b"%PDF-") and "February 2010" in html
    assert statement_handler.statements_handler(event, context) == {"batchItemFailures": []}
    assert fakes.statements.stored[("h1", "2010-02")][2] == first  # redelivered: not written again

    from services.portal.statements import generate as real_generate

    def cannot(ports: Any, household_id: str, month: Month) -> Any:
        if household_id == "h2":
            raise TariffError("the stored tariff option is gone")
        return real_generate(ports, household_id, month)

    monkeypatch.setattr(statement_handler, "generate", cannot)
    broken = kinesis_event([hour_closed("h2", "2010-03-01T00:00:00Z", "3")])
    assert statement_handler.statements_handler(broken, context) == {
        "batchItemFailures": []
    }  # logged, skipped
    assert ("h2", "2010-02") not in fakes.statements.stored

    def down(*_: object) -> bool:
        raise DependencyError("S3 is down")

    monkeypatch.setattr(fakes.statements, "exists", down)
    retried = kinesis_event(
        [hour_closed("h3", "2010-03-01T02:00:00Z", "4"), hour_closed("h3", "2010-03-01T03:00:00Z", "5")]
    )
    answer = statement_handler.statements_handler(retried, context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "4"}, {"itemIdentifier": "5"}]}


def test_a_rerun_writes_every_household_s_month_that_has_data(
    fakes: MemoryStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.portal import statement_handler

    monkeypatch.setattr(statement_handler, "portal_ports", lambda: fakes.portal)
    fakes.clocks.latest["h2"] = FEB  # known to the fleet, nothing stored
    answer = statement_handler.statements_handler(
        {"month": "2010-02"}, LocalLambdaContext("wattcast-statements")
    )
    assert answer == {"month": "2010-02", "written": 1, "nothing_stored": ["h2"]}
    with pytest.raises(BadRequestError):
        statement_handler.statements_handler(
            {"month": "2010-02", "household_id": "../x"}, LocalLambdaContext("s")
        )
