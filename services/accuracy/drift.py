"""Drift, pure: a household's (or the fleet's) error stays above a multiple of the model's own test
error for N consecutive closed days.

The verdict is recomputed from the stored days each time, never accumulated: the same evidence gives
the same verdict, so a redelivered or revised day raises nothing twice. The error compared is the
RMSE over every scored (hour, lead) pair of a day; when the model's metadata says the mean load of its
test period, both sides are divided by their mean load first, so a household that simply uses more
than the training house is not drifting for that alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.accuracy.scoring import ErrorSums

DRIFTING, STEADY = "drifting", "steady"


@dataclass(frozen=True)
class Baseline:
    """The model's test error, from its bundle metadata."""

    model: str
    rmse_kw: float
    mean_kw: float | None  # the test period's mean load, when the metadata has it
    rmse_by_lead_kw: tuple[float, ...] = ()
    coverage_by_lead: tuple[float, ...] = ()

    def ratio(self, day: ErrorSums) -> float | None:
        """The day's error as a multiple of the test error (None: nothing scored that day)."""
        overall = day.overall()
        rmse, mean = overall.rmse_kw, overall.mean_actual_kw
        if rmse is None:
            return None
        if self.mean_kw and mean:
            return (rmse / mean) / (self.rmse_kw / self.mean_kw)
        return rmse / self.rmse_kw


def baseline_of(model: str, metadata: Mapping[str, Any]) -> Baseline | None:
    """The served forecast's test error: the blend's when the bundle blends members, else the LSTM's."""
    metrics = metadata.get("metrics") or {}
    by_lead = metrics.get("blend_rmse_by_lead_kw") or metrics.get("rmse_by_lead_kw")
    if not by_lead:
        return None
    rmse = math.sqrt(sum(float(r) ** 2 for r in by_lead) / len(by_lead))
    mean = metrics.get("test_mean_kw")
    return Baseline(
        model,
        rmse,
        float(mean) if isinstance(mean, int | float) and mean > 0 else None,
        tuple(float(r) for r in by_lead),
        tuple(float(c) for c in metrics.get("band_coverage_by_lead") or ()),
    )


@dataclass(frozen=True)
class Verdict:
    drifting: bool
    run_days: int  # consecutive days above the multiple, ending at the newest day
    run_start: date | None
    ratio: float | None  # the newest day's


def verdict(ratios: Mapping[date, float | None], newest: date, multiple: float, days: int) -> Verdict:
    """`ratios`: each closed day's error ratio; a day with no ratio (nothing scored) ends a run."""
    run, day = 0, newest
    while (ratio := ratios.get(day)) is not None and ratio > multiple:
        run, day = run + 1, day - timedelta(days=1)
    start = newest - timedelta(days=run - 1) if run else None
    return Verdict(run >= days, run, start, ratios.get(newest))


@dataclass(frozen=True)
class Transition:
    state: dict[str, Any]
    raised: bool = False
    resolved: bool = False


def transition(stored: Mapping[str, Any] | None, found: Verdict, newest: date, model: str) -> Transition:
    """The new drift mark and whether it was just raised or resolved. A verdict on a day older than
    the stored one's is ignored (a late redelivery does not undo a newer verdict)."""
    stored = dict(stored or {"status": STEADY})
    if stored.get("day", "") > newest.isoformat():
        return Transition(stored)
    was = stored.get("status") == DRIFTING
    state = {
        "status": DRIFTING if found.drifting else STEADY,
        "day": newest.isoformat(),
        "run_days": found.run_days,
        "ratio": None if found.ratio is None else round(found.ratio, 3),
        "model": model,
        "since": (stored.get("since") if was else _iso(found.run_start)) if found.drifting else None,
    }
    return Transition(state, raised=found.drifting and not was, resolved=was and not found.drifting)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def day_ratios(days: Mapping[date, ErrorSums], baseline: Baseline) -> dict[date, float | None]:
    return {day: baseline.ratio(sums) for day, sums in days.items()}


def closed_days(newest: date, count: int) -> Sequence[date]:
    return [newest - timedelta(days=i) for i in range(count)]
