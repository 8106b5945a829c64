"""The households the portal benchmark stores: the bundled slice's hours (January and February 2010),
the closed days' rollups as preprocess writes them, a next-hours forecast from the last hour, a
February projection as of its last day, and each household's clock; written to the emulator's
tables, or to a JSON file that the memory-store API loads (`portal_memory_api`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.evaluation.bills import store_hours
from scripts.local.portal_memory import MemoryStores
from services.core.clients import AwsClients
from services.core.days import day_rollup
from services.core.hourly import HourlyRow
from services.core.items import to_item
from services.core.reading import MEASURES, format_ts, parse_ts


@dataclass(frozen=True)
class SeededHousehold:
    household_id: str
    rows: list[HourlyRow]
    items: list[dict[str, Any]]  # forecasts-table items: day rollups, the forecast, the projection
    latest: datetime
    open_hour: datetime


def household(household_id: str, frame: pd.DataFrame) -> SeededHousehold:
    means = frame.loc[:, list(MEASURES)].groupby(pd.DatetimeIndex(frame.index).floor("h")).mean()
    rows = [
        HourlyRow(household_id, hour.to_pydatetime(), 60, dict(zip(MEASURES, _floats(values), strict=True)))
        for hour, values in zip(pd.DatetimeIndex(means.index), means.to_numpy(), strict=True)
    ]
    last = rows[-1].hour
    return SeededHousehold(
        household_id,
        rows,
        [*_rollups(household_id, rows, last.date()), *_forecasts(household_id, last)],
        last + timedelta(minutes=59),
        last,
    )


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


def _rollups(household_id: str, rows: list[HourlyRow], before: date) -> list[dict[str, Any]]:
    by_day: dict[date, list[HourlyRow]] = {}
    for row in rows:
        by_day.setdefault(row.hour.date(), []).append(row)
    return [
        {
            "household_id": household_id,
            "forecast_key": f"day#{day.isoformat()}",
            "kind": "day",
            "day": day.isoformat(),
            **day_rollup(household_id, day, day_rows).as_attributes(),
        }
        for day, day_rows in sorted(by_day.items())
        if day < before
    ]


def _forecasts(household_id: str, last: datetime) -> list[dict[str, Any]]:
    rng = np.random.default_rng(int(household_id.lstrip("h") or 0))
    issued = format_ts(last + timedelta(hours=1))
    as_of = last.date().isoformat()
    return [
        {
            "household_id": household_id,
            "forecast_key": f"lstm#{issued}",
            "kind": "lstm",
            "issued_for": issued,
            "origin": format_ts(last),
            "kw": [1.0] * 24,
            "kw_p10": [0.4] * 24,
            "kw_p50": [0.9] * 24,
            "kw_p90": [2.0] * 24,
            "model": "bench",
        },
        {
            "household_id": household_id,
            "forecast_key": f"month#{last:%Y-%m}#{as_of}",
            "kind": "month",
            "as_of": as_of,
            "month": f"{last:%Y-%m}",
            "actual_to_date_kwh": 600.0,
            "projected_month_kwh": 630.0,
            "projected_month_kwh_lower": 620.0,
            "projected_month_kwh_upper": 640.0,
            "forecast": [{"date": as_of, "kwh": 30.0, "kwh_lower": 20.0, "kwh_upper": 40.0}],
            "remaining_kwh_samples": [round(float(v), 3) for v in rng.normal(30, 5, 300)],
            "model": "bench",
        },
    ]


def write_to_tables(clients: AwsClients, seeded: SeededHousehold, frame: pd.DataFrame) -> int:
    stored = store_hours(clients, seeded.household_id, frame)
    for item in seeded.items:
        clients.dynamodb.put_item(TableName=clients.settings.forecasts_table, Item=to_item(item))
    clock: dict[str, Any] = {
        "household_id": {"S": seeded.household_id},
        "latest": {"S": format_ts(seeded.latest)},
        "open_hours": {"SS": [format_ts(seeded.open_hour)]},
        "version": {"N": "1"},
    }
    clients.dynamodb.put_item(TableName=clients.settings.households_table, Item=clock)
    return stored


def write_seed_file(path: Path, households: list[SeededHousehold]) -> None:
    document = {
        h.household_id: {
            "rows": [[format_ts(r.hour), r.minutes, r.means] for r in h.rows],
            "items": h.items,
            "latest": format_ts(h.latest),
            "open_hour": format_ts(h.open_hour),
        }
        for h in households
    }
    path.write_text(json.dumps(document))


def load_seed_file(path: Path) -> MemoryStores:
    stores = MemoryStores()
    for household_id, seeded in json.loads(path.read_text()).items():
        stores.hours.rows_by_household[household_id] = [
            HourlyRow(household_id, _instant(hour), minutes, means) for hour, minutes, means in seeded["rows"]
        ]
        stores.forecasts.items[household_id] = seeded["items"]
        stores.clocks.latest[household_id] = _instant(seeded["latest"])
        stores.clocks.open_hours[household_id] = frozenset({_instant(seeded["open_hour"])})
    return stores


def _instant(text: str) -> datetime:
    parsed = parse_ts(text)
    if not isinstance(parsed, datetime):
        raise ValueError(f"not a time: {text!r}")
    return parsed
