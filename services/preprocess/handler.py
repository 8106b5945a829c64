"""Lambda entry point of the preprocess function: adapts the event, nothing more."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from services.core.clients import get_clients, per_clients
from services.preprocess.aws import DynamoForecastStore, DynamoHourlyHistory, SageMakerForecaster
from services.preprocess.errors import RecordFailedError
from services.preprocess.pipeline import PreprocessPorts, preprocess_batch

logger = Logger(service="wattcast-preprocess")
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
SAFETY_MARGIN_SECONDS = 5.0
aws_ports = per_clients(
    lambda clients: PreprocessPorts(
        DynamoHourlyHistory(clients, clients.settings),
        SageMakerForecaster(clients, clients.settings),
        DynamoForecastStore(clients, clients.settings),
    )
)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_clients().settings
    remaining = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    deadline = time.monotonic() + max(1.0, min(remaining, settings.endpoint_retry_seconds))
    outcome = preprocess_batch(event.get("Records", []), aws_ports(), settings, deadline)
    logger.info("batch preprocessed", extra=outcome.summary())

    def report(record: KinesisStreamRecord) -> None:
        if record.kinesis.sequence_number in outcome.failed_sequence_numbers:
            raise RecordFailedError(f"record {record.kinesis.sequence_number} failed; it is retried")

    return dict(
        process_partial_response(event=event, record_handler=report, processor=processor, context=context)
    )
