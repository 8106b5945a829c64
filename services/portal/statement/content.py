"""What a household's monthly statement says, from the household API's month answer and the month's
stored projections: the API's own figures (so a statement never disagrees with the API), arranged for
reading, and, once the month is over, how well each projection of it did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.portal import requests
from services.portal.errors import NotFoundError
from services.portal.requests import HOUR

MEASURED = ("actual", "partial")
REVIEW_DAYS = (8, 15, 22)  # besides the first and the last projection
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SUB_METER_LABELS = {
    "kitchen": "Kitchen",
    "laundry": "Laundry",
    "water_heater_and_air_conditioning": "Water heater and air conditioning",
    "rest": "Rest of the house",
}
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


class NoMeasuredDayError(NotFoundError):
    """The month answer holds no measured day: there is nothing to state."""


@dataclass(frozen=True)
class Band:
    name: str
    kwh: float
    cost: float


@dataclass(frozen=True)
class DayBar:
    day: date
    kwh: float
    status: str  # actual, partial or projected
    lower: float | None = None  # a projected day's interval
    upper: float | None = None


@dataclass(frozen=True)
class SubMeter:
    name: str
    label: str
    kwh: float


@dataclass(frozen=True)
class Comparison:
    month: str
    kwh: float
    days_measured: int
    days_in_month: int
    change_kwh: float  # this month's total less the previous one's
    change_pct: float | None  # None when the previous month used nothing

    @property
    def kwh_per_day(self) -> float | None:
        return self.kwh / self.days_measured if self.days_measured else None


@dataclass(frozen=True)
class ProjectionCheck:
    as_of: date  # the first day the projection forecast
    median_kwh: float
    lower_kwh: float
    upper_kwh: float
    error_pct: float | None  # (median - actual) / actual, None when the actual is 0
    inside: bool  # the actual fell in [lower, upper]
    model: str


@dataclass(frozen=True)
class Projected:
    """The newest projection of a month in progress, as the API prices it."""

    as_of: date
    kwh: tuple[float, float, float]  # median, lower, upper
    cost: tuple[float, float, float]


@dataclass(frozen=True)
class Statement:
    household_id: str
    month: str  # YYYY-MM
    complete: bool  # False: a month to date, its remaining days projected
    total_kwh: float  # the API's total.to_date_kwh
    bands: tuple[Band, ...]
    standing_charge: float  # the whole month's
    currency: str
    tariff_id: str
    tariff_option: str
    days: tuple[DayBar, ...]
    sub_meters: tuple[SubMeter, ...]
    sub_meter_hours: int
    previous_month: Comparison | None
    projected: Projected | None
    review: tuple[ProjectionCheck, ...]
    projections_stored: int
    notes: tuple[str, ...]

    @property
    def energy_cost(self) -> float:
        return round(sum(b.cost for b in self.bands), 4)

    @property
    def total_cost(self) -> float:
        return round(self.energy_cost + self.standing_charge, 4)

    @property
    def month_name(self) -> str:
        return month_name(self.month)

    @property
    def period(self) -> str:
        return "whole month" if self.complete else "month to date"

    @property
    def days_measured(self) -> int:
        return sum(d.status in MEASURED for d in self.days)

    @property
    def sub_meters_kwh(self) -> float:
        return sum(s.kwh for s in self.sub_meters)


def statement_of(month_answer: Mapping[str, Any], projections: Sequence[Mapping[str, Any]]) -> Statement:
    """`month_answer`: what `views.month` answers; `projections`: the month's stored projections
    (`Forecasts.projections`), oldest first."""
    month = str(month_answer["month"])
    total_kwh = float(month_answer["total"]["to_date_kwh"])
    days, complete = _days(month, month_answer["days"])
    if not any(d.status in MEASURED for d in days) and total_kwh <= 0:
        raise NoMeasuredDayError(
            f"no day of {month} is measured for household {month_answer['household_id']}"
        )
    cost = month_answer["cost"]
    bands = tuple(
        Band(name, float(b["kwh_to_date"]), float(b["cost_to_date"])) for name, b in cost["by_band"].items()
    )
    previous = month_answer["comparisons"]["previous_month"]
    comparison = _comparison(previous, total_kwh) if previous else None
    review = _review(projections, total_kwh) if complete else ()
    statement = Statement(
        household_id=str(month_answer["household_id"]),
        month=month,
        complete=complete,
        total_kwh=total_kwh,
        bands=bands,
        standing_charge=float(cost["standing_charge"]),
        currency=str(cost["currency"]),
        tariff_id=str(cost["tariff"]["id"]),
        tariff_option=str(cost["tariff"]["option"]),
        days=days,
        sub_meters=_sub_meters(month_answer["sub_meters_kwh"]),
        sub_meter_hours=int(month_answer["sub_meters_kwh"]["hours"]),
        previous_month=comparison,
        projected=None if complete else _projected(month_answer["total"]),
        review=review,
        projections_stored=len(projections),
        notes=(),
    )
    return _with_notes(statement, previous)


def _days(month: str, listed: Sequence[Mapping[str, Any]]) -> tuple[tuple[DayBar, ...], bool]:
    """The daily bars, and whether the month is over (its last day measured whole)."""
    bars = tuple(sorted((_bar(d) for d in listed), key=lambda b: b.day))
    last_day = (requests.month(month).end - HOUR).date()
    return bars, any(b.day == last_day and b.status == "actual" for b in bars)


def _bar(day: Mapping[str, Any]) -> DayBar:
    lower, upper = day.get("kwh_lower"), day.get("kwh_upper")
    return DayBar(
        day=date.fromisoformat(str(day["date"])),
        kwh=float(day["kwh"]),
        status=str(day["status"]),
        lower=None if lower is None else float(lower),
        upper=None if upper is None else float(upper),
    )


def _comparison(previous: Mapping[str, Any], total_kwh: float) -> Comparison:
    kwh = float(previous["kwh"])
    change = round(total_kwh - kwh, 4)
    return Comparison(
        month=str(previous["month"]),
        kwh=kwh,
        days_measured=int(previous["days_measured"]),
        days_in_month=int(previous["days_in_month"]),
        change_kwh=change,
        change_pct=change / kwh * 100 if kwh else None,
    )


def _sub_meters(breakdown: Mapping[str, Any]) -> tuple[SubMeter, ...]:
    return tuple(SubMeter(name, label, float(breakdown[name])) for name, label in SUB_METER_LABELS.items())


def _projected(total: Mapping[str, Any]) -> Projected | None:
    kwh, cost = total.get("projected_kwh"), total.get("projected_cost")
    if not kwh or not cost:
        return None
    return Projected(
        as_of=date.fromisoformat(str(total["projection_as_of"])),
        kwh=(float(kwh["median"]), float(kwh["lower"]), float(kwh["upper"])),
        cost=(float(cost["median"]), float(cost["lower"]), float(cost["upper"])),
    )


def chosen_projections(projections: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """At most five, spread over the month: the first, those nearest days 8, 15 and 22, the last."""
    usable = sorted((p for p in projections if _usable(p)), key=lambda p: str(p["as_of"]))
    if not usable:
        return []
    first = date.fromisoformat(str(usable[0]["as_of"]))
    targets = [first, *(first.replace(day=d) for d in REVIEW_DAYS)]
    chosen = [min(usable, key=lambda p: abs((date.fromisoformat(str(p["as_of"])) - t).days)) for t in targets]
    chosen.append(usable[-1])
    unique = {str(p["as_of"]): p for p in chosen}
    return [unique[key] for key in sorted(unique)]


def _usable(projection: Mapping[str, Any]) -> bool:
    keys = ("projected_month_kwh", "projected_month_kwh_lower", "projected_month_kwh_upper")
    return "as_of" in projection and all(isinstance(projection.get(k), int | float) for k in keys)


def _review(projections: Sequence[Mapping[str, Any]], actual_kwh: float) -> tuple[ProjectionCheck, ...]:
    return tuple(_check(p, actual_kwh) for p in chosen_projections(projections))


def _check(projection: Mapping[str, Any], actual_kwh: float) -> ProjectionCheck:
    median = float(projection["projected_month_kwh"])
    lower = float(projection["projected_month_kwh_lower"])
    upper = float(projection["projected_month_kwh_upper"])
    return ProjectionCheck(
        as_of=date.fromisoformat(str(projection["as_of"])),
        median_kwh=median,
        lower_kwh=lower,
        upper_kwh=upper,
        error_pct=(median - actual_kwh) / actual_kwh * 100 if actual_kwh else None,
        inside=lower <= actual_kwh <= upper,
        model=str(projection.get("model", "")),
    )


def _with_notes(statement: Statement, previous: Mapping[str, Any] | None) -> Statement:
    notes = []
    if not statement.complete:
        notes.append(
            "Month to date: the month is not over; days marked projected are forecasts, not measurements."
        )
    if previous is None:
        preceding = str(requests.month(statement.month).preceding)
        notes.append(f"No day of {month_name(preceding)} is measured: there is no comparison.")
    if statement.complete and not statement.review:
        notes.append("No projection of this month was stored: there is nothing to review.")
    if not statement.complete:
        notes.append("The projection review comes with the statement of the whole month.")
    return replace(statement, notes=tuple(notes))


def month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def long_date(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def kwh(value: float) -> str:
    return f"{value:,.2f} kWh"


def money(value: float, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def signed_kwh(value: float) -> str:
    return f"{value:+,.2f} kWh"


def band_label(name: str) -> str:
    return name.replace("_", "-").capitalize()
