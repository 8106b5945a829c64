"""The boundary both stream Lambdas share: the failed sequence numbers of a batch -> Powertools'
partial batch response (the event source mapping retries from the lowest failed record on)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.errors import WattcastError


class RecordFailedError(WattcastError):
    """Raised per record inside the batch processor so that it reports the record as failed."""


def partial_batch_response(
    event: dict[str, Any], failed: Collection[str], context: LambdaContext
) -> dict[str, Any]:
    if not event.get("Records"):
        return {"batchItemFailures": []}  # Powertools refuses an empty batch; Lambda never sends one

    def report(record: KinesisStreamRecord) -> None:
        if record.kinesis.sequence_number in failed:
            raise RecordFailedError(f"record {record.kinesis.sequence_number} failed; it is retried")

    # A processor per call: it keeps the batch's state, and the embedded stack calls a handler from
    # one thread per shard at the same time.
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=report, processor=processor, context=context)
    )
