"""What the nightly projections need from the outside: the fleet's clocks and hours, the bundles,
the forecasts table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.core.forecast_store import ForecastItem
from services.core.hourly import HourlyRow


class Fleet(Protocol):
    def latest_readings(self) -> dict[str, datetime]:
        """Household id -> its latest reading's time."""

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        """Stored household-hours in [first_hour, last_hour], oldest first."""


class BundleFetcher(Protocol):
    def fetch(self, target: str, destination: Path) -> Path | None:
        """The bundle `target` (a name under the models prefix) unpacked under `destination`, or None
        when there is no such bundle."""

    def default_target(self) -> str:
        """The default Prophet model's target: the champion its pointer names."""


class ProjectionStore(Protocol):
    def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
        """Write the items; returns those that could not be written."""
