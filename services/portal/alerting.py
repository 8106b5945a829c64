"""The alerts function, pure orchestration over the ports: hour-closed events in, alerts stored
exactly once per key, announced, and resolved; and the silent-meter sweep on a schedule.

Announcing follows storing: a stored alert not yet marked notified is announced again when its
evidence comes again (a retried batch), so a failure between the two loses no announcement.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.core.errors import DependencyError
from services.core.reading import format_ts
from services.portal import alerts
from services.portal.alerts import HourUse, Outcome
from services.portal.energy import hour_energy
from services.portal.errors import NotFoundError
from services.portal.household_settings import HouseholdSettings
from services.portal.ports import Notifier, StoredAlert
from services.portal.views import PortalPorts, current_position, settings_of

logger = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
STATE_ATTEMPTS = 3


@dataclass(frozen=True)
class AlertPorts:
    portal: PortalPorts
    notifier: Notifier


@dataclass
class AlertsOutcome:
    failed_households: set[str] = field(default_factory=set)
    raised: int = 0
    announced: int = 0
    resolved: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "failed_households": len(self.failed_households),
            "raised": self.raised,
            "announced": self.announced,
            "resolved": self.resolved,
        }


def evaluate_closed_hours(closed: Iterable[tuple[str, datetime]], ports: AlertPorts) -> AlertsOutcome:
    """`closed`: (household, hour) of each hour-closed event. A household whose evaluation fails is
    named in the outcome; its records are retried, which re-evaluates the same evidence."""
    by_household: dict[str, datetime] = {}
    for household_id, hour in closed:
        by_household[household_id] = max(hour, by_household.get(household_id, hour))
    outcome = AlertsOutcome()
    for household_id, hour in by_household.items():
        try:
            _evaluate(household_id, hour, ports, outcome)
        except DependencyError as exc:
            logger.warning("alerts of %s not evaluated; its records are retried: %s", household_id, exc)
            outcome.failed_households.add(household_id)
    return outcome


def _evaluate(household_id: str, hour: datetime, ports: AlertPorts, outcome: AlertsOutcome) -> None:
    settings = settings_of(ports.portal, household_id)
    open_keys = [a.key for a in ports.portal.alerts.alerts(household_id, open_only=True)]
    silent = [k for k in open_keys if k.startswith(alerts.SILENT_METER + "#")]
    _apply(household_id, Outcome(resolved=silent), format_ts(hour), ports, outcome)  # readings came
    uses = _hour_uses(ports.portal, household_id, hour, settings)
    _apply(
        household_id,
        alerts.unusual_use_step(uses, settings.unusual_use, open_keys),
        format_ts(hour),
        ports,
        outcome,
    )
    if settings.budget is not None:
        _evaluate_budget(household_id, settings, ports, outcome)


def _hour_uses(
    portal: PortalPorts, household_id: str, hour: datetime, settings: HouseholdSettings
) -> list[HourUse]:
    first = hour - (settings.unusual_use.hours + 23) * HOUR
    energy = hour_energy(portal.hours.rows(household_id, first, hour))
    issued = portal.forecasts.hours_issued(household_id, first, hour)
    key = "kw" if settings.unusual_use.bound == "p50" else "kw_p90"
    uses = []
    for h in energy:
        forecast = issued.get(format_ts(h.hour))
        bound = forecast[key][0] if forecast and key in forecast else None
        uses.append(HourUse(h.hour, h.kwh, bound))
    return uses


def _evaluate_budget(
    household_id: str, settings: HouseholdSettings, ports: AlertPorts, outcome: AlertsOutcome
) -> None:
    assert settings.budget is not None
    try:
        _, position = current_position(ports.portal, household_id, settings)
    except NotFoundError:
        return
    projected = position.projected(settings.budget.unit)
    if projected is None or position.as_of is None:
        return
    name = alerts.budget_state_name(str(position.month))
    for _ in range(STATE_ATTEMPTS):  # another invocation may have moved the state meanwhile
        state, version = ports.portal.alerts.state(household_id, name)
        step = alerts.budget_step(
            state,
            month=str(position.month),
            as_of=position.as_of,
            projected=projected,
            budget=settings.budget,
            thresholds=settings.budget_thresholds,
        )
        if step.state is None or ports.portal.alerts.save_state(household_id, name, step.state, version):
            _apply(household_id, step, position.as_of, ports, outcome)
            return
    raise DependencyError(f"the budget state of {household_id} kept changing under {STATE_ATTEMPTS} attempts")


def _apply(household_id: str, step: Outcome, when: str, ports: AlertPorts, outcome: AlertsOutcome) -> None:
    store = ports.portal.alerts
    for raised in step.raised:
        alert = StoredAlert(
            raised.key, raised.kind, "open", raised.raised_for, raised.message, raised.details, notified=False
        )
        existing = store.add(household_id, alert)
        outcome.raised += existing is None
        if existing is None or not existing.notified:
            ports.notifier.publish(household_id, existing or alert)
            store.mark_notified(household_id, alert.key)
            outcome.announced += 1
    for key in step.resolved:
        outcome.resolved += store.resolve(household_id, key, when)


def sweep_silent_meters(ports: AlertPorts) -> AlertsOutcome:
    """Raise a silent-meter alert for each household whose newest reading is further behind the
    fleet's newest than its setting allows. The fleet's clock, not the wall clock: a replay of old
    data, or a pipeline stopped as a whole, does not make every meter silent."""
    outcome = AlertsOutcome()
    latest = ports.portal.clocks.latest_readings()
    if not latest:
        return outcome
    fleet = max(latest.values())
    for household_id, reading in sorted(latest.items()):
        if fleet - reading <= HOUR:  # the shortest setting: nothing to look up
            continue
        try:
            settings = settings_of(ports.portal, household_id)
            open_keys = [a.key for a in ports.portal.alerts.alerts(household_id, open_only=True)]
            step = alerts.silent_meter_step(reading, fleet, settings.silent_meter_hours, open_keys)
            _apply(household_id, step, format_ts(fleet), ports, outcome)
        except DependencyError as exc:
            logger.warning("silent-meter check of %s failed: %s", household_id, exc)
            outcome.failed_households.add(household_id)
    return outcome
