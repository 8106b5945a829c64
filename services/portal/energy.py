"""A household's stored hours in kWh: per hour, per day, by sub-meter, and its profile by hour of day.

An hour's energy is its mean active power times one hour (missing minutes take the hour's mean). A
day's is the shared definition (`features.daily_energy_kwh`, which the month projection reads): a day
with at least MIN_HOURS_PER_DAY measured hours counts its mean times 24; one with fewer is partial and
counts what was measured. Sub-meters are Wh per minute in the reading contract: an hour's mean times 60.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.core.days import SUB_METERS, DayRollup
from services.core.features import MIN_HOURS_PER_DAY, TARGET
from services.core.hourly import HourlyRow

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class HourEnergy:
    hour: datetime
    kwh: float
    sub_meters_kwh: dict[str, float | None]  # empty for an hour read from a day's rollup


@dataclass(frozen=True)
class DayEnergy:
    day: date
    kwh: float
    measured_hours: int

    @property
    def complete(self) -> bool:
        return self.measured_hours >= MIN_HOURS_PER_DAY


def epoch_hour(instant: datetime) -> int:
    return int(instant.timestamp()) // SECONDS_PER_HOUR


def hour_energy(rows: Iterable[HourlyRow]) -> list[HourEnergy]:
    """The measured hours (those with an active-power mean), oldest first."""
    out = []
    for row in sorted(rows, key=lambda r: r.hour):
        power = row.means.get(TARGET)
        if power is None:
            continue
        subs = {
            name: None if row.means.get(measure) is None else row.means[measure] * 60 / 1000  # type: ignore[operator]
            for name, measure in SUB_METERS.items()
        }
        out.append(HourEnergy(row.hour, power, subs))
    return out


def rollup_energy(rollup: DayRollup) -> list[HourEnergy]:
    start = datetime(rollup.day.year, rollup.day.month, rollup.day.day, tzinfo=UTC)
    return [
        HourEnergy(start + timedelta(hours=hour), kwh, {})
        for hour, kwh in enumerate(rollup.kwh_by_hour)
        if kwh is not None
    ]


def days(hours: Sequence[HourEnergy]) -> list[DayEnergy]:
    by_day: dict[date, list[float]] = defaultdict(list)
    for h in hours:
        by_day[h.hour.date()].append(h.kwh)
    return [
        DayEnergy(day, sum(kwh) / len(kwh) * 24 if len(kwh) >= MIN_HOURS_PER_DAY else sum(kwh), len(kwh))
        for day, kwh in sorted(by_day.items())
    ]


def kwh_by_hour(hours: Sequence[HourEnergy]) -> dict[int, float]:
    """Epoch hour -> kWh, with each complete day's missing hours at its mean: the hours then add up
    to the days' totals, so a cost by band and the projection agree on the energy so far."""
    measured = {epoch_hour(h.hour): h.kwh for h in hours}
    filled = dict(measured)
    for day in days(hours):
        if day.complete and day.measured_hours < 24:
            first = epoch_hour(datetime(day.day.year, day.day.month, day.day.day, tzinfo=UTC))
            for hour in range(first, first + 24):
                filled.setdefault(hour, day.kwh / 24)
    return filled


def hourly_profile_kw(hours: Sequence[HourEnergy]) -> dict[int, float]:
    """Mean kW by UTC hour of day."""
    by_hour: dict[int, list[float]] = defaultdict(list)
    for h in hours:
        by_hour[h.hour.hour].append(h.kwh)
    return {hour: sum(values) / len(values) for hour, values in sorted(by_hour.items())}


def sub_meter_breakdown(hours: Sequence[HourEnergy], rollups: Sequence[DayRollup] = ()) -> dict[str, float]:
    """kWh of each sub-meter and of the rest (whole house minus the three), over the hours that
    measured every one of them, with the whole house over the same hours; rolled-up days bring their
    own totals, hours read one by one theirs."""
    complete = [
        h for h in hours if h.sub_meters_kwh and all(v is not None for v in h.sub_meters_kwh.values())
    ]
    totals = {name: sum(h.sub_meters_kwh[name] or 0.0 for h in complete) for name in SUB_METERS}
    whole = sum(h.kwh for h in complete)
    for rollup in rollups:
        for name in SUB_METERS:
            totals[name] += rollup.sub_meters_kwh.get(name, 0.0)
        whole += rollup.sub_meters_kwh.get("whole_house", 0.0)
    return {
        **{name: round(kwh, 4) for name, kwh in totals.items()},
        "rest": round(whole - sum(totals.values()), 4),
        "whole_house": round(whole, 4),
        "hours": len(complete) + sum(r.sub_meter_hours for r in rollups),
    }
