"""Reading the forecasts table (what preprocess stores): issued next-hour forecasts, month
projections and day rollups of one household. Every failed call raises DependencyError with its cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.days import DayRollup
from services.core.errors import DependencyError
from services.core.items import from_item
from services.core.reading import format_ts


@contextmanager
def calling(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise DependencyError(f"{what}: {exc}") from exc


def query_items(
    clients: AwsClients, request: dict[str, Any], limit: int | None = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = clients.dynamodb.query(**request)
        items += [from_item(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page or (limit is not None and len(items) >= limit):
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class DynamoForecasts:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._table = clients.settings.forecasts_table

    def _newest(self, household_id: str, prefix: str) -> dict[str, Any] | None:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND begins_with(forecast_key, :k)",
            "ExpressionAttributeValues": {":h": {"S": household_id}, ":k": {"S": prefix}},
            "ScanIndexForward": False,
            "Limit": 1,
        }
        with calling(f"reading forecasts of {household_id}"):
            items = query_items(self._clients, request, limit=1)
        return items[0] if items else None

    def latest_hours(self, household_id: str) -> dict[str, Any] | None:
        return self._newest(household_id, "lstm#")

    def latest_projection(self, household_id: str, month: str) -> dict[str, Any] | None:
        return self._newest(household_id, f"month#{month}#")

    def projections(self, household_id: str, month: str) -> list[dict[str, Any]]:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND begins_with(forecast_key, :k)",
            "ExpressionAttributeValues": {":h": {"S": household_id}, ":k": {"S": f"month#{month}#"}},
        }
        with calling(f"reading the projections of {household_id}"):
            return query_items(self._clients, request)

    def hours_issued(self, household_id: str, first: datetime, last: datetime) -> dict[str, dict[str, Any]]:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND forecast_key BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":h": {"S": household_id},
                ":a": {"S": f"lstm#{format_ts(first)}"},
                ":b": {"S": f"lstm#{format_ts(last)}"},
            },
        }
        with calling(f"reading forecasts of {household_id}"):
            return {item["issued_for"]: item for item in query_items(self._clients, request)}

    def days(self, household_id: str, first: date, last: date) -> dict[date, DayRollup]:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND forecast_key BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":h": {"S": household_id},
                ":a": {"S": f"day#{first.isoformat()}"},
                ":b": {"S": f"day#{last.isoformat()}"},
            },
        }
        with calling(f"reading the days of {household_id}"):
            items = query_items(self._clients, request)
        rollups = {}
        for item in items:
            day = date.fromisoformat(str(item["day"]))
            rollups[day] = DayRollup.from_attributes(household_id, day, item)
        return rollups
