"""What the preprocess pipeline needs from the outside: hourly history, the endpoint, the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.core.forecast_store import ForecastItem
from services.core.hour_closed import HourClosedEvent
from services.core.hourly import HourlyRow


class HourlyHistory(Protocol):
    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        """Stored household-hours in [first_hour, last_hour], oldest first (one query)."""


class Forecaster(Protocol):
    def lstm(self, body: bytes, deadline: float) -> tuple[dict[str, Any], str]:
        """One call with the encoded instances and the model that answered (the LSTM champion);
        DependencyError if it fails until `deadline`."""

    def projection(
        self, household_id: str, request: dict[str, Any], deadline: float
    ) -> tuple[dict[str, Any], str]:
        """The rest-of-month projection and the model that answered (own, else the default)."""


class ForecastStore(Protocol):
    def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
        """Write the items; returns those that could not be written."""

    def put_new(self, items: Sequence[ForecastItem]) -> tuple[list[ForecastItem], list[ForecastItem]]:
        """Write each item whose key is not stored yet; returns (written, could not be written)."""


class ForecastedHours(Protocol):
    def publish(self, events: Sequence[HourClosedEvent]) -> list[HourClosedEvent]:
        """Announce the hours whose forecasts are stored; returns those that could not be."""
