"""The monthly statement over in-memory stores: its figures are the household API's, in the PDF (as
pypdf reads it back) and in the HTML; its projection review against a hand-computed case; a month in
progress renders without one."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from pypdf import PdfReader

from scripts.local.portal_memory import MemoryStores
from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.core.hourly import HourlyRow
from services.core.items import to_item
from services.core.reading import MEASURES
from services.portal import views
from services.portal.aws import DynamoForecasts
from services.portal.errors import NotFoundError
from services.portal.requests import Month
from services.portal.statement import NoMeasuredDayError, Statement, render_html, render_pdf, statement_of
from services.portal.statement.content import DayBar

H = timedelta(hours=1)
DEC, JAN, FEB = (datetime(y, m, 1, tzinfo=UTC) for y, m in ((2009, 12), (2010, 1), (2010, 2)))
JAN_KWH = 31 * 24 * 1.25  # 930 kWh: 1.25 kW all month
DEC_KWH = 31 * 24 * 1.0


def row(household: str, hour: datetime, kw: float) -> HourlyRow:
    means: dict[str, float | None] = dict.fromkeys(MEASURES, 0.0)
    means |= {"global_active_power": kw, "sub_metering_1": 1.0, "sub_metering_2": 2.0, "sub_metering_3": 5.0}
    return HourlyRow(household, hour, 60, means)


def projection(day: int) -> dict[str, Any]:
    """January's projection as of `day`, as preprocess stores it: its median 3 kWh too high per day
    left, its interval 2 kWh either side per day left (plus 1)."""
    left = 32 - day
    median = JAN_KWH + 3 * (31 - day)
    as_of = f"2010-01-{day:02d}"
    return {
        "forecast_key": f"month#2010-01#{as_of}",
        "kind": "month",
        "as_of": as_of,
        "month": "2010-01",
        "actual_to_date_kwh": 30.0 * (day - 1),
        "projected_month_kwh": median,
        "projected_month_kwh_lower": median - 2 * (31 - day) - 1,
        "projected_month_kwh_upper": median + 2 * (31 - day) + 1,
        "forecast": [
            {
                "date": f"2010-01-{d:02d}",
                "kwh": 30.0 + 3 * (31 - day) / left,
                "kwh_lower": 29.0,
                "kwh_upper": 31.0,
            }
            for d in range(day, 32)
        ],
        "model": "prophet/h1",
    }


@pytest.fixture
def stores() -> MemoryStores:
    stores = MemoryStores()
    hours = [row("h1", DEC + i * H, 1.0) for i in range(31 * 24)]
    hours += [row("h1", JAN + i * H, 1.25) for i in range(31 * 24)]
    stores.hours.rows_by_household["h1"] = hours
    stores.clocks.latest["h1"] = FEB
    stores.forecasts.items["h1"] = [projection(day) for day in range(31, 0, -1)]
    stores.settings.put("h1", {"tariff": {"id": "fr_tarif_bleu_2025-02", "option": "off_peak_peak"}})
    return stores


def january(stores: MemoryStores) -> tuple[dict[str, Any], Statement]:
    answer = views.month(stores.portal, "h1", Month(2010, 1))
    return answer, statement_of(answer, stores.forecasts.projections("h1", "2010-01"))


def pdf_text(document: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def api_cost(answer: dict[str, Any]) -> float:
    cost = answer["cost"]
    return float(sum(b["cost_to_date"] for b in cost["by_band"].values()) + cost["standing_charge"])


def test_the_memory_store_answers_every_projection_of_a_month_oldest_first(stores) -> None:
    stores.forecasts.items["h1"].append({**projection(5), "forecast_key": "month#2010-02#2010-02-05"})
    found = stores.forecasts.projections("h1", "2010-01")
    assert [p["as_of"] for p in found] == [f"2010-01-{d:02d}" for d in range(1, 32)]
    assert stores.forecasts.projections("h1", "2009-12") == []


def test_dynamodb_answers_every_projection_of_a_month_page_by_page() -> None:
    clients = AwsClients()
    request = {
        "TableName": clients.settings.forecasts_table,
        "KeyConditionExpression": "household_id = :h AND begins_with(forecast_key, :k)",
        "ExpressionAttributeValues": {":h": {"S": "h1"}, ":k": {"S": "month#2010-01#"}},
    }
    last = {"household_id": {"S": "h1"}, "forecast_key": {"S": "month#2010-01#2010-01-01"}}
    with Stubber(clients.dynamodb) as stub:
        stub.add_response("query", {"Items": [to_item(projection(1))], "LastEvaluatedKey": last}, request)
        stub.add_response(
            "query", {"Items": [to_item(projection(2))]}, {**request, "ExclusiveStartKey": last}
        )
        stub.add_client_error("query", "ProvisionedThroughputExceededException")
        found = DynamoForecasts(clients).projections("h1", "2010-01")
        assert found == [projection(1), projection(2)]
        with pytest.raises(DependencyError, match="projections of h1"):
            DynamoForecasts(clients).projections("h1", "2010-01")


def test_a_whole_month_holds_the_apis_figures(stores) -> None:
    answer, statement = january(stores)
    assert answer["total"]["to_date_kwh"] == JAN_KWH
    assert statement.complete and statement.period == "whole month"
    assert statement.total_kwh == answer["total"]["to_date_kwh"]
    assert statement.total_cost == pytest.approx(api_cost(answer), abs=1e-4)
    assert {b.name: (b.kwh, b.cost) for b in statement.bands} == {
        name: (b["kwh_to_date"], b["cost_to_date"]) for name, b in answer["cost"]["by_band"].items()
    }
    assert (statement.tariff_id, statement.tariff_option, statement.currency) == (
        "fr_tarif_bleu_2025-02",
        "off_peak_peak",
        "EUR",
    )
    # The newest projection is as of the 31st, which was measured whole since: it shows measured.
    assert answer["days"][-1]["status"] == "actual"
    assert statement.days[-1] == DayBar(date(2010, 1, 31), 30.0, "actual")
    assert len(statement.days) == 31 and sum(d.kwh for d in statement.days) == pytest.approx(JAN_KWH)
    assert statement.previous_month is not None
    assert statement.previous_month.kwh == DEC_KWH and statement.previous_month.change_kwh == 186.0
    assert statement.previous_month.change_pct == pytest.approx(25.0)
    subs = {s.name: s.kwh for s in statement.sub_meters}
    assert subs == pytest.approx(
        {"kitchen": 44.64, "laundry": 89.28, "water_heater_and_air_conditioning": 223.2, "rest": 572.88}
    )
    assert sum(subs.values()) == pytest.approx(answer["sub_meters_kwh"]["whole_house"])


def test_the_review_checks_five_projections_spread_over_the_month_against_the_actual(stores) -> None:
    _, statement = january(stores)
    assert statement.projections_stored == 31
    checks = statement.review
    assert [c.as_of.day for c in checks] == [1, 8, 15, 22, 31]
    # As of the 8th: median 930 + 3 * 23 = 999 kWh, interval 999 -/+ 47, the actual 930.
    eighth = checks[1]
    assert (eighth.median_kwh, eighth.lower_kwh, eighth.upper_kwh) == (999.0, 952.0, 1046.0)
    assert eighth.error_pct == pytest.approx((999 - 930) / 930 * 100) == pytest.approx(7.41935, abs=1e-5)
    assert [round(c.error_pct or 0, 3) for c in checks] == [9.677, 7.419, 5.161, 2.903, 0.0]
    assert [c.inside for c in checks] == [False, False, False, False, True]


def test_the_pdf_names_the_household_and_month_and_prints_the_apis_totals(stores) -> None:
    answer, statement = january(stores)
    document = render_pdf(statement)
    assert document.startswith(b"%PDF-")
    text, reader = pdf_text(document)
    assert 2 <= len(reader.pages) <= 4
    assert "Electricity statement" in text and "Household h1" in text
    assert "January 2010" in text and "2010-01" in text
    assert "Total 930.00 kWh €" in text
    assert f"Total {answer['total']['to_date_kwh']:,.2f} kWh €{api_cost(answer):,.2f}" in text
    assert f"€{answer['cost']['standing_charge']:,.2f}" in text
    for band in answer["cost"]["by_band"].values():
        assert f"{band['kwh_to_date']:,.2f} kWh €{band['cost_to_date']:,.2f}" in text
    assert "+186.00 kWh +25.0%" in text  # against December
    assert "8 January 2010 999.00 kWh 952.00 kWh to 1,046.00 kWh +7.4% no" in text
    assert "31 January 2010 930.00 kWh 929.00 kWh to 931.00 kWh +0.0% yes" in text
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Electricity statement, household h1, January 2010"
    assert reader.metadata.author == "Wattcast"
    assert sum(len(page.images) for page in reader.pages) == 4


def test_the_html_is_self_contained_with_the_same_figures_and_its_charts(stores) -> None:
    answer, statement = january(stores)
    page = render_html(statement)
    assert "<title>Electricity statement: household h1, January 2010 (2010-01)</title>" in page
    assert "<h1>Electricity statement of household h1: January 2010</h1>" in page
    total = re.search(r'data-total="kwh">([^<]+)<.*?data-total="cost">([^<]+)<', page, re.S)
    assert total is not None
    assert total.groups() == (f"{answer['total']['to_date_kwh']:,.2f} kWh", f"€{api_cost(answer):,.2f}")
    assert page.count("<svg") == 4 and page.count('role="img"') == 4
    assert '<th scope="row">Off-peak</th>' in page and '<th scope="col" class="num">Energy</th>' in page
    assert "+7.4%" in page and "+186.00 kWh" in page and "+25.0%" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//|<link|<script|@import""", page)


def test_text_fields_are_escaped_in_the_html(stores) -> None:
    _, statement = january(stores)
    page = render_html(replace(statement, tariff_option="<script>alert(1)</script>", tariff_id="a&b"))
    assert "<script>" not in page
    assert "option &lt;script&gt;alert(1)&lt;/script&gt;" in page and "Tariff a&amp;b" in page


def test_a_month_in_progress_renders_to_date_without_a_review(stores) -> None:
    stores.hours.rows_by_household["h2"] = [row("h2", FEB + i * H, 1.0) for i in range(49)]
    stores.forecasts.items["h2"] = [
        {
            "forecast_key": "month#2010-02#2010-02-03",
            "as_of": "2010-02-03",
            "month": "2010-02",
            "actual_to_date_kwh": 48.0,
            "projected_month_kwh": 48.0 + 26 * 24,
            "projected_month_kwh_lower": 48.0 + 26 * 20,
            "projected_month_kwh_upper": 48.0 + 26 * 28,
            "forecast": [
                {"date": f"2010-02-{d:02d}", "kwh": 24.0, "kwh_lower": 20.0, "kwh_upper": 28.0}
                for d in range(3, 29)
            ],
            "model": "prophet/h2",
        }
    ]
    answer = views.month(stores.portal, "h2", Month(2010, 2))
    statement = statement_of(answer, stores.forecasts.projections("h2", "2010-02"))
    assert not statement.complete and statement.review == () and statement.projections_stored == 1
    assert statement.total_kwh == answer["total"]["to_date_kwh"]
    assert statement.projected is not None and statement.projected.kwh == (672.0, 568.0, 776.0)
    assert statement.previous_month is None
    text, _ = pdf_text(render_pdf(statement))
    assert "February 2010 (2010-02), month to date" in text
    assert "its projections are reviewed in the statement of the whole month" in text
    assert "No day of January 2010 is measured: there is no comparison." in text
    page = render_html(statement)
    assert "month to date" in page and page.count("<svg") == 2 and "Error of the median" not in page


def test_a_month_without_a_measured_day_is_refused(stores) -> None:
    stores.forecasts.items["h3"] = [{**projection(1), "forecast_key": "month#2010-01#2010-01-01"}]
    answer = views.month(stores.portal, "h3", Month(2010, 1))
    with pytest.raises(NoMeasuredDayError, match="no day of 2010-01") as refused:
        statement_of(answer, [])
    assert isinstance(refused.value, NotFoundError) and refused.value.status == 404
