"""The alert machines, pure: from evidence to the alerts to raise and the ones to resolve.

- budget: the projected month crosses a threshold of the budget. One alert per month per threshold
  per crossing: the threshold disarms when crossed and re-arms when the projection falls back
  below it, so the next crossing is a new alert. Projections older than the last one applied are
  ignored (a redelivered or late event changes nothing).
- unusual use: the last K closed hours each used more than the bound (the forecast issued for that
  hour, plus a margin). One alert per run, keyed by the run's first hour; it resolves once an hour
  comes in under the bound.
- silent meter: a household's newest reading is more than N hours behind the fleet's. One alert per
  silence, keyed by its last reading; it resolves when readings come again.

Keys are derived from the evidence, so evaluating the same evidence twice raises nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.core.reading import format_ts
from services.portal.household_settings import Budget, UnusualUse

BUDGET, UNUSUAL_USE, SILENT_METER = "budget", "unusual_use", "silent_meter"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Raise:
    key: str
    kind: str
    raised_for: str
    message: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    raised: list[Raise] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # keys
    state: dict[str, Any] | None = None  # the new state document, when it changed


# Budget ------------------------------------------------------------------------------------------


def budget_state_name(month: str) -> str:
    return f"{BUDGET}#{month}"


def budget_step(
    state: Mapping[str, Any] | None,
    *,
    month: str,
    as_of: str,
    projected: float,
    budget: Budget,
    thresholds: Sequence[float],
) -> Outcome:
    """`projected`: the projected month's median in the budget's unit. `state` is this month's."""
    state = dict(state or {"as_of": "", "thresholds": {}})
    if as_of < state["as_of"]:
        return Outcome()
    marks: dict[str, dict[str, Any]] = {k: dict(v) for k, v in state["thresholds"].items()}
    raised, resolved = [], []
    for fraction in thresholds:
        name = f"{fraction:g}"
        mark = marks.setdefault(name, {"armed": True, "crossings": 0})
        limit = fraction * budget.amount
        if mark["armed"] and projected >= limit:
            mark["armed"], mark["crossings"] = False, mark["crossings"] + 1
            raised.append(
                _budget_alert(
                    month,
                    name,
                    mark["crossings"],
                    as_of=as_of,
                    projected=projected,
                    limit=limit,
                    budget=budget,
                )
            )
        elif not mark["armed"] and projected < limit:
            mark["armed"] = True
            resolved.append(f"{BUDGET}#{month}#{name}#{mark['crossings']}")
    new_state = {"as_of": as_of, "thresholds": marks}
    return Outcome(raised, resolved, new_state if new_state != state else None)


def _budget_alert(
    month: str, name: str, crossing: int, *, as_of: str, projected: float, limit: float, budget: Budget
) -> Raise:
    share = f"{float(name):.0%}"
    return Raise(
        key=f"{BUDGET}#{month}#{name}#{crossing}",
        kind=BUDGET,
        raised_for=as_of,
        message=(
            f"{month} is projected at {projected:,.2f} {budget.unit}, {share} of the "
            f"{budget.amount:,.2f} {budget.unit} budget or more"
        ),
        details={
            "month": month,
            "threshold": float(name),
            "limit": round(limit, 4),
            "projected": round(projected, 4),
            "unit": budget.unit,
        },
    )


# Unusual use -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HourUse:
    hour: datetime
    kwh: float
    bound_kwh: float | None  # None: no forecast was issued for this hour


def unusual_use_step(hours: Sequence[HourUse], rule: UnusualUse, open_keys: Sequence[str]) -> Outcome:
    """`hours`: the household's newest closed hours, oldest first, ending at the hour just closed."""
    if not hours:
        return Outcome()
    run: list[HourUse] = []
    for use in reversed(hours):
        expected = use.hour if not run else run[-1].hour - HOUR
        if use.hour != expected or not _above(use, rule):
            break
        run.append(use)
    newest = hours[-1]
    if not run:
        mine = [k for k in open_keys if k.startswith(UNUSUAL_USE + "#")]
        return Outcome(resolved=[k for k in mine if k < f"{UNUSUAL_USE}#{format_ts(newest.hour)}"])
    if len(run) < rule.hours:
        return Outcome()
    first = run[-1]
    return Outcome(
        raised=[
            Raise(
                key=f"{UNUSUAL_USE}#{format_ts(first.hour)}",
                kind=UNUSUAL_USE,
                raised_for=format_ts(newest.hour),
                message=(
                    f"use has been above the forecast's {rule.bound} for {len(run)} hours in a row "
                    f"since {format_ts(first.hour)}: is something left on?"
                ),
                details={
                    "first_hour": format_ts(first.hour),
                    "hours": len(run),
                    "bound": rule.bound,
                    "margin_kw": rule.margin_kw,
                    "kwh_above_bound": round(sum(u.kwh - (u.bound_kwh or 0.0) for u in run), 4),
                },
            )
        ]
    )


def _above(use: HourUse, rule: UnusualUse) -> bool:
    return use.bound_kwh is not None and use.kwh > use.bound_kwh + rule.margin_kw


# Silent meter ------------------------------------------------------------------------------------


def silent_meter_step(
    latest: datetime, fleet_latest: datetime, silent_hours: int, open_keys: Sequence[str]
) -> Outcome:
    key = f"{SILENT_METER}#{format_ts(latest)}"
    older = [k for k in open_keys if k.startswith(SILENT_METER + "#") and k != key]
    gap = fleet_latest - latest
    if gap <= timedelta(hours=silent_hours):
        return Outcome(resolved=[k for k in open_keys if k.startswith(SILENT_METER + "#")])
    if key in open_keys:
        return Outcome(resolved=older)
    return Outcome(
        raised=[
            Raise(
                key=key,
                kind=SILENT_METER,
                raised_for=format_ts(fleet_latest),
                message=f"no readings since {format_ts(latest)}, {gap / HOUR:.0f} hours ago",
                details={"last_reading": format_ts(latest), "silent_hours": round(gap / HOUR, 2)},
            )
        ],
        resolved=older,
    )
