"""A household's day in one item: its kWh per UTC hour and its sub-meters' kWh, rolled up from the
hourly table when the day closes (preprocess writes it; the household API reads a month as ~30 of
these instead of ~720 hours). Written again when a closed day is revised, so it follows the hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.core.hourly import HourlyRow

POWER = "global_active_power"
# The UCI sub-meters (the reading contract's sub_metering_1..3, Wh per minute).
SUB_METERS = {
    "kitchen": "sub_metering_1",
    "laundry": "sub_metering_2",
    "water_heater_and_air_conditioning": "sub_metering_3",
}


@dataclass(frozen=True)
class DayRollup:
    household_id: str
    day: date
    kwh_by_hour: tuple[float | None, ...]  # 24 UTC hours: mean kW x 1 h, None where unmeasured
    sub_meters_kwh: dict[str, float]  # over the hours that measured all three, with the whole house
    sub_meter_hours: int

    def as_attributes(self) -> dict[str, Any]:
        return {
            "kwh_by_hour": list(self.kwh_by_hour),
            "sub_meters_kwh": self.sub_meters_kwh,
            "sub_meter_hours": self.sub_meter_hours,
        }

    @classmethod
    def from_attributes(cls, household_id: str, day: date, item: Mapping[str, Any]) -> DayRollup:
        hours = tuple(None if v is None else float(v) for v in item["kwh_by_hour"])
        if len(hours) != 24:
            raise ValueError(f"a day has 24 hours, this rollup {len(hours)}")
        subs = {k: float(v) for k, v in dict(item.get("sub_meters_kwh") or {}).items()}
        return cls(household_id, day, hours, subs, int(item.get("sub_meter_hours", 0)))


def day_rollup(household_id: str, day: date, rows: Iterable[HourlyRow]) -> DayRollup:
    """The day's rollup from its stored hours (rows of other days are ignored)."""
    kwh: list[float | None] = [None] * 24
    subs = dict.fromkeys([*SUB_METERS, "whole_house"], 0.0)
    sub_hours = 0
    for row in rows:
        power = row.means.get(POWER)
        if row.hour.date() != day or power is None:
            continue
        kwh[row.hour.hour] = round(power, 6)
        values = [row.means.get(measure) for measure in SUB_METERS.values()]
        if all(v is not None for v in values):
            sub_hours += 1
            for name, value in zip(SUB_METERS, values, strict=True):
                subs[name] += (value or 0.0) * 60 / 1000  # Wh per minute, an hour of them, in kWh
            subs["whole_house"] += power
    return DayRollup(household_id, day, tuple(kwh), {k: round(v, 6) for k, v in subs.items()}, sub_hours)
