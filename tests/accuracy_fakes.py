"""In-memory ports of the accuracy function, and a simulated household to feed it (unit tests)."""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.accuracy.drift import Baseline
from services.accuracy.pipeline import AccuracyPorts
from services.accuracy.ports import ScoreItem
from services.core.days import DayRollup
from services.core.features import TARGET
from services.core.hourly import HourlyRow
from services.core.reading import format_ts

HOUR = timedelta(hours=1)
MODEL = "lstm/20261201000000.tar.gz"


@dataclass
class MemoryAccuracy:
    """Every port at once: actuals, issued forecasts, the accuracy store, baselines, announcements."""

    hourly: dict[tuple[str, datetime], HourlyRow] = field(default_factory=dict)
    forecasts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    by_household: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    baselines: dict[str, Baseline] = field(default_factory=dict)
    announced: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    writes: int = 0

    def ports(self) -> AccuracyPorts:
        return AccuracyPorts(self, self, self, self, self)

    # Actuals
    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        hours = int((last_hour - first_hour) / HOUR) + 1
        found = (self.hourly.get((household_id, first_hour + k * HOUR)) for k in range(max(hours, 0)))
        return [r for r in found if r is not None]

    # Issued
    def hours_issued(self, household_id: str, first: datetime, last: datetime) -> dict[str, dict[str, Any]]:
        a, b = f"lstm#{format_ts(first)}", f"lstm#{format_ts(last)}"
        return {
            i["issued_for"]: i for (h, k), i in self.forecasts.items() if h == household_id and a <= k <= b
        }

    def projections(self, household_id: str, month: str) -> list[dict[str, Any]]:
        prefix = f"month#{month}#"
        return [
            i for (h, k), i in sorted(self.forecasts.items()) if h == household_id and k.startswith(prefix)
        ]

    def days(self, household_id: str, first: date, last: date) -> dict[date, DayRollup]:
        found = {}
        for (h, k), item in self.forecasts.items():
            if h == household_id and k.startswith("day#") and first <= date.fromisoformat(k[4:]) <= last:
                day = date.fromisoformat(k[4:])
                found[day] = DayRollup.from_attributes(h, day, item)
        return found

    # Store
    def put(self, items: Sequence[ScoreItem]) -> None:
        self.writes += len(items)
        for item in items:
            body = {"household_id": item.household_id, "score_key": item.score_key, **item.attributes}
            stored = json.loads(json.dumps(body))
            self.items[(item.household_id, item.score_key)] = stored
            self.by_household.setdefault(item.household_id, {})[item.score_key] = stored

    def get(self, household_id: str, score_key: str) -> dict[str, Any] | None:
        return self.items.get((household_id, score_key))

    def between(self, household_id: str, first_key: str, last_key: str) -> list[dict[str, Any]]:
        return [
            i for (h, k), i in sorted(self.items.items()) if h == household_id and first_key <= k <= last_key
        ]

    def everyone(self, first_key: str, last_key: str) -> list[dict[str, Any]]:
        return [i for (_, k), i in sorted(self.items.items()) if first_key <= k <= last_key]

    # Baselines, operations
    def baseline(self, model: str) -> Baseline | None:
        return self.baselines.get(model)

    def announce(self, subject: str, message: Mapping[str, Any]) -> None:
        self.announced.append((subject, dict(message)))


def profile_kw(hour: datetime) -> float:
    """A household's usual use: low at night, peaks morning and evening."""
    return (
        0.6 + 0.5 * math.sin(math.pi * hour.hour / 24) ** 2 + (0.8 if hour.hour in (7, 8, 19, 20, 21) else 0)
    )


def row(household_id: str, hour: datetime, kw: float) -> HourlyRow:
    return HourlyRow(household_id, hour, 60, {TARGET: kw})


def issue_forecasts(
    memory: MemoryAccuracy, household_id: str, origin: datetime, forecast: Callable[[datetime], float]
) -> None:
    """The item preprocess stores when `origin` closes: 24 leads from the next hour, with a band."""
    hours = [origin + (lead + 1) * HOUR for lead in range(24)]
    kw = [forecast(h) for h in hours]
    memory.forecasts[(household_id, f"lstm#{format_ts(hours[0])}")] = {
        "issued_for": format_ts(hours[0]),
        "kw": kw,
        "kw_p10": [k * 0.6 for k in kw],
        "kw_p90": [k * 1.5 for k in kw],
        "model": MODEL,
    }


def hour_closed_record(household_id: str, hour: datetime, sequence: int, **extra: Any) -> dict[str, Any]:
    body = {"type": "hour_closed", "household_id": household_id, "hour": format_ts(hour), **extra}
    return {
        "kinesis": {
            "data": base64.b64encode(json.dumps(body).encode()).decode(),
            "sequenceNumber": str(sequence),
            "approximateArrivalTimestamp": 1_700_000_000.0 + sequence,
        }
    }


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def noisy(rng: random.Random, kw: float, sd: float) -> float:
    return max(0.05, kw + rng.gauss(0, sd))
