"""Reading the hourly table: a household's stored hours, oldest first or the newest few."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.core.hourly import COUNT_PREFIX, SUM_PREFIX, HourlyRow, row_from_item
from services.core.reading import MEASURES, format_ts
from services.core.settings import Settings


class DynamoHourlyHistory:
    """Queries of one household's hours; a failed query raises DependencyError with its cause.
    `consistent`: strongly consistent reads (for a reader that keeps what it read)."""

    def __init__(self, clients: AwsClients, settings: Settings, *, consistent: bool = False) -> None:
        self._dynamodb = clients.dynamodb
        self._table = settings.hourly_table
        self._consistent = consistent
        names = {"#h": "hour", "#p": "household_id"}
        for i, measure in enumerate(MEASURES):
            names[f"#s{i}"], names[f"#c{i}"] = SUM_PREFIX + measure, COUNT_PREFIX + measure
        self._names = names

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        """The stored hours in [first_hour, last_hour], oldest first."""
        request = self._request(household_id)
        request["KeyConditionExpression"] = "#p = :h AND #h BETWEEN :first AND :last"
        request["ExpressionAttributeValues"] |= {
            ":first": {"S": format_ts(first_hour)},
            ":last": {"S": format_ts(last_hour)},
        }
        return self._query(household_id, request)

    def newest(self, household_id: str, count: int) -> list[HourlyRow]:
        """The newest `count` stored hours, newest first."""
        request = self._request(household_id) | {"ScanIndexForward": False, "Limit": count}
        return self._query(household_id, request, pages=1)

    def _request(self, household_id: str) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "KeyConditionExpression": "#p = :h",
            "ProjectionExpression": ", ".join(self._names),  # sums and counts, not the minute sets
            "ExpressionAttributeNames": self._names,
            "ExpressionAttributeValues": {":h": {"S": household_id}},
            "ConsistentRead": self._consistent,
        }

    def _query(self, household_id: str, request: dict[str, Any], pages: int | None = None) -> list[HourlyRow]:
        items: list[dict[str, Any]] = []
        try:
            while True:
                page = self._dynamodb.query(**request)
                items += page["Items"]
                pages = None if pages is None else pages - 1
                if "LastEvaluatedKey" not in page or pages == 0:
                    return [row_from_item(item) for item in items]
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"reading hours of {household_id}: {exc}") from exc
