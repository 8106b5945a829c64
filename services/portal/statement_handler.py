"""The statements function: on the hourly stream, each household whose month just closed gets that
month's statement in S3; invoked directly, a month's statements for every household (a re-run)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.core.emf import invocation_metrics
from services.core.errors import DependencyError, WattcastError
from services.core.metrics import STATEMENTS
from services.core.partial_batch import partial_batch_response
from services.portal import requests
from services.portal.errors import NotFoundError
from services.portal.handler import closed_hours, portal_ports
from services.portal.statements import Generated, generate, months_ended, write_month

logger = Logger(service=STATEMENTS)  # its own: in the embedded mode the functions share a process


@logger.inject_lambda_context(log_event=False)
def statements_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Hour-closed events: each household whose month has ended gets that month's statement, once.
    A direct invocation `{"month": "YYYY-MM"}` (optionally with "household_id") writes that month's
    for every household (or that one), overwriting: the operator's re-run."""
    with invocation_metrics(STATEMENTS) as metrics:
        if "Records" not in event:
            rerun = _rerun(event)
            metrics.add("StatementsWritten", rerun["written"])
            return rerun
        answer, written = _statements_of_ended_months(event, context)
        metrics.add("StatementsWritten", written)
        return answer


def _statements_of_ended_months(event: dict[str, Any], context: LambdaContext) -> tuple[dict[str, Any], int]:
    """The partial batch response, and how many statements were written."""
    closed, sequence_of = closed_hours(event["Records"])
    ports, failed, written = portal_ports(), set(), 0
    for household_id, month in months_ended(closed):
        try:
            if not ports.statements.exists(household_id, str(month)):
                _log(generate(ports, household_id, month))
                written += 1
        except NotFoundError as exc:
            logger.info("no statement: %s", exc)
        except DependencyError as exc:
            logger.error("statement of %s for %s not stored; retried: %s", household_id, month, exc)
            failed |= set(sequence_of[household_id])
        except WattcastError as exc:  # what is stored cannot make one: retrying would not help
            logger.error("statement of %s for %s cannot be made: %s", household_id, month, exc)
    return partial_batch_response(event, failed, context), written


def _rerun(event: dict[str, Any]) -> dict[str, Any]:
    month = requests.month(str(event.get("month", "")))
    ids = [requests.household_id(str(event["household_id"]))] if "household_id" in event else None
    run = write_month(portal_ports(), month, ids)
    for generated in run.written:
        _log(generated)
    return {"month": str(month), "written": len(run.written), "nothing_stored": run.nothing_stored}


def _log(generated: Generated) -> None:
    logger.info(
        "statement stored",
        extra={
            "household_id": generated.household_id,
            "month": str(generated.month),
            "seconds": round(generated.seconds, 3),
        },
    )
