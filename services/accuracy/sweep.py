"""The fleet's drift check, on a schedule: every household's newest settled days added up, against
the model's test error, as one more partition of the accuracy store; and how many households are
marked drifting now (the DriftingHouseholds metric)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.accuracy import drift, records
from services.accuracy.pipeline import AccuracyOutcome, AccuracyPorts, settle_window
from services.accuracy.ports import FLEET, ScoreItem
from services.accuracy.scoring import ErrorSums
from services.core.settings import Settings


@dataclass(frozen=True)
class SweepOutcome:
    households: int
    drifting_households: int
    newest_day: str | None
    fleet: dict[str, Any] | None  # the fleet's drift mark

    def summary(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "drifting_households": self.drifting_households,
            "newest_day": self.newest_day,
            "fleet_status": (self.fleet or {}).get("status"),
        }


def sweep_fleet(ports: AccuracyPorts, settings: Settings, now: float) -> SweepOutcome:
    """`now` (epoch seconds) dates the fleet's items for their time to live."""
    marks = [
        m for m in ports.store.everyone(records.DRIFT_KEY, records.DRIFT_KEY) if m["household_id"] != FLEET
    ]
    if not marks:
        return SweepOutcome(0, 0, None, None)
    newest = max(date.fromisoformat(str(m["day"])) for m in marks)
    # A household that stopped sending keeps its last mark: only a recent one counts.
    recent = (newest - timedelta(days=settings.drift_days)).isoformat()
    drifting = sum(1 for m in marks if m.get("status") == drift.DRIFTING and str(m["day"]) >= recent)
    first = newest - timedelta(days=max(settings.drift_days, settings.accuracy_window_days) - 1)
    expires_at = int(now) + settings.accuracy_ttl_days * 86_400
    fleet_days: dict[date, tuple[ErrorSums, list[str]]] = {}
    for item in ports.store.everyone(records.day_key(first), records.day_key(newest)):
        if item["household_id"] == FLEET:
            continue
        day, sums, model = records.day_sums(item)
        total, models = fleet_days.setdefault(day, (ErrorSums(), []))
        total.add(sums)
        models.append(model)
    ports.store.put(
        [
            ScoreItem(FLEET, records.day_key(day), _fleet_day(day, sums, models, expires_at))
            for day, (sums, models) in fleet_days.items()
        ]
    )
    mark = settle_window(FLEET, newest, ports, settings, AccuracyOutcome(), expires_at=expires_at)
    return SweepOutcome(len(marks), drifting, newest.isoformat(), mark)


def _fleet_day(day: date, sums: ErrorSums, models: list[str], expires_at: int) -> dict[str, Any]:
    item = records.day_item(FLEET, day, sums, records.most_common(models), len(models), expires_at=expires_at)
    return item.attributes | {"households": len(models)}
