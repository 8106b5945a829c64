"""The accuracy table's items, both ways (one owner of their keys and attributes).

hour#<ts>         the hour's actual and each lead's forecast and band verdict
day#<date>        the day's error sums by lead (they add over any window of days)
month#<yyyy-mm>   each projection of the month against its measured kWh
drift             the drift mark: steady or drifting, since when, the newest day's ratio
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from services.accuracy.ports import ScoreItem
from services.accuracy.scoring import ErrorSums, HourScore, LeadScore, LeadSums, ProjectionScore
from services.core.reading import format_ts, parse_ts

DRIFT_KEY, ROLLING_KEY = "drift", "rolling"
_BAND = {True: 1, False: 0, None: -1}
_BAND_OF = {1: True, 0: False, -1: None}


def hour_key(hour: datetime) -> str:
    return f"hour#{format_ts(hour)}"


def day_key(day: date) -> str:
    return f"day#{day.isoformat()}"


def month_key(month: str) -> str:
    return f"month#{month}"


def hour_item(score: HourScore, expires_at: int) -> ScoreItem:
    return ScoreItem(
        score.household_id,
        hour_key(score.hour),
        {
            "hour": format_ts(score.hour),
            "actual_kw": score.actual_kw,
            "leads": [[s.lead, s.forecast_kw, _BAND[s.in_band]] for s in score.leads],
            "model": most_common(s.model for s in score.leads),
            "expires_at": expires_at,
        },
    )


def hour_score(household_id: str, item: Mapping[str, Any]) -> HourScore:
    hour = parse_ts(str(item["hour"]))
    if isinstance(hour, str):
        raise ValueError(f"not an hour: {item['hour']!r}")
    model = str(item.get("model", ""))
    leads = tuple(
        LeadScore(int(lead), float(forecast), _BAND_OF[int(band)], model)
        for lead, forecast, band in item["leads"]
    )
    return HourScore(household_id, hour, float(item["actual_kw"]), leads)


def same_score(score: HourScore, item: Mapping[str, Any] | None) -> bool:
    """Whether a stored hour item already says what `score` says (its time to live aside)."""
    if item is None:
        return False
    fresh = hour_item(score, 0).attributes
    return all(item.get(k) == fresh[k] for k in ("actual_kw", "leads", "model"))


def day_item(
    household_id: str, day: date, sums: ErrorSums, model: str, hours: int, *, expires_at: int
) -> ScoreItem:
    attributes = {"day": day.isoformat(), "sums": sums.as_attributes(), "model": model, "hours": hours}
    return ScoreItem(household_id, day_key(day), attributes | {"expires_at": expires_at})


def day_sums(item: Mapping[str, Any]) -> tuple[date, ErrorSums, str]:
    return (
        date.fromisoformat(str(item["day"])),
        ErrorSums.from_attributes(item["sums"]),
        str(item.get("model", "")),
    )


def rolling_item(
    partition: str, newest: date, days: Mapping[date, ErrorSums], model: str, *, expires_at: int
) -> ScoreItem:
    """The rolling error by lead over the window's days (MAE, RMSE, band coverage), as of `newest`."""
    window = ErrorSums()
    for sums in days.values():
        window.add(sums)
    attributes = {
        "as_of": newest.isoformat(),
        "first_day": min(days).isoformat(),
        "days": len(days),
        "model": model,
        "by_lead": {str(lead): lead_summary(sums) for lead, sums in sorted(window.by_lead.items())},
        "overall": lead_summary(window.overall()),
        "expires_at": expires_at,
    }
    return ScoreItem(partition, ROLLING_KEY, attributes)


def lead_summary(sums: LeadSums) -> dict[str, Any]:
    return {
        "pairs": sums.count,
        "mae_kw": _round(sums.mae_kw),
        "rmse_kw": _round(sums.rmse_kw),
        "mean_actual_kw": _round(sums.mean_actual_kw),
        "coverage": _round(sums.coverage),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def month_item(
    household_id: str,
    month: str,
    actual_kwh: float,
    scores: list[ProjectionScore],
    coverage: float,
    *,
    expires_at: int,
) -> ScoreItem:
    """`coverage`: the share of the month's hours measured (below 1 the actual is short)."""
    attributes = {
        "month": month,
        "actual_kwh": round(actual_kwh, 3),
        "hours_measured_share": round(coverage, 4),
        "projections": [s.as_json(actual_kwh) for s in scores],
        "expires_at": expires_at,
    }
    return ScoreItem(household_id, month_key(month), attributes)


def most_common(values: Iterable[str]) -> str:
    counts = Counter(values)
    return counts.most_common(1)[0][0] if counts else ""
