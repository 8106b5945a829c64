"""The recent holdout, and a bundle's error on it as served.

The holdout is the last `retrain_holdout_days` days of the hourly table (every household's hours from
midnight UTC that many days before the day after the newest stored hour). Bundles are unpacked, loaded
and invoked by the forecaster's own code (`scripts.evaluation.served.ServedBundle`), with the requests
preprocess sends:

- LSTM: a forecast from every origin whose first target hour is in the holdout, each with the hours
  before it (up to two weeks); the score is the RMSE (kW) over every measured target hour of every
  lead and household (the next 24 hours), on the cases both models forecast;
- Prophet default: from the holdout's first day (or each later month's first day), the month's
  measured days before it; the score is the RMSE (kWh) of each forecast day in the holdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from scripts.data.hourly_store import holdout_start, household_ids, newest_hour, store_series
from scripts.evaluation.next_hours import backtest
from scripts.evaluation.served import ServedBundle
from scripts.registry.bundles import RegistryError
from scripts.registry.promotion import Comparison
from services.core import bundle_format as fmt
from services.core import features
from services.core.clients import AwsClients
from services.core.model_pointer import ModelSlot

Floats = npt.NDArray[np.float64]
METRICS = {ModelSlot.LSTM: "rmse_kw_next_24h_all_leads", ModelSlot.PROPHET_DEFAULT: "rmse_kwh_per_day"}
FLAVOURS = {ModelSlot.LSTM: fmt.Flavour.LSTM, ModelSlot.PROPHET_DEFAULT: fmt.Flavour.PROPHET}


@dataclass(frozen=True)
class Holdout:
    first_hour: int  # epoch hours: the first hour scored
    last_hour: int  # the newest stored hour
    series: dict[str, features.HourlySeries]  # each household's hours from two weeks before first_hour

    @property
    def window(self) -> tuple[str, str]:
        return features.hour_ts(self.first_hour), features.hour_ts(self.last_hour)


def load_holdout(clients: AwsClients, days: int, households: Sequence[str] | None = None) -> Holdout:
    wanted = list(households) if households else household_ids(clients)
    newest = newest_hour(clients, wanted)
    start = holdout_start(newest, days)
    context = start - timedelta(hours=features.MAX_LOOKBACK)
    series = store_series(clients, wanted, first=context, last=newest)
    first = int(start.timestamp()) // features.SECONDS_PER_HOUR
    return Holdout(first, int(newest.timestamp()) // features.SECONDS_PER_HOUR, series)


@dataclass(frozen=True)
class Forecasts:
    """A bundle's forecasts of the holdout and the truth, aligned (cases, leads); NaN where none."""

    forecast: Floats
    actual: Floats


def lstm_forecasts(bundle: ServedBundle, holdout: Holdout) -> Forecasts:
    """From every origin o in [first_hour - 1, last_hour - 1] of every household: leads 1..horizon."""
    horizon = int(bundle.metadata["horizon"])
    origins = np.arange(holdout.first_hour - 1, holdout.last_hour, dtype=np.int64)
    forecasts, actuals = [], []
    for household in sorted(holdout.series):
        series = holdout.series[household]
        forecast = np.full((len(origins), horizon), np.nan)
        result = backtest(bundle, series, holdout.first_hour)
        rows = result.origins - origins[0]
        forecast[rows] = result.point
        forecasts.append(forecast)
        actuals.append(_actual_kw(series, origins, horizon))
    return Forecasts(np.concatenate(forecasts), np.concatenate(actuals))


def _actual_kw(series: features.HourlySeries, origins: npt.NDArray[np.int64], horizon: int) -> Floats:
    power = series.values[:, features.HOURLY_MEASURES.index(features.TARGET)]
    targets = origins[:, None] + np.arange(1, horizon + 1)[None, :] - series.start
    inside = (targets >= 0) & (targets < len(power))
    return np.where(inside, power[np.clip(targets, 0, len(power) - 1)], np.nan)


def prophet_forecasts(bundle: ServedBundle, holdout: Holdout) -> Forecasts:
    """Each household's holdout days, forecast from the first holdout day of their month."""
    first_day, last_day = holdout.first_hour // 24, holdout.last_hour // 24
    forecasts, actuals = [], []
    for household in sorted(holdout.series):
        daily = dict(features.daily_energy_kwh(holdout.series[household]))
        for as_of, end in _month_runs(first_day, last_day):
            month_start = _month_start(as_of)
            measured = [
                {"date": _iso(day), "kwh": round(kwh, 4)}
                for day, kwh in sorted(daily.items())
                if month_start <= day < as_of
            ]
            answer = bundle.ask({"household_id": household, "as_of": _iso(as_of), "days": measured})
            predicted = {day["date"]: day["kwh"] for day in answer["forecast"]}
            for day in range(as_of, end + 1):
                forecasts.append(predicted.get(_iso(day), np.nan))
                actuals.append(daily.get(day, np.nan))
    return Forecasts(np.asarray(forecasts, dtype=np.float64)[:, None], np.asarray(actuals)[:, None])


def _month_runs(first_day: int, last_day: int) -> list[tuple[int, int]]:
    """(first, last) epoch day of each month's part of [first_day, last_day]."""
    runs, day = [], first_day
    while day <= last_day:
        start = _date(day)
        following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
        end = min(last_day, int(following.timestamp()) // 86_400 - 1)
        runs.append((day, end))
        day = end + 1
    return runs


def _month_start(day: int) -> int:
    when = _date(day)
    return int(datetime(when.year, when.month, 1, tzinfo=UTC).timestamp()) // 86_400


def _date(day: int) -> datetime:
    return datetime.fromtimestamp(day * 86_400, UTC)


def _iso(day: int) -> str:
    return _date(day).date().isoformat()


def scores(challenger: Forecasts, champion: Forecasts | None) -> tuple[float | None, float | None, int]:
    """(challenger RMSE, champion RMSE, pairs) on the cases and leads both forecast (the
    challenger's own when there is no champion)."""
    leads = (
        challenger.forecast.shape[1]
        if champion is None
        else min(challenger.forecast.shape[1], champion.forecast.shape[1])
    )
    actual = challenger.actual[:, :leads]
    usable = ~np.isnan(actual) & ~np.isnan(challenger.forecast[:, :leads])
    if champion is not None:
        usable &= ~np.isnan(champion.forecast[:, :leads])

    def rmse(forecasts: Forecasts | None) -> float | None:
        if forecasts is None or not usable.any():
            return None
        error = forecasts.forecast[:, :leads][usable] - actual[usable]
        return round(float(np.sqrt(np.mean(error**2))), 4)

    return rmse(challenger), rmse(champion), int(usable.sum())


class HoldoutEvaluator:
    """Scores bundles of a slot on one holdout (the `Evaluator` port of the promotion)."""

    def __init__(self, holdout: Holdout) -> None:
        self._holdout = holdout

    def compare(
        self, slot: ModelSlot, champion: tuple[str, Path | None], challenger: tuple[str, Path]
    ) -> Comparison:
        challenged = self._forecasts(slot, *challenger)
        defended = self._forecasts(slot, champion[0], champion[1]) if champion[1] is not None else None
        challenger_score, champion_score, pairs = scores(challenged, defended)
        return Comparison(
            metric=METRICS[slot],
            window=self._holdout.window,
            households=len(self._holdout.series),
            pairs=pairs,
            champion=champion[0],
            champion_score=champion_score,
            challenger=challenger[0],
            challenger_score=challenger_score,
        )

    def _forecasts(self, slot: ModelSlot, target: str, archive: Path) -> Forecasts:
        with ServedBundle(archive, target.replace("/", "__")) as bundle:
            if bundle.model.flavour is not FLAVOURS[slot]:
                raise RegistryError(f"{target} is a {bundle.model.flavour} bundle, not a {slot.value} model")
            if slot is ModelSlot.LSTM:
                return lstm_forecasts(bundle, self._holdout)
            return prophet_forecasts(bundle, self._holdout)
