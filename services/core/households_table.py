"""Reading the households table: each household's latest reading (the clock ingest keeps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core.clients import AwsClients
from services.core.forecasts_table import calling
from services.core.reading import parse_ts


def latest_readings(clients: AwsClients) -> dict[str, datetime]:
    """Household id -> the time of its latest reading, for every household (one paged scan)."""
    request: dict[str, Any] = {
        "TableName": clients.settings.households_table,
        "ProjectionExpression": "household_id, latest",
    }
    found: dict[str, datetime] = {}
    with calling("scanning household clocks"):
        while True:
            page = clients.dynamodb.scan(**request)
            for item in page["Items"]:
                latest = parse_ts(item.get("latest", {}).get("S", ""))
                if isinstance(latest, datetime):
                    found[item["household_id"]["S"]] = latest
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
