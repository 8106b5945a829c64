"""The AWS side of preprocess: hourly rows from DynamoDB, the SageMaker endpoint, the forecasts table."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError, PublishError
from services.core.hour_closed import HOUR_FORECASTED, HourClosedEvent, encode_event
from services.core.items import to_item
from services.core.model_pointer import ModelPointerReader, ModelSlot, SsmPointers
from services.core.publisher import KinesisPublisher
from services.core.retry import Backoff
from services.core.settings import Settings
from services.preprocess.ports import ForecastItem

logger = logging.getLogger(__name__)
RETRYABLE_CODES = {
    "ThrottlingException",
    "ServiceUnavailable",
    "InternalFailure",
    "ModelNotReadyException",
    "InternalDependencyException",
    "ServiceUnavailableException",
}
BATCH_WRITE_ITEMS = 25
MISSING_MODEL_MEMORY_SECONDS = 600.0
# Throttling or a restarting endpoint: keep trying until the deadline the handler gives.
ENDPOINT_BACKOFF = Backoff(first_delay=0.2, max_delay=5.0, max_attempts=1_000, jitter=False)
UNPROCESSED_BACKOFF = Backoff(first_delay=0.05, max_delay=1.0, max_attempts=5)


class SageMakerForecaster:
    """Endpoint calls, retried with backoff while the endpoint is throttled or down, within a deadline.
    The LSTM and the default Prophet model are the champions their model pointers name."""

    def __init__(
        self,
        clients: AwsClients,
        settings: Settings,
        backoff: Backoff = ENDPOINT_BACKOFF,
        pointers: ModelPointerReader | None = None,
    ) -> None:
        self._clients = clients
        self._settings = settings
        self._backoff = backoff
        self._pointers = pointers or ModelPointerReader(SsmPointers(clients, settings), settings)
        self._no_own_model: dict[str, float] = {}  # household -> when its own model was found missing
        self._lock = threading.Lock()

    def lstm(self, body: bytes, deadline: float) -> tuple[dict[str, Any], str]:
        target = self._pointers.target(ModelSlot.LSTM)
        return self._invoke(target, body, deadline), target

    def projection(
        self, household_id: str, request: dict[str, Any], deadline: float
    ) -> tuple[dict[str, Any], str]:
        own = self._settings.prophet_target_model.format(household_id=household_id)
        body = json.dumps(request).encode()
        if not self._known_missing(household_id):
            try:
                return self._invoke(own, body, deadline), own
            except MissingModelError:
                with self._lock:
                    self._no_own_model[household_id] = time.monotonic()
        default = self._pointers.target(ModelSlot.PROPHET_DEFAULT)
        try:
            return self._invoke(default, body, deadline), default
        except MissingModelError as exc:
            raise DependencyError(f"neither {own} nor the default {default} exists") from exc

    def _known_missing(self, household_id: str) -> bool:
        with self._lock:
            seen = self._no_own_model.get(household_id)
        return seen is not None and time.monotonic() - seen < MISSING_MODEL_MEMORY_SECONDS

    def _invoke(self, target: str, body: bytes, deadline: float) -> dict[str, Any]:
        """`deadline` is a time on the backoff's clock (time.monotonic by default)."""
        runtime = self._clients.client("sagemaker-runtime")
        failure: Exception | None = None
        for _ in self._backoff.attempts(deadline):
            if failure is not None:
                logger.warning("endpoint call for %s failed (%s); retrying", target, failure)
            try:
                response = runtime.invoke_endpoint(
                    EndpointName=self._settings.forecaster_endpoint,
                    TargetModel=target,
                    ContentType="application/json",
                    Accept="application/json",
                    Body=body,
                )
                return json.loads(response["Body"].read())  # type: ignore[no-any-return]
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ValidationError" and "download model data" in str(exc):
                    raise MissingModelError(f"{target}: {exc}") from exc
                if not _retryable(code, dict(exc.response)):
                    raise DependencyError(f"{target} refused the request: {exc}") from exc
                failure = exc
            except BotoCoreError as exc:  # connection refused, timeouts: the endpoint is down or busy
                failure = exc
        raise DependencyError(f"endpoint unavailable for {target} until the deadline: {failure}")


class MissingModelError(DependencyError):
    """The target model does not exist (SageMaker answers ValidationError)."""


def _retryable(code: str, response: dict[str, Any]) -> bool:
    if code in RETRYABLE_CODES:
        return True
    return code == "ModelError" and int(response.get("OriginalStatusCode", 0) or 0) >= 500


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


FORECASTED_BACKOFF = Backoff(first_delay=0.1, max_delay=2.0, max_attempts=6)


class KinesisForecastedHours:
    """The forecasted stream (partition key = household id, like the hourly stream)."""

    def __init__(
        self, clients: AwsClients, settings: Settings, backoff: Backoff = FORECASTED_BACKOFF
    ) -> None:
        self._publisher = KinesisPublisher(clients.kinesis, settings.forecasted_stream, backoff=backoff)

    def publish(self, events: Sequence[HourClosedEvent]) -> list[HourClosedEvent]:
        by_payload = {encode_event(HOUR_FORECASTED, e): e for e in events}
        try:
            stats = self._publisher.publish((e.household_id, data) for data, e in by_payload.items())
        except (ClientError, BotoCoreError, PublishError) as exc:
            raise DependencyError(f"publishing {len(events)} forecasted hours: {exc}") from exc
        return [by_payload[entry.data] for entry in stats.failed]
