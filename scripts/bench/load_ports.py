"""In-memory preprocess ports for the stubbed load test, and the forecaster in-process.

The forecaster runs the serving container's own code (bundle unpacking, the model's handler) in
this process, so its CPU time is this process's; only the HTTP hop and the AWS tables are left out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scripts.local.memory_ports import MemoryAggregates
from services.core.errors import DependencyError
from services.core.forecast_store import ForecastItem
from services.core.hour_closed import HourClosedEvent
from services.core.hourly import HourlyRow, hourly_means
from services.forecaster.bundles import unpack_bundle
from services.forecaster.errors import ForecasterError
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import LoadedModel, load_model

HOUR = timedelta(hours=1)
MAX_BUNDLE_BYTES = 1024 * 1024 * 1024


class MemoryHistory:
    """The hourly table: seeded rows, overlaid by what ingest stored in its memory aggregates."""

    def __init__(self, seeded: Iterable[HourlyRow], aggregates: MemoryAggregates) -> None:
        self._seeded = {(row.household_id, row.hour): row for row in seeded}
        self._aggregates = aggregates
        self.queries = 0

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        self.queries += 1
        rows, hour = [], first_hour
        while hour <= last_hour:
            row = self._row(household_id, hour)
            if row is not None:
                rows.append(row)
            hour += HOUR
        return rows

    def _row(self, household_id: str, hour: datetime) -> HourlyRow | None:
        group = self._aggregates.groups.get((household_id, hour))
        if group is not None:
            return HourlyRow(
                household_id, hour, len(group.readings), hourly_means(group.sums(), group.counts())
            )
        return self._seeded.get((household_id, hour))


@dataclass
class MemoryForecastStore:
    items: dict[tuple[str, str], ForecastItem] = field(default_factory=dict)
    stored_at: dict[tuple[str, str], float] = field(default_factory=dict)

    def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
        now = time.time()
        for item in items:
            self.items[(item.household_id, item.forecast_key)] = item
            self.stored_at[(item.household_id, item.forecast_key)] = now
        return []

    def put_new(self, items: Sequence[ForecastItem]) -> tuple[list[ForecastItem], list[ForecastItem]]:
        new = [i for i in items if (i.household_id, i.forecast_key) not in self.items]
        self.put(new)
        return new, []

    def count(self, kind: str) -> int:
        return sum(1 for _, key in self.items if key.startswith(f"{kind}#"))


@dataclass
class MemoryForecasted:
    events: list[HourClosedEvent] = field(default_factory=list)

    def publish(self, events: Sequence[HourClosedEvent]) -> list[HourClosedEvent]:
        self.events.extend(events)
        return []


class InProcessForecaster:
    """The Forecaster port answered by the serving code in this process; counts its CPU time."""

    def __init__(
        self, lstm: LoadedModel, prophet: LoadedModel, lstm_target: str, prophet_target: str
    ) -> None:
        self._lstm, self._prophet = lstm, prophet
        self._targets = (lstm_target, prophet_target)
        self.cpu_seconds = 0.0
        self.calls = 0

    @classmethod
    def from_bundles(
        cls, lstm_bundle: Path, prophet_bundle: Path, work: Path, lstm_target: str, prophet_target: str
    ) -> InProcessForecaster:
        lstm = load_model("lstm", unpack_bundle(lstm_bundle, work / "lstm", MAX_BUNDLE_BYTES))
        prophet = load_model("prophet", unpack_bundle(prophet_bundle, work / "prophet", MAX_BUNDLE_BYTES))
        return cls(lstm, prophet, lstm_target, prophet_target)

    def lstm(self, body: bytes, deadline: float) -> tuple[dict[str, Any], str]:
        return self._answer(self._lstm, body), self._targets[0]

    def projection(
        self, household_id: str, request: dict[str, Any], deadline: float
    ) -> tuple[dict[str, Any], str]:
        return self._answer(self._prophet, json.dumps(request).encode()), self._targets[1]

    def _answer(self, model: LoadedModel, body: bytes) -> dict[str, Any]:
        started = time.process_time()
        try:
            response = invoke(model, InvocationRequest(body))
            answer: dict[str, Any] = json.loads(response.body)
        except ForecasterError as exc:
            raise DependencyError(f"the forecaster refused the request: {exc}") from exc
        finally:
            self.calls += 1
            self.cpu_seconds += time.process_time() - started
        return answer
