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
from services.core.model_pointer import ModelPointerReader, ModelSlot, SsmPointers
from services.core.publisher import KinesisPublisher
from services.core.retry import Backoff
from services.core.settings import Settings

logger = logging.getLogger(__name__)
RETRYABLE_CODES = {
    "ThrottlingException",
    "ServiceUnavailable",
    "InternalFailure",
    "ModelNotReadyException",
    "InternalDependencyException",
    "ServiceUnavailableException",
}
MISSING_MODEL_MEMORY_SECONDS = 600.0
# Throttling or a restarting endpoint: keep trying until the deadline the handler gives.
ENDPOINT_BACKOFF = Backoff(first_delay=0.2, max_delay=5.0, max_attempts=1_000, jitter=False)


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
