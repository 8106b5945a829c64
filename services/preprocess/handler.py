"""Lambda entry point of the preprocess function: adapts the event, nothing more."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.clients import AwsClients, get_clients, per_clients
from services.core.emf import invocation_metrics
from services.core.forecast_store import DynamoForecastStore
from services.core.hourly_table import DynamoHourlyHistory
from services.core.metrics import PREPROCESS
from services.core.partial_batch import partial_batch_response
from services.preprocess.aws import KinesisForecastedHours, SageMakerForecaster
from services.preprocess.history_cache import HistoryCache
from services.preprocess.pipeline import PreprocessPorts, preprocess_batch

logger = Logger(service=PREPROCESS)
SAFETY_MARGIN_SECONDS = 5.0


def _aws_ports(clients: AwsClients) -> PreprocessPorts:
    history = DynamoHourlyHistory(clients, clients.settings, consistent=True)
    return PreprocessPorts(
        history,
        SageMakerForecaster(clients, clients.settings),
        DynamoForecastStore(clients, clients.settings),
        KinesisForecastedHours(clients, clients.settings),
        history_cache=HistoryCache(history),
    )


aws_ports = per_clients(_aws_ports)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_clients().settings
    remaining = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    deadline = time.monotonic() + max(1.0, min(remaining, settings.endpoint_retry_seconds))
    with invocation_metrics(PREPROCESS) as metrics:
        outcome = preprocess_batch(event.get("Records", []), aws_ports(), settings, deadline)
        outcome.record(metrics)
    logger.info("batch preprocessed", extra=outcome.summary())
    return partial_batch_response(event, outcome.failed_sequence_numbers, context)
