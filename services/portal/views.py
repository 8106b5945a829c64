"""The API's answers, built from the ports: pure assembly, no HTTP. Each raises NotFoundError when
nothing is stored for what was asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.core.days import DayRollup
from services.core.features import TARGET
from services.core.hourly import HourlyRow
from services.core.reading import MEASURES, format_ts
from services.portal import household_settings
from services.portal.bills import Interval, MonthBill
from services.portal.energy import (
    HourEnergy,
    days,
    hour_energy,
    kwh_by_hour,
    rollup_energy,
    sub_meter_breakdown,
)
from services.portal.errors import NotFoundError
from services.portal.household_settings import HouseholdSettings
from services.portal.month_position import MonthPosition, budget_status, month_position
from services.portal.ports import (
    AlertStore,
    Clocks,
    DriftMarks,
    Forecasts,
    Hours,
    PipelineHealth,
    SettingsStore,
    StatementStore,
)
from services.portal.requests import HOUR, Month
from services.portal.tariffs import Tariff

RECENT_HOURS = 48  # the newest hours the summary reads: a day without its rollup yet, and more


@dataclass(frozen=True)
class PortalPorts:
    hours: Hours
    forecasts: Forecasts
    settings: SettingsStore
    alerts: AlertStore
    clocks: Clocks
    pipeline: PipelineHealth
    statements: StatementStore
    drift: DriftMarks


def settings_of(ports: PortalPorts, household_id: str) -> HouseholdSettings:
    return household_settings.from_stored(ports.settings.get(household_id))


def recent_closed_hours(ports: PortalPorts, household_id: str) -> list[HourlyRow]:
    """The newest closed hours stored (newest first, up to RECENT_HOURS): enough to cover a day
    without a rollup, so the summary reads the hourly table once."""
    _, open_hours = ports.clocks.household(household_id)
    newest = ports.hours.newest(household_id, RECENT_HOURS + len(open_hours))
    return [r for r in newest if r.hour not in open_hours]


def newest_hours(ports: PortalPorts, household_id: str) -> tuple[HourlyRow, list[HourlyRow]]:
    """The last closed hour and the newest closed hours; NotFoundError when there is none."""
    closed = recent_closed_hours(ports, household_id)
    if not closed:
        raise NotFoundError(f"no closed hour is stored for household {household_id}")
    return closed[0], closed


@dataclass(frozen=True)
class MonthEnergy:
    hours: list[HourEnergy]  # every measured hour, from rollups and from the hourly table
    rollups: list[DayRollup]
    rows: list[HourEnergy]  # the hours read one by one (days without a rollup yet)


def month_energy(
    ports: PortalPorts, household_id: str, month: Month, until: datetime, recent: Sequence[HourlyRow] = ()
) -> MonthEnergy:
    """The month's hours up to `until`: closed days from their rollups (one item a day), the days
    without one (today, or a day whose rollup is missing) from `recent` when it reaches back far
    enough, else from the hourly table in one query."""
    last = min(until, month.end - HOUR)
    if last < month.start:
        return MonthEnergy([], [], [])
    rollups = ports.forecasts.days(household_id, month.start.date(), last.date())
    day = month.start.date()
    while day <= last.date() and day in rollups:
        day += timedelta(days=1)
    rows: list[HourEnergy] = []
    if day <= last.date():
        uncovered = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if recent and min(r.hour for r in recent) <= uncovered:
            read = hour_energy(r for r in recent if uncovered <= r.hour <= last)
        else:
            read = hour_energy(ports.hours.rows(household_id, uncovered, last))
        rows = [h for h in read if h.hour.date() not in rollups]
    kept = [r for d, r in sorted(rollups.items()) if d <= last.date()]
    hours = sorted([*(h for r in kept for h in rollup_energy(r)), *rows], key=lambda h: h.hour)
    return MonthEnergy(hours, kept, rows)


def closed_only(energy: MonthEnergy, open_hours: frozenset[datetime]) -> MonthEnergy:
    """Without the hours still open (partial, still filling): the summary counts closed hours only."""
    if not open_hours:
        return energy
    return MonthEnergy(
        [h for h in energy.hours if h.hour not in open_hours],
        energy.rollups,
        [h for h in energy.rows if h.hour not in open_hours],
    )


def current_position(
    ports: PortalPorts, household_id: str, settings: HouseholdSettings
) -> tuple[HourlyRow, MonthPosition]:
    """The last closed hour, and its month's position."""
    last, recent = newest_hours(ports, household_id)
    month = Month.of(last.hour)
    energy = month_energy(ports, household_id, month, last.hour, recent).hours
    projection = ports.forecasts.latest_projection(household_id, str(month))
    return last, month_position(month, energy, projection, settings.load_tariff())


def summary(ports: PortalPorts, household_id: str) -> dict[str, Any]:
    settings = settings_of(ports, household_id)
    last, position = current_position(ports, household_id, settings)
    return {
        "household_id": household_id,
        "last_hour": {
            "hour": format_ts(last.hour),
            "kw": _round(last.means[TARGET]),
            "minutes": last.minutes,
        },
        "next_24_hours": _next_hours(ports.forecasts.latest_hours(household_id)),
        "month": _month_block(position),
        "budget": budget_status(settings, position),
        "open_alerts": [a.as_json() for a in ports.alerts.alerts(household_id, open_only=True)],
    }


def _next_hours(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    first = datetime.fromisoformat(str(item["issued_for"]).replace("Z", "+00:00"))
    hours = []
    for lead, kw in enumerate(item["kw"]):
        entry: dict[str, Any] = {"hour": format_ts(first + lead * HOUR), "kw": kw}
        for quantile in ("p10", "p90"):
            if f"kw_{quantile}" in item:
                entry[f"kw_{quantile}"] = item[f"kw_{quantile}"][lead]
        hours.append(entry)
    return {"origin": item["origin"], "model": item["model"], "hours": hours}


def _month_block(position: MonthPosition) -> dict[str, Any]:
    bill = position.bill
    return {
        "month": str(position.month),
        "to_date_kwh": position.kwh_to_date,
        "projection_as_of": position.as_of,
        "projected_kwh": _interval(bill.projected_kwh) if bill else None,
        "projected_cost": _interval(bill.projected_cost) | {"currency": bill.currency} if bill else None,
    }


def _interval(interval: Interval) -> dict[str, float]:
    return {"median": interval.median, "lower": interval.lower, "upper": interval.upper}


def hours(ports: PortalPorts, household_id: str, first: datetime, end: datetime) -> dict[str, Any]:
    last = end - HOUR
    rows = ports.hours.rows(household_id, first, last)
    issued = ports.forecasts.hours_issued(household_id, first, last)
    return {
        "household_id": household_id,
        "from": format_ts(first),
        "to": format_ts(end),
        "hours": [_hour(row, issued.get(format_ts(row.hour))) for row in rows],
    }


def _hour(row: HourlyRow, forecast: Mapping[str, Any] | None) -> dict[str, Any]:
    power = row.means.get(TARGET)
    return {
        "hour": format_ts(row.hour),
        "kwh": _round(power),
        "minutes": row.minutes,
        "means": {m: _round(row.means.get(m)) for m in MEASURES},
        "forecast": None
        if forecast is None
        else {
            "kw": forecast["kw"][0],
            **{f"kw_{q}": forecast[f"kw_{q}"][0] for q in ("p10", "p90") if f"kw_{q}" in forecast},
            "origin": forecast["origin"],
            "model": forecast["model"],
        },
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def month(ports: PortalPorts, household_id: str, wanted: Month) -> dict[str, Any]:
    settings = settings_of(ports, household_id)
    tariff = settings.load_tariff()
    latest, open_hours = ports.clocks.household(household_id)
    stored = closed_only(month_energy(ports, household_id, wanted, wanted.end - HOUR), open_hours)
    energy = stored.hours
    projection = ports.forecasts.latest_projection(household_id, str(wanted))
    if not energy and projection is None:
        raise NotFoundError(f"nothing is stored for household {household_id} in {wanted}")
    position = month_position(wanted, energy, projection, tariff)
    by_band = _cost_by_band(position.bill, kwh_by_hour(energy), tariff)
    return {
        "household_id": household_id,
        "month": str(wanted),
        "days": _days(energy, projection, latest),
        "total": _month_block(position),
        "cost": {
            "currency": tariff.currency,
            "tariff": {"id": tariff.tariff_id, "option": tariff.option},
            "standing_charge": round(tariff.standing_charge(wanted.days), 4),
            "by_band": by_band,
        },
        "sub_meters_kwh": sub_meter_breakdown(stored.rows, stored.rollups),
        "comparisons": {
            "previous_month": _month_total(ports, household_id, wanted.preceding),
            "same_month_last_year": _month_total(ports, household_id, wanted.years_before(1)),
        },
    }


def _days(
    energy: Sequence[HourEnergy], projection: Mapping[str, Any] | None, latest: datetime | None
) -> list[dict[str, Any]]:
    as_of = date.fromisoformat(str(projection["as_of"])) if projection else None
    out: dict[str, dict[str, Any]] = {}
    for day in days(energy):
        # From the projection's first day on, a day shows its projection until the household's
        # readings have passed its end; then it is measured, whatever the projection said.
        over = latest is not None and latest.date() > day.day
        if as_of is None or day.day < as_of or over:
            status = "actual" if day.complete else "partial"
            out[day.day.isoformat()] = {
                "date": day.day.isoformat(),
                "kwh": round(day.kwh, 4),
                "status": status,
            }
    for row in projection["forecast"] if projection else []:
        out.setdefault(
            row["date"],
            {
                "date": row["date"],
                "kwh": row["kwh"],
                "status": "projected",
                "kwh_lower": row["kwh_lower"],
                "kwh_upper": row["kwh_upper"],
            },
        )
    return [out[key] for key in sorted(out)]


def _cost_by_band(bill: MonthBill | None, hourly: Mapping[int, float], tariff: Tariff) -> dict[str, Any]:
    """Each band's kWh and cost over every measured hour and, with a projection, over the whole month
    (median). The projection's own to-date part stops at its as_of; the measured hours do not."""
    to_date = tariff.kwh_by_band(hourly)
    cost = tariff.energy_cost(to_date)
    bands: dict[str, Any] = {}
    for band, kwh in to_date.items():
        bands[band] = {"kwh_to_date": round(kwh, 4), "cost_to_date": round(cost[band], 4)}
        if bill is not None:
            projected = bill.projected_kwh_by_band[band]
            bands[band] |= {
                "projected_kwh": round(projected, 4),
                "projected_cost": round(tariff.energy_cost({band: projected})[band], 4),
            }
    return bands


def _month_total(ports: PortalPorts, household_id: str, wanted: Month) -> dict[str, Any] | None:
    measured = days(month_energy(ports, household_id, wanted, wanted.end - HOUR).hours)
    if not measured:
        return None
    return {
        "month": str(wanted),
        "kwh": round(sum(d.kwh for d in measured), 4),
        "days_measured": len(measured),
        "days_in_month": wanted.days,
    }


def statement_links(ports: PortalPorts, household_id: str, wanted: Month, expires_in: int) -> dict[str, Any]:
    stored = ports.statements.links(household_id, str(wanted), expires_in)
    if stored is None:
        raise NotFoundError(f"no statement of household {household_id} for {wanted} has been generated")
    return {
        "household_id": household_id,
        "month": str(wanted),
        "html_url": stored.html_url,
        "pdf_url": stored.pdf_url,
        "expires_in_seconds": expires_in,
        "generated_at": format_ts(stored.generated_at),
    }
