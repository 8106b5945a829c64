"""Reading factories shared by the tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.reading import MEASURES, format_ts

START = datetime(2010, 1, 1, tzinfo=UTC)


def reading_dict(
    household_id: str, minute_index: int, power: float | None = 1.0, start: datetime = START
) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(MEASURES, None)
    if power is not None:
        values.update(
            global_active_power=round(power, 3),
            global_reactive_power=0.1,
            voltage=240.0 + minute_index % 7,
            global_intensity=round(power * 4.2, 3),
            sub_metering_1=0.0,
            sub_metering_2=1.0,
            sub_metering_3=float(minute_index % 19),
        )
    return {"household_id": household_id, "ts": format_ts(start + timedelta(minutes=minute_index)), **values}


def payload(reading: dict[str, Any]) -> bytes:
    return json.dumps(reading).encode()
