"""The household API's Lambda over in-memory ports: its values, its refusals (400/401/403/404) and no
5xx for any request hypothesis can make."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.errors import DependencyError
from tests.portal_api import FEB, H, call


def test_the_summary_holds_the_last_closed_hour_the_next_day_the_month_and_its_projection(fakes) -> None:
    status, body = call("GET", "/households/h1/summary")
    assert status == 200
    assert body["last_hour"] == {"hour": "2010-02-02T23:00:00Z", "kw": 1.0, "minutes": 60}
    nxt = body["next_24_hours"]
    assert nxt["origin"] == "2010-02-02T23:00:00Z" and len(nxt["hours"]) == 24
    assert nxt["hours"][0] == {"hour": "2010-02-03T00:00:00Z", "kw": 0.9, "kw_p10": 0.5, "kw_p90": 1.5}
    assert nxt["hours"][23]["hour"] == "2010-02-03T23:00:00Z" and nxt["hours"][23]["kw"] == pytest.approx(
        1.13
    )
    month = body["month"]
    assert month["to_date_kwh"] == 48.0 and month["projection_as_of"] == "2010-02-03"
    assert month["projected_kwh"] == {"median": 48 + 624.0, "lower": 48 + 561.6, "upper": 48 + 686.4}
    standing = 164.64 / 365.25 * 28
    assert month["projected_cost"]["median"] == pytest.approx(672 * 0.2016 + standing, abs=1e-3)
    assert month["projected_cost"]["currency"] == "EUR"
    assert body["budget"] == {"status": "no_budget", "budget": None}
    assert body["open_alerts"] == []


def test_the_budget_status_reads_the_projection_in_the_budgets_unit(fakes) -> None:
    assert call("PUT", "/households/h1/settings", body={"budget": {"amount": 600, "unit": "kWh"}})[0] == 200
    budget = call("GET", "/households/h1/summary")[1]["budget"]
    assert budget["status"] == "over_budget" and budget["share"] == pytest.approx(672 / 600, abs=1e-4)
    call("PUT", "/households/h1/settings", body={"budget": {"amount": 200, "unit": "EUR"}})
    budget = call("GET", "/households/h1/summary")[1]["budget"]
    assert budget["status"] == "within" and budget["projected"] == pytest.approx(
        672 * 0.2016 + 12.621, abs=1e-2
    )


def test_hours_carry_the_measures_and_the_forecast_issued_for_each_hour(fakes) -> None:
    status, body = call("GET", "/households/h1/hours", query="from=2010-02-02T00:00Z&to=2010-02-02T03:00Z")
    assert status == 200 and [h["hour"] for h in body["hours"]] == [
        "2010-02-02T00:00:00Z",
        "2010-02-02T01:00:00Z",
        "2010-02-02T02:00:00Z",
    ]
    first = body["hours"][0]
    assert first["kwh"] == 1.0 and first["means"]["voltage"] == 240.0 and first["minutes"] == 60
    assert first["forecast"] is None  # the first forecast was issued for hour 25
    assert body["hours"][1]["forecast"] == {
        "kw": 0.9,
        "kw_p10": 0.5,
        "kw_p90": 1.5,
        "origin": "2010-02-02T00:00:00Z",
        "model": "lstm",
    }


def test_the_month_splits_days_cost_bands_and_sub_meters(fakes) -> None:
    call(
        "PUT",
        "/households/h1/settings",
        body={"tariff": {"id": "fr_tarif_bleu_2025-02", "option": "off_peak_peak"}},
    )
    status, body = call("GET", "/households/h1/month/2010-02")
    assert status == 200
    days = body["days"]
    assert len(days) == 28 and days[0] == {"date": "2010-02-01", "kwh": 24.0, "status": "actual"}
    assert days[2] == {
        "date": "2010-02-03",
        "kwh": 24.0,
        "status": "projected",
        "kwh_lower": 20.0,
        "kwh_upper": 28.0,
    }
    bands = body["cost"]["by_band"]
    # Every closed hour (hour 48, Feb 3 00:00, is still open): off-peak is 21:00-05:00 UTC. The bands
    # add up to the month's to-date kWh, which is the summary's.
    assert bands["off_peak"]["kwh_to_date"] == 16.0 and bands["peak"]["kwh_to_date"] == 32.0
    assert (
        body["total"]["to_date_kwh"]
        == 48.0
        == call("GET", "/households/h1/summary")[1]["month"]["to_date_kwh"]
    )
    assert bands["off_peak"]["cost_to_date"] == pytest.approx(16 * 0.1696, abs=1e-4)
    assert bands["off_peak"]["projected_kwh"] + bands["peak"]["projected_kwh"] == pytest.approx(
        672.0, abs=1e-3
    )
    subs = body["sub_meters_kwh"]
    assert subs["hours"] == 48 and subs["kitchen"] == pytest.approx(48 * 0.06)
    assert subs["rest"] == pytest.approx(48 * (1.0 - 0.48), abs=1e-3)
    assert body["comparisons"] == {"previous_month": None, "same_month_last_year": None}
    assert call("GET", "/households/h1/month/2009-12")[0] == 404


def test_rolled_up_days_answer_what_their_hours_answer(fakes) -> None:
    from services.core.days import day_rollup

    paths = ("/households/h1/summary", "/households/h1/month/2010-02")
    before = [call("GET", path)[1] for path in paths]
    rows = fakes.hours.rows_by_household["h1"]
    for day in (FEB.date(), (FEB + 24 * H).date()):
        rollup = day_rollup("h1", day, rows)
        fakes.forecasts.items["h1"].append(
            {"forecast_key": f"day#{day.isoformat()}", "day": day.isoformat(), **rollup.as_attributes()}
        )
    fakes.hours.rows_by_household["h1"] = [r for r in rows if r.hour >= FEB + 24 * H]  # Feb 1: rollup only
    after = [call("GET", path)[1] for path in paths]
    assert after == before


def test_settings_round_trip_and_bad_settings_are_refused_with_the_reason(fakes) -> None:
    status, body = call("GET", "/households/h1/settings")
    assert status == 200 and body["tariff"] == {"id": "fr_tarif_bleu_2025-02", "option": "base"}
    chosen = {
        "budget": {"amount": 90.5, "unit": "EUR"},
        "budget_thresholds": [1.0, 0.75],
        "unusual_use": {"hours": 4, "bound": "p50", "margin_kw": 0.2},
        "silent_meter_hours": 12,
    }
    status, body = call("PUT", "/households/h1/settings", body=chosen)
    assert status == 200 and body["budget_thresholds"] == [0.75, 1.0]
    assert call("GET", "/households/h1/settings")[1] == body
    for bad, reason in (
        ({"budget": {"amount": 10, "unit": "USD"}}, "budget.unit"),
        ({"tariff": {"id": "nope"}}, "unknown tariff"),
        ({"tariff": {"option": "tempo"}}, "no option"),
        ({"unusual_use": {"hours": 0}}, "unusual_use.hours"),
        ({"budget_thresholds": []}, "budget_thresholds"),
        ({"colour": "red"}, "unknown settings"),
        ([1, 2], "JSON object"),
    ):
        status, body = call("PUT", "/households/h1/settings", body=bad)
        assert status == 400 and reason in body["message"], bad
    assert call("PUT", "/households/h1/settings", body=b"{not json")[0] == 400


def test_a_token_reaches_its_own_household_only_and_an_operators_every_one(fakes) -> None:
    assert call("GET", "/households/h2/summary")[0] == 403
    assert call("GET", "/households/h2/settings", household="h1")[0] == 403
    operator = {"sub": "op", "cognito:groups": "[operators]"}
    assert call("GET", "/households/h1/summary", claims=operator)[0] == 200
    assert call("GET", "/households/h1/summary", claims={"sub": "x"})[0] == 403  # names no household
    assert call("GET", "/households/h1/summary", claims={})[0] == 401


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/households/h%20x/summary", ""),
        ("/households/" + "a" * 65 + "/summary", ""),
        ("/households/h1/month/2010-13", ""),
        ("/households/h1/month/10-01", ""),
        ("/households/h1/hours", ""),
        ("/households/h1/hours", "from=2010-02-02&to=2010-01-01"),
        ("/households/h1/hours", "from=yesterday&to=now"),
        ("/households/h1/hours", "from=2010-01-01&to=2010-03-01"),
    ],
)
def test_malformed_ids_months_and_ranges_are_400_with_a_message(fakes, path, query) -> None:
    status, body = call("GET", path, query=query)
    assert status == 400 and body["message"]


def test_nothing_stored_is_404_and_a_failing_store_is_503(fakes) -> None:
    assert call("GET", "/households/nobody/summary", household="nobody")[0] == 404
    assert call("DELETE", "/households/h1/settings")[0] == 404

    def broken(*_: Any, **__: Any) -> Any:
        raise DependencyError("DynamoDB is down")

    fakes.hours.newest = broken
    status, body = call("GET", "/households/h1/summary")
    assert status == 503 and "DynamoDB" not in body["message"]


segments = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    parts=st.lists(
        st.one_of(
            st.sampled_from(
                ["households", "h1", "summary", "hours", "month", "settings", "alerts", "2010-02"]
            ),
            segments,
        ),
        max_size=5,
    ),
    query=st.text(max_size=60),
    body=st.one_of(
        st.none(),
        st.binary(max_size=60),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
            ),
            max_leaves=12,
        ),
    ),
)
def test_no_request_gets_a_5xx(fakes, method, parts, query, body) -> None:
    path = "/" + "/".join(p.replace("/", "") for p in parts)
    status, answer = call(method, path, query=query, body=body)
    assert status < 500
    assert status == 200 or answer["message"]
