"""Lambda entry points of the accuracy function: the forecasted stream's events (an hour whose
forecasts preprocess has stored: score what was forecast for it) and the daily schedule (the fleet's
drift). Each adapts its event, no more."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.accuracy.aws import DynamoAccuracyStore, S3Baselines, SnsOperations
from services.accuracy.pipeline import AccuracyPorts, score_events
from services.accuracy.sweep import sweep_fleet
from services.core.clients import get_clients, per_clients
from services.core.emf import invocation_metrics
from services.core.forecasts_table import DynamoForecasts
from services.core.hour_closed import HOUR_FORECASTED, decode_events
from services.core.hourly_table import DynamoHourlyHistory
from services.core.metrics import ACCURACY
from services.core.partial_batch import partial_batch_response

logger = Logger(service=ACCURACY)
aws_ports = per_clients(
    lambda clients: AccuracyPorts(
        DynamoHourlyHistory(clients, clients.settings),
        DynamoForecasts(clients),
        DynamoAccuracyStore(clients),
        S3Baselines(clients),
        SnsOperations(clients),
    )
)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    events, _ = decode_events(event.get("Records", []), HOUR_FORECASTED)
    with invocation_metrics(ACCURACY) as metrics:
        outcome = score_events(events, aws_ports(), get_clients().settings)
        metrics.add("HoursScored", outcome.hours_scored)
        for error in outcome.next_hour_errors_kw:
            metrics.add("ForecastErrorKw", error)
    logger.info("batch scored", extra=outcome.summary())
    return partial_batch_response(event, outcome.failed_sequence_numbers, context)


@logger.inject_lambda_context
def sweep_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The schedule's event (`{"sweep": "drift"}` from Terraform, or EventBridge's own) is not read."""
    with invocation_metrics(ACCURACY) as metrics:
        outcome = sweep_fleet(aws_ports(), get_clients().settings, time.time())
        metrics.add("DriftingHouseholds", outcome.drifting_households)
    logger.info("fleet drift swept", extra=outcome.summary())
    return outcome.summary()
