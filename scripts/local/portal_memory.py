"""In-memory ports of the household API and the alerts: the unit tests' stores, and the store of
`wattcast bench portal --store memory` (the API's own cost, without an emulator)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from services.core.days import DayRollup
from services.core.errors import DependencyError
from services.core.hourly import HourlyRow
from services.core.reading import format_ts
from services.portal.alerting import AlertPorts
from services.portal.ports import StoredAlert, StoredStatement
from services.portal.views import PortalPorts


@dataclass
class MemoryHours:
    rows_by_household: dict[str, list[HourlyRow]] = field(default_factory=dict)

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        rows = self.rows_by_household.get(household_id, [])
        return sorted((r for r in rows if first_hour <= r.hour <= last_hour), key=lambda r: r.hour)

    def newest(self, household_id: str, count: int) -> list[HourlyRow]:
        rows = self.rows_by_household.get(household_id, [])
        return sorted(rows, key=lambda r: r.hour, reverse=True)[:count]


@dataclass
class MemoryForecasts:
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def _of(self, household_id: str, prefix: str) -> list[dict[str, Any]]:
        found = [i for i in self.items.get(household_id, []) if i["forecast_key"].startswith(prefix)]
        return sorted(found, key=lambda i: i["forecast_key"], reverse=True)

    def latest_hours(self, household_id: str) -> dict[str, Any] | None:
        found = self._of(household_id, "lstm#")
        return found[0] if found else None

    def latest_projection(self, household_id: str, month: str) -> dict[str, Any] | None:
        found = self._of(household_id, f"month#{month}#")
        return found[0] if found else None

    def projections(self, household_id: str, month: str) -> list[dict[str, Any]]:
        return self._of(household_id, f"month#{month}#")[::-1]

    def days(self, household_id: str, first: date, last: date) -> dict[date, DayRollup]:
        found = {}
        for item in self._of(household_id, "day#"):
            day = date.fromisoformat(item["day"])
            if first <= day <= last:
                found[day] = DayRollup.from_attributes(household_id, day, item)
        return found

    def hours_issued(self, household_id: str, first: datetime, last: datetime) -> dict[str, dict[str, Any]]:
        low, high = f"lstm#{format_ts(first)}", f"lstm#{format_ts(last)}"
        return {
            i["issued_for"]: i for i in self._of(household_id, "lstm#") if low <= i["forecast_key"] <= high
        }


@dataclass
class MemorySettings:
    documents: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, household_id: str) -> Mapping[str, Any] | None:
        return self.documents.get(household_id)

    def put(self, household_id: str, document: Mapping[str, Any]) -> None:
        self.documents[household_id] = dict(document)


@dataclass
class MemoryAlerts:
    stored: dict[tuple[str, str], StoredAlert] = field(default_factory=dict)
    states: dict[tuple[str, str], tuple[dict[str, Any], int]] = field(default_factory=dict)

    def alerts(self, household_id: str, *, open_only: bool = False) -> list[StoredAlert]:
        found = [a for (h, _), a in self.stored.items() if h == household_id]
        found = [a for a in found if a.status == "open" or not open_only]
        return sorted(found, key=lambda a: (a.raised_for, a.key), reverse=True)

    def add(self, household_id: str, alert: StoredAlert) -> StoredAlert | None:
        if (household_id, alert.key) in self.stored:
            return self.stored[(household_id, alert.key)]
        self.stored[(household_id, alert.key)] = alert
        return None

    def mark_notified(self, household_id: str, key: str) -> None:
        self.stored[(household_id, key)] = replace(self.stored[(household_id, key)], notified=True)

    def resolve(self, household_id: str, key: str, resolved_for: str) -> bool:
        alert = self.stored.get((household_id, key))
        if alert is None or alert.status != "open":
            return False
        self.stored[(household_id, key)] = replace(alert, status="resolved", resolved_for=resolved_for)
        return True

    def state(self, household_id: str, name: str) -> tuple[dict[str, Any] | None, int]:
        document, version = self.states.get((household_id, name), (None, 0))
        return document, version

    def save_state(self, household_id: str, name: str, document: Mapping[str, Any], version: int) -> bool:
        if self.states.get((household_id, name), (None, 0))[1] != version:
            return False
        self.states[(household_id, name)] = (dict(document), version + 1)
        return True


@dataclass
class MemoryNotifier:
    published: list[tuple[str, str]] = field(default_factory=list)
    failures: int = 0  # the next N publishes fail

    def publish(self, household_id: str, alert: StoredAlert) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyError("SNS is down")
        self.published.append((household_id, alert.key))


@dataclass
class MemoryClocks:
    latest: dict[str, datetime] = field(default_factory=dict)
    open_hours: dict[str, frozenset[datetime]] = field(default_factory=dict)

    def latest_readings(self) -> dict[str, datetime]:
        return dict(self.latest)

    def household(self, household_id: str) -> tuple[datetime | None, frozenset[datetime]]:
        return self.latest.get(household_id), self.open_hours.get(household_id, frozenset())


@dataclass
class MemoryPipeline:
    iterator_ages: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    queues: dict[str, int] = field(default_factory=dict)

    def iterator_age_ms(self, function_name: str, since: datetime, until: datetime) -> float | None:
        ages = [age for at, age in self.iterator_ages.get(function_name, []) if since <= at <= until]
        return max(ages, default=None)

    def queue_messages(self, queue_name: str) -> int | None:
        return self.queues.get(queue_name)


@dataclass
class MemoryStatements:
    stored: dict[tuple[str, str], tuple[str, bytes, datetime]] = field(default_factory=dict)

    def put(self, household_id: str, month: str, html: str, pdf: bytes) -> None:
        self.stored[(household_id, month)] = (html, pdf, datetime.now(UTC))

    def exists(self, household_id: str, month: str) -> bool:
        return (household_id, month) in self.stored

    def links(self, household_id: str, month: str, expires_in_seconds: int) -> StoredStatement | None:
        if (household_id, month) not in self.stored:
            return None
        base = f"memory://statements/{household_id}/{month}"
        generated = self.stored[(household_id, month)][2]
        expiry = f"?expires={expires_in_seconds}"
        return StoredStatement(f"{base}.html{expiry}", f"{base}.pdf{expiry}", generated)


@dataclass
class MemoryDriftMarks:
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def mark(self, household_id: str) -> Mapping[str, Any] | None:
        return self.marks.get(household_id)


@dataclass
class MemoryStores:
    hours: MemoryHours = field(default_factory=MemoryHours)
    forecasts: MemoryForecasts = field(default_factory=MemoryForecasts)
    settings: MemorySettings = field(default_factory=MemorySettings)
    alerts: MemoryAlerts = field(default_factory=MemoryAlerts)
    clocks: MemoryClocks = field(default_factory=MemoryClocks)
    notifier: MemoryNotifier = field(default_factory=MemoryNotifier)
    pipeline: MemoryPipeline = field(default_factory=MemoryPipeline)
    statements: MemoryStatements = field(default_factory=MemoryStatements)
    drift: MemoryDriftMarks = field(default_factory=MemoryDriftMarks)

    @property
    def portal(self) -> PortalPorts:
        return PortalPorts(
            self.hours,
            self.forecasts,
            self.settings,
            self.alerts,
            self.clocks,
            self.pipeline,
            self.statements,
            self.drift,
        )

    @property
    def alert_ports(self) -> AlertPorts:
        return AlertPorts(self.portal, self.notifier)
