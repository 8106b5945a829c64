"""The month projection's one contract: what is asked of a household's Prophet bundle (its month's
measured days before `as_of`) and the forecasts-table item its answer becomes (`month#<yyyy-mm>#<as_of>`).
Preprocess (the endpoint route) and the nightly projections (the batch route) both use it, so the two
routes store the same item for the same answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from services.core import features
from services.core.forecast_store import ForecastItem
from services.core.hourly import HourlyRow, hours_payload
from services.core.settings import Settings

ANSWER_FIELDS = (
    "month",
    "actual_to_date_kwh",
    "projected_month_kwh",
    "projected_month_kwh_lower",
    "projected_month_kwh_upper",
    "forecast",
)


def projection_request(household_id: str, as_of: date, rows: Sequence[HourlyRow]) -> dict[str, Any]:
    """Prophet's request: the measured days of `as_of`'s month before it, in kWh (the shared definition)."""
    month_start = datetime(as_of.year, as_of.month, 1, tzinfo=UTC)
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    month = [r for r in rows if month_start <= r.hour < end]
    days = []
    if month:
        series = features.series_from_hours(hours_payload(month, month_start, end))
        days = [
            {"date": datetime.fromtimestamp(day * 86_400, UTC).date().isoformat(), "kwh": round(kwh, 4)}
            for day, kwh in features.daily_energy_kwh(series)
        ]
    return {"household_id": household_id, "as_of": as_of.isoformat(), "days": days}


def projection_item(
    household_id: str, as_of: date, answer: dict[str, Any], model: str, *, arrival: float, settings: Settings
) -> ForecastItem:
    """`arrival`: when the data behind it arrived (the closing reading's arrival on the endpoint route,
    the job's start on the batch route); the item expires `forecast_ttl_days` after it."""
    samples = answer.get("remaining_kwh_samples")
    return ForecastItem(
        household_id,
        f"month#{answer['month']}#{as_of.isoformat()}",
        {
            "kind": "month",
            "as_of": as_of.isoformat(),
            **{k: answer[k] for k in ANSWER_FIELDS},
            **({"remaining_kwh_samples": samples} if samples is not None else {}),
            "model": model,
            "event_arrival": arrival,
            "expires_at": int(arrival) + settings.forecast_ttl_days * 86_400,
        },
    )
