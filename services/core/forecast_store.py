"""Writing the forecasts table: one item per (household, forecast key), as preprocess and the nightly
projections store them. Batches of 25 with DynamoDB's unprocessed items retried; what still fails is
returned, never raised, so each caller fails exactly the records behind it."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.items import to_item
from services.core.retry import Backoff
from services.core.settings import Settings

logger = logging.getLogger(__name__)
BATCH_WRITE_ITEMS = 25
UNPROCESSED_BACKOFF = Backoff(first_delay=0.05, max_delay=1.0, max_attempts=5)


@dataclass(frozen=True)
class ForecastItem:
    """One item of the forecasts table; keyed so that a retried batch overwrites it."""

    household_id: str
    forecast_key: str
    attributes: dict[str, Any]


class DynamoForecastStore:
    def __init__(
        self, clients: AwsClients, settings: Settings, backoff: Backoff = UNPROCESSED_BACKOFF
    ) -> None:
        self._dynamodb = clients.dynamodb
        self._table = settings.forecasts_table
        self._backoff = backoff

    def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
        failed: list[ForecastItem] = []
        for start in range(0, len(items), BATCH_WRITE_ITEMS):
            chunk = list(items[start : start + BATCH_WRITE_ITEMS])
            failed += self._write(chunk)
        return failed

    def _write(self, chunk: list[ForecastItem]) -> list[ForecastItem]:
        pending = {(i.household_id, i.forecast_key): i for i in chunk}
        for _ in self._backoff.attempts():
            requests: list[Any] = [{"PutRequest": {"Item": self._item(i)}} for i in pending.values()]
            try:
                response = self._dynamodb.batch_write_item(RequestItems={self._table: requests})
            except (ClientError, BotoCoreError) as exc:
                logger.warning("writing %d forecasts failed: %s", len(pending), exc)
                return list(pending.values())
            unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
            keys = {_key_of(request["PutRequest"]["Item"]) for request in unprocessed}
            pending = {k: v for k, v in pending.items() if k in keys}
            if not pending:
                return []
        logger.warning("%d forecasts still unprocessed by DynamoDB after retries", len(pending))
        return list(pending.values())

    def put_new(self, items: Sequence[ForecastItem]) -> tuple[list[ForecastItem], list[ForecastItem]]:
        """One conditional PutItem per item: revisions are rare, and BatchWriteItem has no conditions."""
        written: list[ForecastItem] = []
        failed: list[ForecastItem] = []
        for item in items:
            try:
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=self._item(item),
                    ConditionExpression="attribute_not_exists(forecast_key)",
                )
                written.append(item)
            except self._dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # issued before: it stays as issued
            except (ClientError, BotoCoreError) as exc:
                logger.warning(
                    "writing the forecast %s of %s failed: %s", item.forecast_key, item.household_id, exc
                )
                failed.append(item)
        return written, failed

    def _item(self, item: ForecastItem) -> dict[str, Any]:
        body = {"household_id": item.household_id, "forecast_key": item.forecast_key, **item.attributes}
        body["stored_at"] = time.time()
        return to_item(body)


def _key_of(item: Any) -> tuple[str, str]:
    return item["household_id"]["S"], item["forecast_key"]["S"]
