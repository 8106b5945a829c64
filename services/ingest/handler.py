"""Lambda entry point of the ingest function: adapts the event, nothing more.

The batch logic is `services.ingest.pipeline.ingest_batch`; this module builds its AWS ports once
per container, turns the outcome into a partial batch response with Powertools and emits its
metrics (services.core.emf).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.clients import get_clients, per_clients
from services.core.emf import invocation_metrics
from services.core.metrics import INGEST
from services.core.partial_batch import partial_batch_response
from services.ingest.aws import (
    DynamoAggregates,
    DynamoHouseholdStates,
    KinesisHourlyEvents,
    S3Archive,
    SqsDeadLetters,
)
from services.ingest.pipeline import IngestPorts, ingest_batch

logger = Logger(service=INGEST)
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
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ports = aws_ports()
    with invocation_metrics(INGEST) as metrics:
        outcome = ingest_batch(event.get("Records", []), ports, get_clients().settings)
        outcome.record(metrics)
    logger.info("batch ingested", extra=outcome.summary())
    return partial_batch_response(event, outcome.failed_sequence_numbers, context)
