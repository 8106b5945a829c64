"""The AWS side of production scoring: the accuracy table, the models' published metadata (S3), the
operations topic (SNS). Every failed call raises DependencyError with its cause."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.accuracy.drift import Baseline, baseline_of
from services.accuracy.ports import ScoreItem
from services.core.bundle_format import metadata_sidecar
from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.core.forecasts_table import calling
from services.core.items import from_item, to_item
from services.core.retry import Backoff

logger = logging.getLogger(__name__)
BATCH_WRITE_ITEMS = 25
UNPROCESSED_BACKOFF = Backoff(first_delay=0.05, max_delay=1.0, max_attempts=5)
MISSING_METADATA_SECONDS = 600.0  # a model's metadata found missing is looked for again after this


class DynamoAccuracyStore:
    def __init__(self, clients: AwsClients, backoff: Backoff = UNPROCESSED_BACKOFF) -> None:
        self._dynamodb = clients.dynamodb
        self._table = clients.settings.accuracy_table
        self._backoff = backoff

    def put(self, items: Sequence[ScoreItem]) -> None:
        for start in range(0, len(items), BATCH_WRITE_ITEMS):
            self._write(items[start : start + BATCH_WRITE_ITEMS])

    def _write(self, chunk: Sequence[ScoreItem]) -> None:
        pending: list[Any] = [{"PutRequest": {"Item": self._item(i)}} for i in chunk]
        for _ in self._backoff.attempts():
            with calling(f"writing {len(pending)} score items"):
                response = self._dynamodb.batch_write_item(RequestItems={self._table: pending})
            pending = list(response.get("UnprocessedItems", {}).get(self._table, []))
            if not pending:
                return
        raise DependencyError(f"{len(pending)} score items still unprocessed by DynamoDB after retries")

    def get(self, household_id: str, score_key: str) -> dict[str, Any] | None:
        key = {"household_id": {"S": household_id}, "score_key": {"S": score_key}}
        with calling(f"reading {score_key} of {household_id}"):
            item = self._dynamodb.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def between(self, household_id: str, first_key: str, last_key: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND score_key BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":h": {"S": household_id},
                ":a": {"S": first_key},
                ":b": {"S": last_key},
            },
            "ConsistentRead": True,  # the day is settled from hours written a moment before
        }
        return self._pages("query", request, f"reading the scores of {household_id}")

    def everyone(self, first_key: str, last_key: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "score_key BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":a": {"S": first_key}, ":b": {"S": last_key}},
        }
        return self._pages("scan", request, "scanning the scores")

    def _pages(self, operation: str, request: dict[str, Any], what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        with calling(what):
            while True:
                page = getattr(self._dynamodb, operation)(**request)
                items += [from_item(item) for item in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    return items
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _item(self, item: ScoreItem) -> dict[str, Any]:
        return to_item({"household_id": item.household_id, "score_key": item.score_key, **item.attributes})


class S3Baselines:
    """A model's test error from the metadata published beside its bundle. A bundle's name is never
    reused, so what was read is kept for the life of the process."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._known: dict[str, Baseline | None] = {}
        self._missing_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def baseline(self, model: str) -> Baseline | None:
        with self._lock:
            if model in self._known:
                return self._known[model]
            if (
                time.monotonic() - self._missing_since.get(model, -MISSING_METADATA_SECONDS)
                < MISSING_METADATA_SECONDS
            ):
                return None
        metadata = self._read(model)
        with self._lock:
            if metadata is None:
                self._missing_since[model] = time.monotonic()
                return None
            self._known[model] = baseline_of(model, metadata)
            return self._known[model]

    def _read(self, model: str) -> Mapping[str, Any] | None:
        settings = self._clients.settings
        key = settings.models_prefix + metadata_sidecar(model)
        try:
            body = self._clients.s3.get_object(Bucket=settings.data_bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "AccessDenied"):
                logger.warning("no metadata published for %s at %s: %s", model, key, exc)
                return None
            raise DependencyError(f"reading {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"reading {key}: {exc}") from exc
        try:
            metadata = json.loads(body)
        except ValueError:
            logger.warning("the metadata of %s at %s is not JSON", model, key)
            return None
        return metadata if isinstance(metadata, dict) else None


class SnsOperations:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def announce(self, subject: str, message: Mapping[str, Any]) -> None:
        topic = self._clients.settings.operations_topic_arn
        if not topic:
            logger.warning("WATTCAST_OPERATIONS_TOPIC_ARN is not set: %s not announced", subject)
            return
        with calling(f"announcing {subject!r}"):
            self._clients.client("sns").publish(
                TopicArn=topic, Subject=subject[:100], Message=json.dumps(message, sort_keys=True)
            )
