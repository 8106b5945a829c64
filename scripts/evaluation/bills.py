"""The bill projection, measured through the household API: for each complete test month of the real
house, the month's hours stored as ingest stores them, the served Prophet bundle's projection as of
day 15 stored as preprocess stores it, and the month's projected cost read from
`GET /households/{id}/month/{yyyy-mm}` under each tariff option; against the month's actual cost
(the same tariff over every hour of the month)."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.evaluation.served import ServedBundle
from scripts.local.gateway.tokens import TokenRequest, issue
from scripts.local.stack import EmbeddedStack
from services.core.clients import AwsClients
from services.core.forecast_store import DynamoForecastStore
from services.core.hourly import COUNT_PREFIX, SUM_PREFIX
from services.core.hourly_table import DynamoHourlyHistory
from services.core.month_projection import projection_item, projection_request
from services.core.reading import MEASURES, format_ts
from services.portal.energy import days, hour_energy, kwh_by_hour
from services.portal.requests import Month
from services.portal.tariffs import load_tariff

AS_OF_DAY = 15
OPTIONS = ("base", "off_peak_peak")
TARIFF = "fr_tarif_bleu_2025-02"


@dataclass(frozen=True)
class BillOptions:
    data: Path
    prophet: Path
    out: Path
    household: str = "h000"
    train_end: str = "2010-01-01"


def evaluate_bills(options: BillOptions, frame: pd.DataFrame) -> dict[str, Any]:
    """`frame`: the house's minute readings (scripts.data.uci.load_uci)."""
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False, forecaster=False)
        assert stack.clients is not None and stack.portal is not None
        test = frame[frame.index >= pd.Timestamp(options.train_end, tz="UTC")]
        store_hours(stack.clients, options.household, test)
        with ServedBundle(options.prophet, "prophet") as bundle:
            cases = [
                case
                for month in _months(test)
                if (case := _month_case(stack, bundle, options.household, month)) is not None
            ]
    finally:
        stack.stop()
    report = {
        "household": options.household,
        "as_of_day": AS_OF_DAY,
        "tariff": TARIFF,
        "cases": cases,
        "scores": _scores(cases),
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "bills.json").write_text(json.dumps(report, indent=2))
    return report


def store_hours(clients: AwsClients, household_id: str, frame: pd.DataFrame) -> int:
    """The minutes' sums and counts per hour, as ingest's hourly table holds them."""
    hours = pd.DatetimeIndex(frame.index).floor("h")
    grouped = frame.loc[:, list(MEASURES)].groupby(hours)
    sums, counts = grouped.sum().to_numpy(), grouped.count().to_numpy()
    requests = []
    for i, hour in enumerate(pd.DatetimeIndex(grouped.sum().index)):
        item: dict[str, Any] = {
            "household_id": {"S": household_id},
            "hour": {"S": format_ts(hour.to_pydatetime())},
        }
        for j, measure in enumerate(MEASURES):
            count = int(counts[i, j])
            item[SUM_PREFIX + measure] = {"N": repr(round(float(sums[i, j]), 6)) if count else "0"}
            item[COUNT_PREFIX + measure] = {"N": str(count)}
        requests.append({"PutRequest": {"Item": item}})
    table = clients.settings.hourly_table
    for start in range(0, len(requests), 25):
        pending: Any = {table: requests[start : start + 25]}
        while pending:
            pending = clients.dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
    return len(requests)


def _months(frame: pd.DataFrame) -> list[Month]:
    index = pd.DatetimeIndex(frame.index)
    first, last = index.min(), index.max()
    months, month = [], Month(first.year, first.month)
    while month.end <= last.to_pydatetime() + timedelta(minutes=1):
        months.append(month)
        month = month.following
    return months


def _month_case(
    stack: EmbeddedStack, bundle: ServedBundle, household_id: str, month: Month
) -> dict[str, Any] | None:
    assert stack.clients is not None
    clients = stack.clients
    rows = DynamoHourlyHistory(clients, clients.settings).rows(
        household_id, month.start, month.end - timedelta(hours=1)
    )
    energy = hour_energy(rows)
    measured_days = days(energy)
    if len(measured_days) < month.days or not all(d.complete for d in measured_days):
        return None  # the truth is the whole month's energy: only complete months count
    as_of = date(month.year, month.month, AS_OF_DAY)
    answer = bundle.ask(projection_request(household_id, as_of, rows))
    DynamoForecastStore(clients, clients.settings).put(
        [
            projection_item(
                household_id, as_of, answer, "prophet", arrival=time.time(), settings=clients.settings
            )
        ]
    )
    case: dict[str, Any] = {"month": str(month), "actual_kwh": round(sum(d.kwh for d in measured_days), 2)}
    for option in OPTIONS:
        tariff = load_tariff(TARIFF, option)
        actual = sum(tariff.energy_cost(tariff.kwh_by_band(kwh_by_hour(energy))).values())
        actual += tariff.standing_charge(month.days)
        _put_tariff(stack, household_id, option)
        total = _get(stack, household_id, f"/households/{household_id}/month/{month}")["total"]
        cost, kwh = total["projected_cost"], total["projected_kwh"]
        case[option] = {
            "actual_cost": round(actual, 2),
            "projected_cost": cost,
            "ape_pct": round(abs(cost["median"] - actual) / actual * 100, 2),
            "inside_interval": cost["lower"] <= actual <= cost["upper"],
        }
        case["projected_kwh"] = kwh
    case["kwh_ape_pct"] = round(
        abs(case["projected_kwh"]["median"] - case["actual_kwh"]) / case["actual_kwh"] * 100, 2
    )
    return case


def _put_tariff(stack: EmbeddedStack, household_id: str, option: str) -> None:
    body = json.dumps({"tariff": {"id": TARIFF, "option": option}}).encode()
    _get(stack, household_id, f"/households/{household_id}/settings", method="PUT", body=body)


def _get(
    stack: EmbeddedStack, household_id: str, path: str, *, method: str = "GET", body: bytes | None = None
) -> Any:
    assert stack.portal is not None and stack.clients is not None
    token = issue(stack.clients.settings, TokenRequest(household_id))
    request = urllib.request.Request(
        stack.portal.url + path, data=body, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _scores(cases: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(values: list[float]) -> float | None:
        return round(float(np.mean(values)), 2) if values else None

    return {
        "complete_months": len(cases),
        "months": [c["month"] for c in cases],
        "kwh_mape_pct": mean([c["kwh_ape_pct"] for c in cases]),
        **{
            option: {
                "cost_mape_pct": mean([c[option]["ape_pct"] for c in cases]),
                "interval_coverage": mean([float(c[option]["inside_interval"]) for c in cases]),
            }
            for option in OPTIONS
        },
    }
