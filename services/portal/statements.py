"""Monthly statements: generated from the API's own month answer (so their totals are the API's),
stored beside the household's other documents, and triggered when a household's month closes."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.portal import views
from services.portal.requests import HOUR, Month
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


def months_closed(closed_hours: Iterable[tuple[str, datetime]]) -> list[tuple[str, Month]]:
    """The (household, month) whose last hour is among the closed hours: that month has ended."""
    ended = {
        (household_id, Month.of(hour))
        for household_id, hour in closed_hours
        if Month.of(hour + HOUR) != Month.of(hour)
    }
    return sorted(ended, key=lambda pair: (pair[0], str(pair[1])))
