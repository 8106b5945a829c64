"""The on-failure destination: the SQS message Lambda sends when it gives up a Kinesis batch."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scripts.local.esm.batching import StreamRecord
from scripts.local.esm.invokers import InvocationResult
from services.core.clients import AwsClients

logger = logging.getLogger(__name__)

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True)
class DiscardedBatch:
    """A batch the mapping gave up, with why and what the last invocation returned (if any)."""

    records: Sequence[StreamRecord]
    condition: str
    invoke_count: int
    last_result: InvocationResult | None
    function_arn: str
    stream_arn: str


def iso_millis(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def on_failure_message(discarded: DiscardedBatch, now: float) -> dict[str, Any]:
    """The JSON body Lambda sends to an SQS on-failure destination for a Kinesis source."""
    first, last = discarded.records[0], discarded.records[-1]
    result = discarded.last_result
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": discarded.function_arn,
            "condition": discarded.condition,
            "approximateInvokeCount": discarded.invoke_count,
        },
        "responseContext": {
            "statusCode": result.status_code if result else None,
            "executedVersion": "$LATEST",
            "functionError": result.function_error if result else None,
        },
        "version": "1.0",
        "timestamp": iso_millis(now),
        "KinesisBatchInfo": {
            "shardId": first.shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": iso_millis(first.arrival),
            "approximateArrivalOfLastRecord": iso_millis(last.arrival),
            "batchSize": len(discarded.records),
            "streamArn": discarded.stream_arn,
        },
    }


class OnFailureDestination:
    """Sends on-failure messages to an SQS queue (by name; the URL is looked up once)."""

    def __init__(self, clients: AwsClients, queue_name: str | None) -> None:
        self.clients = clients
        self.queue_name = queue_name
        self._queue_url: str | None = None
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        info = message["KinesisBatchInfo"]
        if self.queue_name is None:
            logger.warning(
                "discarded %s records %s..%s of %s (%s); no on-failure queue configured",
                info["batchSize"],
                info["startSequenceNumber"],
                info["endSequenceNumber"],
                info["shardId"],
                message["requestContext"]["condition"],
            )
            return
        self.clients.sqs.send_message(QueueUrl=self._url(self.queue_name), MessageBody=json.dumps(message))

    def _url(self, queue_name: str) -> str:
        with self._lock:
            if self._queue_url is None:
                self._queue_url = self.clients.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            return self._queue_url
