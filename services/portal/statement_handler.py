"""The statements function: on the hourly stream, each household whose month just closed gets that
month's statement in S3; invoked directly, a month's statements for every household (a re-run)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.errors import DependencyError
from services.core.partial_batch import partial_batch_response
from services.portal import requests
from services.portal.errors import NotFoundError
from services.portal.handler import closed_hours, portal_ports
from services.portal.requests import Month
from services.portal.statements import generate, months_closed

logger = Logger(service="wattcast-statements")  # its own: in the embedded mode the functions share a process


@logger.inject_lambda_context(log_event=False)
def statements_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Hour-closed events: the statement of each household whose month just closed. A direct
    invocation `{"month": "YYYY-MM"}` (optionally with "household_id") writes that month's for every
    household (or that one): the operator's re-run."""
    if "Records" not in event:
        month = requests.month(str(event.get("month", "")))
        ids = (
            [event["household_id"]]
            if "household_id" in event
            else sorted(portal_ports().clocks.latest_readings())
        )
        written = [h for h in ids if _statement(h, month)]
        return {"month": str(month), "written": len(written), "households": len(ids)}
    closed, sequence_of = closed_hours(event["Records"])
    failed: set[str] = set()
    for household_id, month in months_closed(closed):
        try:
            _statement(household_id, month)
        except DependencyError as exc:
            logger.error("statement of %s for %s not stored; retried: %s", household_id, month, exc)
            failed |= set(sequence_of[household_id])
    return partial_batch_response(event, failed, context)


def _statement(household_id: str, month: Month) -> bool:
    try:
        generated = generate(portal_ports(), household_id, month)
    except NotFoundError as exc:
        logger.info("no statement: %s", exc)
        return False
    logger.info(
        "statement stored",
        extra={"household_id": household_id, "month": str(month), "seconds": round(generated.seconds, 3)},
    )
    return True
