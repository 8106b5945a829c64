"""Production scoring, orchestration over the ports: hour-closed events in; each hour's issued
forecasts scored, each settled day's error summed and checked for drift, each closed month's
projections scored.

Every write is keyed by what it scores, so a redelivered batch rewrites the same items. A household
whose reads or writes fail is named in the outcome: its records are retried.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.accuracy import drift, records
from services.accuracy.ports import AccuracyStore, Actuals, Baselines, Issued, Operations, ScoreItem
from services.accuracy.scoring import MAX_LEAD, HourScore, error_sums, score_hour, score_month
from services.core.errors import DependencyError
from services.core.features import TARGET
from services.core.hour_closed import HourClosedEvent
from services.core.reading import format_ts
from services.core.settings import Settings

logger = logging.getLogger(__name__)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class AccuracyPorts:
    actuals: Actuals
    issued: Issued
    store: AccuracyStore
    baselines: Baselines
    operations: Operations


@dataclass
class AccuracyOutcome:
    failed_sequence_numbers: set[str] = field(default_factory=set)
    hours_scored: int = 0
    next_hour_errors_kw: list[float] = field(default_factory=list)
    days_settled: int = 0
    months_scored: int = 0
    drift_raised: int = 0
    drift_resolved: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "failed_records": len(self.failed_sequence_numbers),
            "hours_scored": self.hours_scored,
            "days_settled": self.days_settled,
            "months_scored": self.months_scored,
            "drift_raised": self.drift_raised,
            "drift_resolved": self.drift_resolved,
        }


def score_events(
    events: Sequence[HourClosedEvent], ports: AccuracyPorts, settings: Settings
) -> AccuracyOutcome:
    outcome = AccuracyOutcome()
    by_household: dict[str, list[HourClosedEvent]] = defaultdict(list)
    for event in events:
        by_household[event.household_id].append(event)
    for household_id, own in by_household.items():
        try:
            _score_household(household_id, own, ports, settings, outcome)
        except DependencyError as exc:
            logger.warning("scoring of %s failed; its records are retried: %s", household_id, exc)
            outcome.failed_sequence_numbers.update(e.sequence_number for e in own)
    return outcome


def _score_household(
    household_id: str,
    events: list[HourClosedEvent],
    ports: AccuracyPorts,
    settings: Settings,
    outcome: AccuracyOutcome,
) -> None:
    expires_at = int(max(e.arrival for e in events)) + settings.accuracy_ttl_days * 86_400
    closed = {e.hour for e in events}
    changed = _rescore_hours(household_id, closed, ports)
    ports.store.put([records.hour_item(s, expires_at) for s in changed])
    outcome.hours_scored += sum(1 for s in changed if s.hour in closed)
    outcome.next_hour_errors_kw += [
        abs(lead.error(s.actual_kw)) for s in changed if s.hour in closed and (lead := s.lead(1))
    ]
    settled = set()
    for day in sorted({e.hour.date() for e in events if e.closes_day}):
        settled |= {day - DAY, day}  # the day before is final now: a forecast stored late is in
    for day in sorted(settled):
        _settle_day(household_id, day, ports=ports, settings=settings, expires_at=expires_at, outcome=outcome)


def _rescore_hours(household_id: str, closed: set[datetime], ports: AccuracyPorts) -> list[HourScore]:
    """Score each closed hour, and again the 24 before it: preprocess, a separate consumer of the
    same stream, may store a forecast after the hour it forecast has closed (a catch-up, a replay, an
    endpoint outage). Returns the scores that differ from the stored ones."""
    first, last = min(closed) - MAX_LEAD * HOUR, max(closed)
    rows = {r.hour: r for r in ports.actuals.rows(household_id, first, last)}
    issued = ports.issued.hours_issued(household_id, first - (MAX_LEAD - 1) * HOUR, last)
    stored = {
        item["hour"]: item
        for item in ports.store.between(household_id, records.hour_key(first), records.hour_key(last))
    }
    changed = []
    for hour in sorted({h - k * HOUR for h in closed for k in range(MAX_LEAD + 1)}):
        row = rows.get(hour)
        score = score_hour(household_id, hour, row.means.get(TARGET) if row else None, issued)
        if score is not None and not records.same_score(score, stored.get(format_ts(hour))):
            changed.append(score)
    return changed


def _settle_day(
    household_id: str,
    day: date,
    *,
    ports: AccuracyPorts,
    settings: Settings,
    expires_at: int,
    outcome: AccuracyOutcome,
) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    items = ports.store.between(household_id, records.hour_key(start), records.hour_key(start + 23 * HOUR))
    scores = [records.hour_score(household_id, item) for item in items]
    if scores:
        model = records.most_common(item.get("model", "") for item in items)
        sums = error_sums(scores)
        ports.store.put(
            [records.day_item(household_id, day, sums, model, len(scores), expires_at=expires_at)]
        )
        outcome.days_settled += 1
        settle_window(household_id, day, ports, settings, outcome, expires_at=expires_at)
    if (day + DAY).day == 1:
        _score_month(household_id, day, ports, expires_at, outcome)


def settle_window(
    partition: str,
    newest: date,
    ports: AccuracyPorts,
    settings: Settings,
    outcome: AccuracyOutcome,
    *,
    expires_at: int,
) -> dict[str, Any] | None:
    """From the partition's (a household's, or the fleet's) stored days up to `newest`: its rolling
    error over the window, and its drift verdict against the model's test error (the mark is stored,
    a change announced). Returns the drift mark (None: the model's test error is not published).
    A revision of an older day recomputes the window as of the newest day already settled."""
    rolling = ports.store.get(partition, records.ROLLING_KEY)
    if rolling is not None:
        newest = max(newest, date.fromisoformat(str(rolling["as_of"])))
    span = max(settings.accuracy_window_days, settings.drift_days)
    stored = ports.store.between(
        partition, records.day_key(newest - (span - 1) * DAY), records.day_key(newest)
    )
    days = {day: (sums, model) for day, sums, model in map(records.day_sums, stored)}
    if newest not in days:
        return None
    model = days[newest][1]
    window = {d: sums for d, (sums, _) in days.items() if d > newest - settings.accuracy_window_days * DAY}
    ports.store.put([records.rolling_item(partition, newest, window, model, expires_at=expires_at)])
    baseline = ports.baselines.baseline(model)
    if baseline is None:
        logger.info("no test metrics published for %s: drift of %s not checked", model, partition)
        return None
    # A run is judged against one model: a day another model forecast ends it.
    ratios = {d: baseline.ratio(sums) for d, (sums, m) in days.items() if m == model}
    found = drift.verdict(ratios, newest, settings.drift_multiple, settings.drift_days)
    change = drift.transition(ports.store.get(partition, records.DRIFT_KEY), found, newest, model)
    if change.raised or change.resolved:  # announced before the mark is stored: a retry announces again
        ports.operations.announce(*_announcement(partition, change, baseline, settings))
        outcome.drift_raised += change.raised
        outcome.drift_resolved += change.resolved
    ports.store.put([ScoreItem(partition, records.DRIFT_KEY, change.state)])
    return change.state


def _announcement(
    partition: str, change: drift.Transition, baseline: drift.Baseline, settings: Settings
) -> tuple[str, dict[str, Any]]:
    what = "raised" if change.raised else "resolved"
    subject = f"Wattcast: forecast drift {what} for {partition}"
    message = {
        "kind": "forecast_drift",
        "event": what,
        "household_id": partition,
        **change.state,
        "test_rmse_kw": round(baseline.rmse_kw, 4),
        "multiple": settings.drift_multiple,
        "days": settings.drift_days,
    }
    return subject, message


def _score_month(
    household_id: str, last_day: date, ports: AccuracyPorts, expires_at: int, outcome: AccuracyOutcome
) -> None:
    month = last_day.strftime("%Y-%m")
    rollups = ports.issued.days(household_id, last_day.replace(day=1), last_day)
    measured = [kwh for rollup in rollups.values() for kwh in rollup.kwh_by_hour if kwh is not None]
    scores = score_month(sum(measured), ports.issued.projections(household_id, month))
    if scores:
        coverage = len(measured) / (24 * last_day.day)  # a silent meter's month is measured short
        item = records.month_item(household_id, month, sum(measured), scores, coverage, expires_at=expires_at)
        ports.store.put([item])
        outcome.months_scored += 1
