"""One night's projections: for each household whose day before `as_of` has closed, its month's
measured days → its Prophet bundle → the `month#` item preprocess would have stored for that day.
A household that fails is counted with its reason and the others go on."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.core.errors import DependencyError, WattcastError
from services.core.forecast_store import ForecastItem
from services.core.hourly import HourlyRow
from services.core.month_projection import projection_item, projection_request
from services.core.settings import Settings
from services.projections.bundles import NightBundles
from services.projections.ports import Fleet, ProjectionStore

logger = logging.getLogger(__name__)
WRITE_CHUNK = 500  # items held before a write: memory stays flat over a million households


@dataclass
class NightOutcome:
    as_of: date
    started_at: float  # the items' arrival: when the data behind them was read
    projected: int = 0
    by_default: int = 0
    not_closed: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0
    projection_seconds: float = 0.0

    def merge(self, other: NightOutcome) -> None:
        """Add another process's part of the same night (its seconds run alongside, so the longest)."""
        self.projected += other.projected
        self.by_default += other.by_default
        self.not_closed += other.not_closed
        self.failed.update(other.failed)
        self.seconds = max(self.seconds, other.seconds)
        self.load_seconds += other.load_seconds
        self.projection_seconds += other.projection_seconds

    def summary(self) -> dict[str, Any]:
        done = max(self.projected, 1)
        return {
            "as_of": self.as_of.isoformat(),
            "projected": self.projected,
            "by_default_model": self.by_default,
            "not_closed": self.not_closed,
            "failed": len(self.failed),
            "seconds": round(self.seconds, 2),
            "ms_per_household": round(1000 * self.seconds / done, 1),
            "load_ms_per_household": round(1000 * self.load_seconds / done, 1),
            "projection_ms_per_household": round(1000 * self.projection_seconds / done, 1),
        }


def closed_before(latest: datetime, as_of: date, settings: Settings) -> bool:
    """The day before `as_of` is closed once the household's readings reach the allowed lateness past
    its end, as ingest closes an hour."""
    day_end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    return latest >= day_end + timedelta(seconds=settings.allowed_lateness_seconds)


@dataclass(frozen=True)
class NightPorts:
    fleet: Fleet
    bundles: NightBundles
    store: ProjectionStore


@dataclass(frozen=True)
class Shard:
    """This task's part of the fleet when several run the night: a household belongs to the shard
    its id's CRC-32 falls in (stable across runs and machines)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ShardError(f"shard {self.index}/{self.count}: the index must be 0..count-1")

    def holds(self, household_id: str) -> bool:
        return zlib.crc32(household_id.encode()) % self.count == self.index

    def split(self, parts: int) -> list[Shard]:
        """This shard as `parts` shards of a fleet `parts` times finer (one per process)."""
        return [
            Shard(self.index + self.count * k, self.count * parts) for k in range(parts)
        ]  # same residue mod count


class ShardError(WattcastError):
    """A shard that cannot be: an index outside 0..count-1, or a cluster description we cannot read."""


def project_night(
    as_of: date,
    ports: NightPorts,
    settings: Settings,
    households: Iterable[str] | None = None,
    shard: Shard = Shard(),
) -> NightOutcome:
    """Project every closed household of the shard (or those given) as of `as_of`; writes in chunks."""
    started = time.perf_counter()
    outcome = NightOutcome(as_of, started_at=time.time())
    latest = ports.fleet.latest_readings()
    pending: list[ForecastItem] = []
    for household_id in sorted(latest) if households is None else list(households):
        if not shard.holds(household_id):
            continue
        if household_id not in latest or not closed_before(latest[household_id], as_of, settings):
            outcome.not_closed += 1
            continue
        item = _project_one(household_id, ports, settings, outcome)
        if item is not None:
            pending.append(item)
        if len(pending) >= WRITE_CHUNK:
            _write(ports.store, pending, outcome)
    _write(ports.store, pending, outcome)
    outcome.seconds = time.perf_counter() - started
    outcome.load_seconds = ports.bundles.timings.load_seconds
    outcome.projection_seconds = ports.bundles.timings.projection_seconds
    return outcome


def month_rows(fleet: Fleet, household_id: str, as_of: date) -> list[HourlyRow]:
    """The stored hours of `as_of`'s month before it (none on the 1st: the month starts from nothing)."""
    month_start = datetime(as_of.year, as_of.month, 1, tzinfo=UTC)
    day_end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    return fleet.rows(household_id, month_start, day_end - timedelta(hours=1)) if as_of.day > 1 else []


def _project_one(
    household_id: str, ports: NightPorts, settings: Settings, outcome: NightOutcome
) -> ForecastItem | None:
    as_of = outcome.as_of
    try:
        request = projection_request(household_id, as_of, month_rows(ports.fleet, household_id, as_of))
        answer, model = ports.bundles.project(household_id, request)
    except WattcastError as exc:  # DependencyError, the forecaster's and the bundles' own errors
        logger.warning("projection of %s as of %s failed: %s", household_id, as_of, exc)
        outcome.failed[household_id] = str(exc)
        return None
    outcome.by_default += model != settings.prophet_target_model.format(household_id=household_id)
    return projection_item(household_id, as_of, answer, model, arrival=outcome.started_at, settings=settings)


def _write(store: ProjectionStore, pending: list[ForecastItem], outcome: NightOutcome) -> None:
    if not pending:
        return
    try:
        unwritten = store.put(pending)
    except DependencyError as exc:
        unwritten = list(pending)
        logger.warning("writing %d projections failed: %s", len(pending), exc)
    for item in unwritten:
        outcome.failed[item.household_id] = "the forecasts table did not take it"
    outcome.projected += len(pending) - len(unwritten)
    pending.clear()
