"""What the household API and the alerts need from the outside: the stored hours, forecasts and
projections, the household's settings and alerts, its event time, and where alerts are announced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from services.core.days import DayRollup
from services.core.hourly import HourlyRow


class Hours(Protocol):
    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        """Stored hours in [first_hour, last_hour], oldest first."""

    def newest(self, household_id: str, count: int) -> list[HourlyRow]:
        """The newest `count` stored hours, newest first."""


class Forecasts(Protocol):
    def latest_hours(self, household_id: str) -> dict[str, Any] | None:
        """The newest next-hours forecast item (kw, kw_p10, kw_p50, kw_p90, issued_for, origin, model)."""

    def hours_issued(self, household_id: str, first: datetime, last: datetime) -> dict[str, dict[str, Any]]:
        """Next-hours items issued for each hour in [first, last], by `issued_for`."""

    def latest_projection(self, household_id: str, month: str) -> dict[str, Any] | None:
        """The newest month projection of `month` (YYYY-MM), None if there is none."""

    def projections(self, household_id: str, month: str) -> list[dict[str, Any]]:
        """Every stored month projection of `month` (YYYY-MM), oldest as_of first."""

    def days(self, household_id: str, first: date, last: date) -> dict[date, DayRollup]:
        """The day rollups stored for days in [first, last]."""


class SettingsStore(Protocol):
    def get(self, household_id: str) -> Mapping[str, Any] | None:
        """The stored settings document, None if the household never set any."""

    def put(self, household_id: str, document: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class StoredAlert:
    key: str
    kind: str
    status: str  # "open" or "resolved"
    raised_for: str
    message: str
    details: dict[str, Any]
    notified: bool
    resolved_for: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "status": self.status,
            "raised_for": self.raised_for,
            "resolved_for": self.resolved_for,
            "message": self.message,
            "details": self.details,
        }


class AlertStore(Protocol):
    def alerts(self, household_id: str, *, open_only: bool = False) -> list[StoredAlert]:
        """Newest first."""

    def add(self, household_id: str, alert: StoredAlert) -> StoredAlert | None:
        """Store it unless its key is stored; returns the stored one when it was there already."""

    def mark_notified(self, household_id: str, key: str) -> None: ...

    def resolve(self, household_id: str, key: str, resolved_for: str) -> bool:
        """Close an open alert; False if it was not open."""

    def state(self, household_id: str, name: str) -> tuple[dict[str, Any] | None, int]:
        """A state document of the alert machines and its version (0 when absent)."""

    def save_state(self, household_id: str, name: str, document: Mapping[str, Any], version: int) -> bool:
        """Write version+1 if the stored version is still `version`; False if someone else did."""


class Notifier(Protocol):
    def publish(self, household_id: str, alert: StoredAlert) -> None: ...


class Clocks(Protocol):
    def latest_readings(self) -> dict[str, datetime]:
        """Every household's newest reading time (its event time)."""

    def household(self, household_id: str) -> tuple[datetime | None, frozenset[datetime]]:
        """One household's newest reading time and its hours still open."""


class DriftMarks(Protocol):
    def mark(self, household_id: str) -> Mapping[str, Any] | None:
        """The accuracy function's drift mark of the household (None: not checked yet)."""


class PipelineHealth(Protocol):
    def iterator_age_ms(self, function_name: str, since: datetime, until: datetime) -> float | None:
        """The function's stream mapping's largest iterator age in [since, until]; None when idle."""

    def queue_messages(self, queue_name: str) -> int | None:
        """Messages waiting in a queue; None when the queue does not exist."""


@dataclass(frozen=True)
class StoredStatement:
    html_url: str
    pdf_url: str
    generated_at: datetime


class StatementStore(Protocol):
    def put(self, household_id: str, month: str, html: str, pdf: bytes) -> None: ...

    def exists(self, household_id: str, month: str) -> bool: ...

    def links(self, household_id: str, month: str, expires_in_seconds: int) -> StoredStatement | None:
        """Presigned links to a stored statement; None when it was never generated."""
