"""Where a household's month stands: its energy so far and, from the newest projection, the projected
month in kWh and money with intervals. The summary, the month view and the budget alert read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.portal.bills import Interval, MonthBill, month_bill
from services.portal.energy import HourEnergy, days, epoch_hour, hourly_profile_kw, kwh_by_hour
from services.portal.household_settings import KWH, HouseholdSettings
from services.portal.requests import Month
from services.portal.tariffs import Tariff


@dataclass(frozen=True)
class MonthPosition:
    month: Month
    kwh_to_date: float  # every measured hour of the month so far
    projection: Mapping[str, Any] | None  # the newest stored projection of this month
    bill: MonthBill | None  # None without a projection carrying samples

    @property
    def as_of(self) -> str | None:
        return None if self.projection is None else str(self.projection["as_of"])

    def projected(self, unit: str) -> float | None:
        """The projected month's median, in kWh or in the tariff's currency."""
        if self.bill is None:
            return None
        return self.bill.projected_kwh.median if unit == KWH else self.bill.projected_cost.median


def month_position(
    month: Month, energy: Sequence[HourEnergy], projection: Mapping[str, Any] | None, tariff: Tariff
) -> MonthPosition:
    in_month = [h for h in energy if month.start <= h.hour < month.end]
    kwh = sum(d.kwh for d in days(in_month))
    bill = None
    if projection is not None and (projection.get("remaining_kwh_samples") or _remaining(projection)):
        bill = _bill(month, in_month, projection, tariff)
    return MonthPosition(month, round(kwh, 4), projection, bill)


def _bill(
    month: Month, hours: Sequence[HourEnergy], projection: Mapping[str, Any], tariff: Tariff
) -> MonthBill:
    as_of = date.fromisoformat(str(projection["as_of"]))
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    before = [h for h in hours if h.hour < start]
    return month_bill(
        tariff,
        days_in_month=month.days,
        kwh_by_hour=kwh_by_hour(before),
        remaining_kwh_samples=projection.get("remaining_kwh_samples") or None,
        remaining_kwh=_remaining(projection),
        remaining_first_hour=epoch_hour(start),
        remaining_hours=int((month.end - start).total_seconds()) // 3600,
        profile_kw=hourly_profile_kw(hours),
        interval_width=float(projection.get("interval_width", 0.8)),
    )


def _remaining(projection: Mapping[str, Any]) -> Interval | None:
    """The rest of the month's interval from a projection stored without its samples (before they
    were stored): its month totals less the measured days it was given."""
    keys = (
        "projected_month_kwh",
        "projected_month_kwh_lower",
        "projected_month_kwh_upper",
        "actual_to_date_kwh",
    )
    if not all(isinstance(projection.get(k), int | float) for k in keys):
        return None
    measured = float(projection["actual_to_date_kwh"])
    median, lower, upper = (max(float(projection[k]) - measured, 0.0) for k in keys[:3])
    return Interval(median, lower, upper)


def budget_status(settings: HouseholdSettings, position: MonthPosition) -> dict[str, Any]:
    budget = settings.budget
    if budget is None:
        return {"status": "no_budget", "budget": None}
    projected = position.projected(budget.unit)
    body: dict[str, Any] = {"budget": {"amount": budget.amount, "unit": budget.unit}}
    if projected is None:
        return body | {"status": "no_projection"}
    share = projected / budget.amount
    crossed = [t for t in settings.budget_thresholds if share >= t]
    status = "over_budget" if share >= 1 else ("over_threshold" if crossed else "within")
    return body | {
        "status": status,
        "projected": round(projected, 4),
        "share": round(share, 4),
        "thresholds_crossed": crossed,
    }
