"""The operator's view: every household's freshness, open alerts and forecast error, and the
pipeline's health. Pure assembly over the ports; the households of a page are read concurrently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.core.features import TARGET
from services.core.hourly import HourlyRow
from services.core.reading import format_ts
from services.core.settings import Settings
from services.portal.views import PortalPorts, recent_closed_hours

READERS = 8  # households read at once: each is five small reads (clock, hours, forecasts, alerts, drift)


@dataclass(frozen=True)
class ForecastError:
    hours: int
    mae_kw: float
    wape: float | None  # None when the hours used no energy

    def as_json(self) -> dict[str, Any]:
        return {"hours": self.hours, "mae_kw": round(self.mae_kw, 4), "wape": _round(self.wape)}


def forecast_error(
    rows: Sequence[HourlyRow], issued: Mapping[str, Mapping[str, Any]]
) -> ForecastError | None:
    """The next-hour forecast (each item's first lead) against the hour's actual mean kW."""
    pairs = [
        (actual, forecast)
        for row in rows
        if (actual := row.means.get(TARGET)) is not None
        and (forecast := _next_hour(issued.get(format_ts(row.hour)))) is not None
    ]
    if not pairs:
        return None
    errors = sum(abs(actual - forecast) for actual, forecast in pairs)
    total = sum(actual for actual, _ in pairs)
    return ForecastError(len(pairs), errors / len(pairs), errors / total if total > 0 else None)


def fleet_page(ports: PortalPorts, limit: int, after: str | None) -> dict[str, Any]:
    clocks = ports.clocks.latest_readings()
    fleet_clock = max(clocks.values(), default=None)
    ids = sorted(h for h in clocks if after is None or h > after)
    page, more = ids[:limit], len(ids) > limit
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        rows = list(pool.map(lambda h: _household(ports, h, clocks[h], fleet_clock), page))
    return {
        "fleet_clock": format_ts(fleet_clock) if fleet_clock else None,
        "households": rows,
        "next": page[-1] if more else None,
    }


def _household(
    ports: PortalPorts, household_id: str, seen: datetime, fleet_clock: datetime | None
) -> dict[str, Any]:
    alerts = ports.alerts.alerts(household_id, open_only=True)
    return {
        "household_id": household_id,
        "last_seen": format_ts(seen),
        "silent_hours": round((fleet_clock - seen) / timedelta(hours=1), 2) if fleet_clock else None,
        "open_alerts": [{"kind": a.kind, "key": a.key} for a in alerts],
        "forecast_error": _error_of(ports, household_id),
        "drift": _drift(ports.drift.mark(household_id)),
    }


def _drift(mark: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Production scoring's verdict: drifting when its error stayed above a multiple of the model's
    test error for days on end."""
    if mark is None:
        return None
    return {"status": mark.get("status"), "since": mark.get("since"), "ratio": mark.get("ratio")}


def _next_hour(item: Mapping[str, Any] | None) -> float | None:
    """A forecast item's first lead; None for an item without one (it cannot be scored)."""
    kw = None if item is None else item.get("kw")
    return float(kw[0]) if isinstance(kw, list) and kw and isinstance(kw[0], int | float) else None


def _error_of(ports: PortalPorts, household_id: str) -> dict[str, Any] | None:
    """Over the newest closed hours the summary reads (48)."""
    recent = recent_closed_hours(ports, household_id)
    if not recent:
        return None
    issued = ports.forecasts.hours_issued(household_id, recent[-1].hour, recent[0].hour)
    error = forecast_error(recent, issued)
    return error.as_json() if error else None


def pipeline(ports: PortalPorts, settings: Settings, now: datetime) -> dict[str, Any]:
    since = now - timedelta(minutes=settings.pipeline_window_minutes)
    functions = (
        settings.ingest_function,
        settings.preprocess_function,
        settings.alerts_function,
        settings.statements_function,
    )
    queues = ((settings.dead_letter_queue, "bad_records"), (settings.stream_failures_queue, "failed_batches"))
    return {
        "as_of": format_ts(now),
        "window_minutes": settings.pipeline_window_minutes,
        "mappings": [
            {"function": f, "iterator_age_ms": ports.pipeline.iterator_age_ms(f, since, now)}
            for f in functions
        ],
        "dead_letters": [
            {"name": name, "holds": holds, "messages": ports.pipeline.queue_messages(name)}
            for name, holds in queues
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
