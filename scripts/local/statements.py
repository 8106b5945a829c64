"""Monthly statements from the laptop: generated with the statements function's own code against the
running local stack (when the environment points at no endpoint) or what the environment points at
(AWS with its credentials), stored in S3 where the API links them, and copied to a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scripts.local.stack_control import use_local_stack_unless_pointed
from services.core.errors import WattcastError
from services.portal import requests
from services.portal.handler import portal_ports
from services.portal.statements import write_month


class StatementCommandError(WattcastError):
    """No stack to read, or nothing stored for the household and month asked."""


@dataclass(frozen=True)
class StatementRequest:
    month: str
    household_id: str | None = None  # None: every household
    out: Path = Path("out/statements")


@dataclass(frozen=True)
class Written:
    household_id: str
    month: str
    pdf: Path
    html: Path
    seconds: float


def write_statements(request: StatementRequest) -> list[Written]:
    month = requests.month(request.month)
    use_local_stack_unless_pointed()
    ids = [requests.household_id(request.household_id)] if request.household_id else None
    run = write_month(portal_ports(), month, ids)
    if ids and run.nothing_stored:
        raise StatementCommandError(f"nothing is stored for household {ids[0]} in {month}")
    request.out.mkdir(parents=True, exist_ok=True)
    written = []
    for generated in run.written:
        stem = f"{generated.household_id}-{month}"
        pdf, html = request.out / f"{stem}.pdf", request.out / f"{stem}.html"
        pdf.write_bytes(generated.pdf)
        html.write_text(generated.html, encoding="utf-8")
        written.append(Written(generated.household_id, str(month), pdf, html, generated.seconds))
    return written
