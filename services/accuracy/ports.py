"""What production scoring needs from the outside: actuals, what was issued, the accuracy store,
the models' test error and the operations topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from services.accuracy.drift import Baseline
from services.core.days import DayRollup
from services.core.hourly import HourlyRow

FLEET = "#fleet"  # the accuracy store's partition for the fleet (no household id can start with '#')


@dataclass(frozen=True)
class ScoreItem:
    """One item of the accuracy table: `hour#<ts>`, `day#<date>`, `month#<yyyy-mm>` or `drift`."""

    household_id: str
    score_key: str
    attributes: dict[str, Any]


class Actuals(Protocol):
    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]: ...


class Issued(Protocol):
    def hours_issued(self, household_id: str, first: datetime, last: datetime) -> dict[str, dict[str, Any]]:
        """The LSTM forecasts whose first forecast hour is in [first, last], by that hour."""

    def projections(self, household_id: str, month: str) -> list[dict[str, Any]]: ...

    def days(self, household_id: str, first: date, last: date) -> dict[date, DayRollup]: ...


class AccuracyStore(Protocol):
    def put(self, items: Sequence[ScoreItem]) -> None:
        """Write (overwrite) the items; DependencyError if any could not be written."""

    def get(self, household_id: str, score_key: str) -> dict[str, Any] | None: ...

    def between(self, household_id: str, first_key: str, last_key: str) -> list[dict[str, Any]]:
        """The items whose key is in [first_key, last_key], in key order."""

    def everyone(self, first_key: str, last_key: str) -> list[dict[str, Any]]:
        """Every partition's items with a key in [first_key, last_key] (a scan: the daily sweep only)."""


class Baselines(Protocol):
    def baseline(self, model: str) -> Baseline | None:
        """The test error of the model a forecast names (None when its metadata is not published)."""


class Operations(Protocol):
    def announce(self, subject: str, message: Mapping[str, Any]) -> None:
        """Publish to the operators' topic."""
