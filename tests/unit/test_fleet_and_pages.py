"""The operator's routes (the fleet and the pipeline's health), the statements' links, the tariffs
and the pages, over the in-memory ports; and which routes the local gateway serves without a token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scripts.local.gateway.routes import PublicRoutes
from scripts.local.portal_memory import MemoryStores
from services.portal import fleet
from services.portal.requests import Month
from services.portal.statements import months_closed
from tests.portal_api import FEB, H, call, row

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
    assert body["pdf_url"] == "memory://statements/h1/2010-02.pdf"
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


def test_a_month_closes_with_its_last_hour() -> None:
    closed = [
        ("h1", datetime(2010, 2, 28, 23, tzinfo=UTC)),
        ("h1", datetime(2010, 2, 28, 22, tzinfo=UTC)),
        ("h2", datetime(2010, 3, 1, 0, tzinfo=UTC)),
        ("h2", datetime(2010, 1, 31, 23, tzinfo=UTC)),
        ("h2", datetime(2010, 1, 31, 23, tzinfo=UTC)),  # redelivered
    ]
    assert months_closed(closed) == [("h1", Month(2010, 2)), ("h2", Month(2010, 1))]
