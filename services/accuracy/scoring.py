"""Scoring, pure: issued forecasts against what happened.

An hour closes with its actual mean kW; every LSTM forecast whose 24 leads cover that hour was issued
1 to 24 hours before it, so the hour scores up to 24 (lead, forecast) pairs. A day's errors add its
hours' pairs up by lead, as sums, so that any window of days adds up exactly (rolling error, fleet).
A month scores each projection of it once its last day has closed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.core.reading import format_ts

HOUR = timedelta(hours=1)
MAX_LEAD = 24


@dataclass(frozen=True)
class LeadScore:
    lead: int  # hours between the forecast's origin (its newest input hour) and the scored hour
    forecast_kw: float
    in_band: bool | None  # None: the forecast had no P10/P90 band
    model: str

    def error(self, actual_kw: float) -> float:
        return self.forecast_kw - actual_kw


@dataclass(frozen=True)
class HourScore:
    household_id: str
    hour: datetime
    actual_kw: float
    leads: tuple[LeadScore, ...]

    def lead(self, lead: int) -> LeadScore | None:
        return next((s for s in self.leads if s.lead == lead), None)


def score_hour(
    household_id: str, hour: datetime, actual_kw: float | None, issued: Mapping[str, Mapping[str, Any]]
) -> HourScore | None:
    """`issued`: the stored LSTM items by their `issued_for` (first forecast hour). None when the
    hour has no actual or no forecast covered it (nothing to score)."""
    if actual_kw is None:
        return None
    leads = []
    for lead in range(1, MAX_LEAD + 1):
        item = issued.get(format_ts(hour - (lead - 1) * HOUR))
        score = _lead_score(item, lead, actual_kw) if item else None
        if score is not None:
            leads.append(score)
    return HourScore(household_id, hour, actual_kw, tuple(leads)) if leads else None


def _lead_score(item: Mapping[str, Any], lead: int, actual_kw: float) -> LeadScore | None:
    forecast = _at(item.get("kw"), lead)
    if forecast is None:
        return None
    low, high = _at(item.get("kw_p10"), lead), _at(item.get("kw_p90"), lead)
    in_band = None if low is None or high is None else low <= actual_kw <= high
    return LeadScore(lead, forecast, in_band, str(item.get("model", "")))


def _at(values: Any, lead: int) -> float | None:
    if not isinstance(values, list) or len(values) < lead:
        return None
    value = values[lead - 1]
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


# Sums by lead --------------------------------------------------------------------------------------


@dataclass
class LeadSums:
    """Sums over scored pairs at one lead: whatever window they cover, they add."""

    count: int = 0
    abs_error: float = 0.0
    squared_error: float = 0.0
    actual_kw: float = 0.0
    banded: int = 0  # pairs whose forecast had a band
    covered: int = 0  # of those, pairs whose actual fell inside it

    def add_pair(self, error: float, actual_kw: float, in_band: bool | None) -> None:
        self.count += 1
        self.abs_error += abs(error)
        self.squared_error += error * error
        self.actual_kw += actual_kw
        if in_band is not None:
            self.banded += 1
            self.covered += in_band

    def add(self, other: LeadSums) -> None:
        self.count += other.count
        self.abs_error += other.abs_error
        self.squared_error += other.squared_error
        self.actual_kw += other.actual_kw
        self.banded += other.banded
        self.covered += other.covered

    @property
    def mae_kw(self) -> float | None:
        return self.abs_error / self.count if self.count else None

    @property
    def rmse_kw(self) -> float | None:
        return math.sqrt(self.squared_error / self.count) if self.count else None

    @property
    def mean_actual_kw(self) -> float | None:
        return self.actual_kw / self.count if self.count else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.banded if self.banded else None

    def as_attributes(self) -> list[float]:
        return [self.count, self.abs_error, self.squared_error, self.actual_kw, self.banded, self.covered]

    @classmethod
    def from_attributes(cls, values: Sequence[float]) -> LeadSums:
        count, abs_error, squared, actual, banded, covered = values
        return cls(int(count), float(abs_error), float(squared), float(actual), int(banded), int(covered))


@dataclass
class ErrorSums:
    """Sums by lead (1..24) over a set of scored hours: a day, a rolling window, the fleet."""

    by_lead: dict[int, LeadSums] = field(default_factory=dict)

    def add_hour(self, score: HourScore) -> None:
        for lead in score.leads:
            sums = self.by_lead.setdefault(lead.lead, LeadSums())
            sums.add_pair(lead.error(score.actual_kw), score.actual_kw, lead.in_band)

    def add(self, other: ErrorSums) -> None:
        for lead, sums in other.by_lead.items():
            self.by_lead.setdefault(lead, LeadSums()).add(sums)

    def overall(self) -> LeadSums:
        total = LeadSums()
        for sums in self.by_lead.values():
            total.add(sums)
        return total

    def as_attributes(self) -> dict[str, list[float]]:
        return {str(lead): sums.as_attributes() for lead, sums in sorted(self.by_lead.items())}

    @classmethod
    def from_attributes(cls, item: Mapping[str, Sequence[float]]) -> ErrorSums:
        return cls({int(lead): LeadSums.from_attributes(values) for lead, values in item.items()})


def error_sums(scores: Iterable[HourScore]) -> ErrorSums:
    sums = ErrorSums()
    for score in scores:
        sums.add_hour(score)
    return sums


# Months --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectionScore:
    as_of: str  # the first day the projection forecast
    projected_kwh: float
    error_kwh: float  # projected - actual
    within_interval: bool | None

    def as_json(self, actual_kwh: float) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "projected_kwh": round(self.projected_kwh, 3),
            "error_kwh": round(self.error_kwh, 3),
            "error_pct": round(100 * self.error_kwh / actual_kwh, 2) if actual_kwh > 0 else None,
            "within_interval": self.within_interval,
        }


def score_month(actual_kwh: float, projections: Iterable[Mapping[str, Any]]) -> list[ProjectionScore]:
    """Each stored projection of a month against the month's measured kWh, oldest first."""
    scores = []
    for item in sorted(projections, key=lambda p: str(p.get("as_of", ""))):
        projected = item.get("projected_month_kwh")
        if not isinstance(projected, int | float):
            continue
        low, high = item.get("projected_month_kwh_lower"), item.get("projected_month_kwh_upper")
        within = (
            low <= actual_kwh <= high
            if isinstance(low, int | float) and isinstance(high, int | float)
            else None
        )
        scores.append(
            ProjectionScore(str(item["as_of"]), float(projected), float(projected) - actual_kwh, within)
        )
    return scores
