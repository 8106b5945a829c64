"""Prophet bundle handler: the rest of the month for one household (DESIGN.md, forecast requests).

Request: {"household_id", "as_of": "2010-11-15", "days": [{"date", "kwh"}, ...]} with the measured
days of the month before `as_of`. Answer: month-to-date actuals, a forecast (with an interval) for
each remaining day, and the projected month total with an interval taken from Prophet's joint
predictive samples (summed per sample, so the interval of the total is honest, not a sum of bounds);
the samples of the remaining total themselves as `remaining_kwh_samples`, for intervals of derived
figures such as the cost.

Month-to-date level: a bundle whose metadata sets "level_adjustment": "month_to_date" (the default
model, which serves households without their own) rescales its forecast by the ratio of measured to
modelled kWh over the measured days (at least MIN_DAYS_FOR_LEVEL, bounded to LEVEL_BOUNDS), so it
forecasts any household on that household's scale. A household's own model does not: on the UCI test
months the ratio from two weeks is noisier than the model's own level (see the training metrics).
With `Accept: image/png` the answer is a picture of the household's month (measured days, the rest
with its interval, the projected total), Prophet's components and the household's hourly profile.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from calendar import monthrange
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


class BadRequest(ValueError):
    """The request cannot be projected as sent; the message names the field (a 400 for the caller)."""


BAD_INPUT = (BadRequest,)  # any other exception here is a bug in this bundle (a 500)
BUNDLE = Path(__file__).resolve().parent.parent
METADATA = json.loads((BUNDLE / "metadata.json").read_text()) if (BUNDLE / "metadata.json").exists() else {}
MIN_DAYS_FOR_LEVEL = 3
LEVEL_BOUNDS = (0.2, 5.0)
_lock = threading.Lock()  # Prophet's sampling uses numpy's global state and the model's attributes
_model: Any = None


def handler(data: Any, context: Any) -> tuple[Any, str]:
    request = _parse(_read_json(data))
    model = getattr(context, "model", None) or _own_model()
    metadata = getattr(context, "metadata", None) or METADATA
    with _lock:
        np.random.seed(
            _seed(request)
        )  # the same request gets the same samples: a retried write changes nothing
        if "image/png" in (getattr(context, "accept_header", None) or ""):
            return _plot(model, request, metadata), "image/png"
        answer = _project(model, request, metadata)
    return json.dumps(answer), "application/json"


def _seed(request: dict[str, Any]) -> int:
    text = json.dumps(
        [
            request["household_id"],
            str(request["as_of"]),
            sorted((str(d), v) for d, v in request["actuals"].items()),
        ]
    )
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def _own_model() -> Any:
    global _model
    if _model is None:
        from prophet.serialize import model_from_json

        _model = model_from_json((BUNDLE / "model.json").read_text())
    return _model


def _read_json(data: Any) -> Any:
    raw = data.read() if hasattr(data, "read") else data
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"body: not JSON ({exc})") from exc


def _parse(request: Any) -> dict[str, Any]:
    if not isinstance(request, dict):
        raise BadRequest("body: a JSON object {household_id, as_of, days} is required")
    as_of = _date(request.get("as_of"), "as_of")
    month_start = as_of.replace(day=1)
    days = request.get("days", [])
    if not isinstance(days, list):
        raise BadRequest("days: a list of {date, kwh} objects is required")
    actuals: dict[date, float] = {}
    for i, day in enumerate(days):
        if not isinstance(day, dict):
            raise BadRequest(f"days[{i}] must be an object")
        when = _date(day.get("date"), f"days[{i}].date")
        if not month_start <= when < as_of:
            raise BadRequest(f"days[{i}].date {when} is not in the month of as_of before {as_of}")
        kwh = day.get("kwh")
        if isinstance(kwh, bool) or not isinstance(kwh, int | float) or not np.isfinite(kwh) or kwh < 0:
            raise BadRequest(f"days[{i}].kwh must be a non-negative number")
        actuals[when] = float(kwh)
    return {"household_id": request.get("household_id"), "as_of": as_of, "actuals": actuals}


def _date(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be an ISO date string like 2010-11-15")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise BadRequest(f"{field} {value!r} is not an ISO date") from exc


def _project(model: Any, request: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    as_of, actuals = request["as_of"], request["actuals"]
    month_start = as_of.replace(day=1)
    month_end = as_of.replace(day=monthrange(as_of.year, as_of.month)[1])
    dates = pd.date_range(month_start, month_end, freq="D")
    samples = np.maximum(model.predictive_samples(pd.DataFrame({"ds": dates}))["yhat"], 0.0)
    level = _level(samples, dates, actuals) if metadata.get("level_adjustment") == "month_to_date" else 1.0
    remaining = np.asarray(dates.date >= as_of)
    future = samples[remaining] * level
    width = getattr(model, "interval_width", 0.8)
    low_q, high_q = 50 * (1 - width), 50 * (1 + width)
    actual_total = sum(actuals.values())
    totals = actual_total + future.sum(axis=0)
    return {
        "household_id": request["household_id"],
        "month": f"{as_of.year:04d}-{as_of.month:02d}",
        "actual_to_date_kwh": round(actual_total, 4),
        "forecast": [
            {
                "date": day.isoformat(),
                "kwh": round(float(np.median(row)), 4),
                "kwh_lower": round(float(np.percentile(row, low_q)), 4),
                "kwh_upper": round(float(np.percentile(row, high_q)), 4),
            }
            for day, row in zip(dates.date[remaining], future, strict=True)
        ],
        "projected_month_kwh": round(float(np.median(totals)), 4),
        "projected_month_kwh_lower": round(float(np.percentile(totals, low_q)), 4),
        "projected_month_kwh_upper": round(float(np.percentile(totals, high_q)), 4),
        "level_adjustment": round(level, 4),
        "interval_width": width,
        # the joint samples of the remaining days' total: a cost interval comes from the same draws
        "remaining_kwh_samples": np.round(future.sum(axis=0), 3).tolist(),
    }


def _level(samples: np.ndarray, dates: pd.DatetimeIndex, actuals: dict[date, float]) -> float:
    if len(actuals) < MIN_DAYS_FOR_LEVEL:
        return 1.0
    measured = np.isin(dates.date, list(actuals))
    modelled = float(np.median(samples[measured], axis=1).sum())
    if modelled <= 0:
        return 1.0
    return float(np.clip(sum(actuals.values()) / modelled, *LEVEL_BOUNDS))


def _plot(model: Any, request: dict[str, Any], metadata: dict[str, Any]) -> bytes:
    """The household's month (measured days, the rest with its interval, the projected total), then
    Prophet's components over the month, then the household's hourly profile, stacked in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    answer = _project(model, request, metadata)
    as_of = request["as_of"]
    month_end = as_of.replace(day=monthrange(as_of.year, as_of.month)[1])
    dates = pd.date_range(as_of.replace(day=1), month_end, freq="D")
    components = model.plot_components(model.predict(pd.DataFrame({"ds": dates})))
    for axis in components.axes:
        axis.tick_params(axis="x", labelrotation=30)
    components.tight_layout()
    figures = [_month_figure(plt, request, answer), components]
    profile = metadata.get("hourly_profile_kw")
    if profile:
        figures.append(_profile_figure(plt, profile))
    images = []
    for figure in figures:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        plt.close(figure)
        buffer.seek(0)
        images.append(mpimg.imread(buffer))
    width = max(image.shape[1] for image in images)
    padded = [np.pad(i, ((0, 0), (0, width - i.shape[1]), (0, 0)), constant_values=1.0) for i in images]
    out = io.BytesIO()
    mpimg.imsave(out, np.concatenate(padded, axis=0), format="png")
    return out.getvalue()


def _month_figure(plt: Any, request: dict[str, Any], answer: dict[str, Any]) -> Any:
    figure, axis = plt.subplots(figsize=(9, 4))
    measured = sorted(request["actuals"].items())
    if measured:
        axis.bar([d for d, _ in measured], [v for _, v in measured], color="tab:blue", label="measured")
    days = [date.fromisoformat(d["date"]) for d in answer["forecast"]]
    axis.plot(days, [d["kwh"] for d in answer["forecast"]], color="tab:orange", marker="o", label="forecast")
    axis.fill_between(
        days,
        [d["kwh_lower"] for d in answer["forecast"]],
        [d["kwh_upper"] for d in answer["forecast"]],
        color="tab:orange",
        alpha=0.25,
        label=f"{answer['interval_width']:.0%} interval",
    )
    axis.set_title(
        f"Household {request['household_id']}, {answer['month']}: projected "
        f"{answer['projected_month_kwh']:.0f} kWh ({answer['projected_month_kwh_lower']:.0f}"
        f"-{answer['projected_month_kwh_upper']:.0f}), {answer['actual_to_date_kwh']:.0f} kWh so far"
    )
    axis.set_xlabel("day")
    axis.set_ylabel("energy (kWh per day)")
    axis.legend(loc="upper left")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def _profile_figure(plt: Any, profile: dict[str, list[float | None]]) -> Any:
    figure, axis = plt.subplots(figsize=(9, 2.6))
    for name, values in profile.items():
        axis.plot(range(24), [np.nan if v is None else v for v in values], marker=".", label=name)
    axis.set_title("daily profile: mean power by hour (training period)")
    axis.set_xlabel("hour of day (UTC)")
    axis.set_ylabel("power (kW)")
    axis.set_xticks(range(0, 24, 3))
    axis.legend()
    figure.tight_layout()
    return figure
