"""Lambda entry points of the portal image: the household API behind API Gateway, and the alerts
function (hour-closed events from the hourly stream, and the silent-meter schedule). Each adapts its
event; the API's image CMD is `services.portal.handler.api_handler`, the alerts function overrides it
with `services.portal.handler.alerts_handler`, the statements function with
`services.portal.statement_handler.statements_handler` (its own module: the API does not import
matplotlib)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.clients import per_clients
from services.core.emf import invocation_metrics
from services.core.hourly_table import DynamoHourlyHistory
from services.core.metrics import ALERTS, API
from services.core.partial_batch import partial_batch_response
from services.core.reading import parse_ts
from services.portal import api
from services.portal.alerting import AlertPorts, AlertsOutcome, evaluate_closed_hours, sweep_silent_meters
from services.portal.aws import (
    DynamoAlerts,
    DynamoClocks,
    DynamoDriftMarks,
    DynamoForecasts,
    DynamoSettings,
    SnsNotifier,
)
from services.portal.aws_pipeline import AwsPipelineHealth
from services.portal.aws_statements import S3Statements
from services.portal.views import PortalPorts

logger = Logger(service=API)
portal_ports = per_clients(
    lambda clients: PortalPorts(
        DynamoHourlyHistory(clients, clients.settings),
        DynamoForecasts(clients),
        DynamoSettings(clients),
        DynamoAlerts(clients),
        DynamoClocks(clients),
        AwsPipelineHealth(clients),
        S3Statements(clients),
        DynamoDriftMarks(clients),
    )
)
alert_ports = per_clients(lambda clients: AlertPorts(portal_ports(), SnsNotifier(clients)))


@logger.inject_lambda_context(log_event=False)  # events carry tokens' claims: never logged
def api_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    api.use_ports(portal_ports())
    with invocation_metrics(API) as metrics:
        try:
            answer = api.app.resolve(event, context)
        except Exception:
            metrics.add("ApiServerErrors", 1)  # a function error: API Gateway answers 502
            raise
        metrics.add("ApiServerErrors", int(answer["statusCode"] >= 500))
    http = event.get("requestContext", {}).get("http", {})
    logger.info(
        "answered",
        extra={
            "method": http.get("method"),
            "path": str(http.get("path", ""))[:200],
            "status": answer["statusCode"],
        },
    )
    return answer


@logger.inject_lambda_context(log_event=False)
def alerts_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:  # the EventBridge schedule
        outcome = sweep_silent_meters(alert_ports())
        _record_alerts(outcome)
        logger.info("silent meters swept", extra=outcome.summary())
        return outcome.summary()
    closed, sequence_of = closed_hours(event["Records"])
    outcome = evaluate_closed_hours(closed, alert_ports())
    _record_alerts(outcome)
    logger.info("alerts evaluated", extra=outcome.summary())
    failed = {seq for household_id in outcome.failed_households for seq in sequence_of[household_id]}
    return partial_batch_response(event, failed, context)


def _record_alerts(outcome: AlertsOutcome) -> None:
    with invocation_metrics(ALERTS) as metrics:
        metrics.add("AlertsRaised", outcome.raised)


def closed_hours(records: list[dict[str, Any]]) -> tuple[list[tuple[str, datetime]], dict[str, list[str]]]:
    """(household, hour) of each hour-closed event, and each household's sequence numbers; anything
    else is logged and skipped, as preprocess does (retrying would not fix it)."""
    closed: list[tuple[str, datetime]] = []
    sequences: dict[str, list[str]] = {}
    for record in records:
        kinesis = record["kinesis"]
        try:
            body = json.loads(base64.b64decode(kinesis["data"]))
            hour = parse_ts(body["hour"])
            if body.get("type") != "hour_closed" or not isinstance(hour, datetime):
                raise ValueError("not an hour_closed event")
            household_id = str(body["household_id"])
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring record %s: %s", kinesis.get("sequenceNumber"), exc)
            continue
        closed.append((household_id, hour))
        sequences.setdefault(household_id, []).append(str(kinesis["sequenceNumber"]))
    return closed, sequences
