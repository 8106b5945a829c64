"""Monthly statements: generated from the API's own month answer (so their totals are the API's),
stored beside the household's other documents, and triggered when a household's month closes."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.portal import views
from services.portal.errors import NotFoundError
from services.portal.requests import Month
from services.portal.statement import render_html, render_pdf, statement_of
from services.portal.views import PortalPorts


@dataclass(frozen=True)
class Generated:
    household_id: str
    month: Month
    html: str
    pdf: bytes
    seconds: float


def generate(ports: PortalPorts, household_id: str, month: Month, *, store: bool = True) -> Generated:
    """One household's statement of `month`; NotFoundError when nothing of it is stored."""
    started = time.perf_counter()
    answer = views.month(ports, household_id, month)
    statement = statement_of(answer, ports.forecasts.projections(household_id, str(month)))
    html, pdf = render_html(statement), render_pdf(statement)
    if store:
        ports.statements.put(household_id, str(month), html, pdf)
    return Generated(household_id, month, html, pdf, time.perf_counter() - started)


def months_ended(closed_hours: Iterable[tuple[str, datetime]]) -> list[tuple[str, Month]]:
    """A household's hour closed on the 1st of a month (UTC) says its preceding month has ended: its
    last hour is closed too, whether or not it had readings."""
    ended = {(household_id, Month.of(hour).preceding) for household_id, hour in closed_hours if hour.day == 1}
    return sorted(ended, key=lambda pair: (pair[0], str(pair[1])))


@dataclass(frozen=True)
class MonthRun:
    written: list[Generated]
    nothing_stored: list[str]  # households with nothing of the month: no statement


def write_month(ports: PortalPorts, month: Month, household_ids: Sequence[str] | None = None) -> MonthRun:
    """The month's statement of each household named (default: every household the fleet knows)."""
    ids = list(household_ids) if household_ids else sorted(ports.clocks.latest_readings())
    written, missing = [], []
    for household_id in ids:
        try:
            written.append(generate(ports, household_id, month))
        except NotFoundError:
            missing.append(household_id)
    return MonthRun(written, missing)
