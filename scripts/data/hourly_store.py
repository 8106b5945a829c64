"""The live data: each household's hourly rows from the DynamoDB hourly table, as the training code's
hourly series (`services.core.features.HourlySeries`, the shape `scripts.data.uci.hourly_series` gives).

The rows are the means ingest stored (sum / count of the valid minutes), read with the same query code
preprocess uses (`services.core.hourly_table`), so a model retrained from the store sees the numbers
it will be served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from scripts.data.errors import DataError
from services.core import features
from services.core.clients import AwsClients
from services.core.hourly import HourlyRow
from services.core.hourly_table import DynamoHourlyHistory

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, tzinfo=UTC)


def household_ids(clients: AwsClients) -> list[str]:
    """Every household the households table lists (ingest writes one item per household); the hourly
    table's own keys when that table is empty."""
    settings = clients.settings
    found = _scan_ids(clients, settings.households_table)
    return sorted(found or _scan_ids(clients, settings.hourly_table))


def _scan_ids(clients: AwsClients, table: str) -> set[str]:
    request: dict[str, Any] = {"TableName": table, "ProjectionExpression": "household_id"}
    ids: set[str] = set()
    while True:
        page = clients.dynamodb.scan(**request)
        ids |= {item["household_id"]["S"] for item in page["Items"]}
        if "LastEvaluatedKey" not in page:
            return ids
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def series_of_rows(rows: Sequence[HourlyRow]) -> features.HourlySeries:
    """Rows (any order) on the gap-free hourly grid; hours not stored and unmeasured means are NaN."""
    if not rows:
        raise DataError("no hourly rows")
    hours = np.array([int(r.hour.timestamp()) // features.SECONDS_PER_HOUR for r in rows], dtype=np.int64)
    start = int(hours.min())
    grid = np.full((int(hours.max()) - start + 1, len(features.HOURLY_MEASURES)), np.nan)
    values = [
        [np.nan if r.means.get(m) is None else r.means[m] for m in features.HOURLY_MEASURES] for r in rows
    ]
    grid[hours - start] = np.array(values, dtype=np.float64)
    return features.HourlySeries(start, grid)


def store_series(
    clients: AwsClients,
    households: Sequence[str] | None = None,
    *,
    first: datetime = EARLIEST,
    last: datetime = LATEST,
) -> dict[str, features.HourlySeries]:
    """Each household's stored hours in [first, last] (all households by default); a household with
    none there is left out, and none at all is a DataError."""
    history = DynamoHourlyHistory(clients, clients.settings)
    wanted = list(households) if households else household_ids(clients)
    series = {}
    for household_id in wanted:
        rows = history.rows(household_id, first, last)
        if rows:
            series[household_id] = series_of_rows(rows)
    if not series:
        table = clients.settings.hourly_table
        raise DataError(f"the hourly table {table} holds no hours of {', '.join(wanted) or 'any household'}")
    return series


def newest_hour(clients: AwsClients, households: Sequence[str]) -> datetime:
    """The newest stored hour of any of the households."""
    history = DynamoHourlyHistory(clients, clients.settings)
    newest = [rows[0].hour for h in households if (rows := history.newest(h, 1))]
    if not newest:
        raise DataError(f"the hourly table {clients.settings.hourly_table} holds no hours")
    return max(newest)


def holdout_start(newest: datetime, days: int) -> datetime:
    """The first hour of the recent holdout: midnight UTC `days` days before the day after the newest
    stored hour's day (the newest day counts as the holdout's last)."""
    day_after = datetime(newest.year, newest.month, newest.day, tzinfo=UTC) + timedelta(days=1)
    return day_after - timedelta(days=days)


def span(series: Mapping[str, features.HourlySeries]) -> tuple[str, str]:
    """The first and last hour of all the series."""
    return (
        features.hour_ts(min(s.start for s in series.values())),
        features.hour_ts(max(s.last for s in series.values())),
    )
