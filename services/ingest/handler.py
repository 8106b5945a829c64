"""Lambda entry point of the ingest function: adapts the event, nothing more.

The batch logic is `services.ingest.pipeline.ingest_batch`; this module builds its AWS ports once
per container and turns the outcome into a partial batch response with Powertools.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from services.core.clients import get_clients, per_clients
from services.ingest.aws import (
    DynamoAggregates,
    DynamoHouseholdStates,
    KinesisHourlyEvents,
    S3Archive,
    SqsDeadLetters,
)
from services.ingest.errors import RecordFailedError
from services.ingest.pipeline import IngestPorts, ingest_batch

logger = Logger(service="wattcast-ingest")
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
aws_ports = per_clients(
    lambda clients: IngestPorts(
        archive=S3Archive(clients, clients.settings),
        aggregates=DynamoAggregates(clients, clients.settings),
        households=DynamoHouseholdStates(clients, clients.settings),
        hourly_events=KinesisHourlyEvents(clients, clients.settings),
        dead_letters=SqsDeadLetters(clients, clients.settings),
    )
)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ports = aws_ports()
    outcome = ingest_batch(event.get("Records", []), ports, get_clients().settings)
    logger.info("batch ingested", extra=outcome.summary())

    def report(record: KinesisStreamRecord) -> None:
        if record.kinesis.sequence_number in outcome.failed_sequence_numbers:
            raise RecordFailedError(f"record {record.kinesis.sequence_number} failed; it is retried")

    return dict(
        process_partial_response(event=event, record_handler=report, processor=processor, context=context)
    )
