"""Monthly statements from the laptop: generated with the statements function's own code against the
stack the environment points at (else the running local stack), stored in S3 where the API links
them, and copied to a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scripts.local.stack_control import read_state, stack_environment
from services.core.clients import reset_clients
from services.core.errors import WattcastError
from services.core.settings import Settings
from services.portal import requests
from services.portal.errors import NotFoundError
from services.portal.handler import portal_ports
from services.portal.statements import generate


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
    _use_local_stack_unless_pointed()
    ports = portal_ports()
    ids = [requests.household_id(request.household_id)] if request.household_id else None
    households = ids or sorted(ports.clocks.latest_readings())
    request.out.mkdir(parents=True, exist_ok=True)
    written = []
    for household_id in households:
        try:
            generated = generate(ports, household_id, month)
        except NotFoundError as exc:
            if ids:
                raise StatementCommandError(str(exc)) from exc
            continue
        stem = request.out / f"{household_id}-{month}"
        pdf, html = stem.with_suffix(".pdf"), stem.with_suffix(".html")
        pdf.write_bytes(generated.pdf)
        html.write_text(generated.html, encoding="utf-8")
        written.append(Written(household_id, str(month), pdf, html, generated.seconds))
    return written


def _use_local_stack_unless_pointed() -> None:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return
    state = read_state(Settings.from_env())
    if state is None:
        raise StatementCommandError(
            "no stack to read: start one (`wattcast stack up`) or point AWS_ENDPOINT_URL at one"
        )
    os.environ.update(stack_environment(state))
    reset_clients()
