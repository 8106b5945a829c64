"""LSTM features, once: hourly grid, missing hours, per-window scaling, calendar features, windows.

Training (`scripts/train_lstm.py`) and the LSTM bundle's `code/inference.py` both call these
functions, so the model sees the same numbers offline and online. The packager copies this file into
each bundle as `code/lib/wattcast_features.py`: it must stay self-contained (stdlib + numpy only).

Scaling is per window and per household: each measure is standardised by the mean and standard
deviation of the observed hours of the lookback window the model reads. A household that uses three
times as much as another is forecast on its own scale, and the scaling parameters come from the
request itself, never from a table that could drift.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

HOURLY_MEASURES: tuple[str, ...] = (
    "global_active_power",
    "global_reactive_power",
    "voltage",
    "global_intensity",
    "sub_metering_1",
    "sub_metering_2",
    "sub_metering_3",
)
TARGET = "global_active_power"
CALENDAR: tuple[str, ...] = ("hour_sin", "hour_cos", "dow_sin", "dow_cos")
CHANNELS: tuple[str, ...] = (*HOURLY_MEASURES, "observed", *CALENDAR)
MAX_LOOKBACK = 336
MAX_HORIZON = 24
_MEASURES_OF = operator.itemgetter(*HOURLY_MEASURES)
HOURS_PER_WEEK = 168
MIN_STD = 1e-3  # a flat measure (e.g. an idle sub-meter) must not blow up when standardised
SECONDS_PER_HOUR = 3600

Floats = npt.NDArray[np.float64]


class FeatureError(ValueError):
    """The request cannot be turned into a model input; the message says why (a 400 for callers)."""


@dataclass(frozen=True)
class WindowSpec:
    lookback: int
    horizon: int

    def __post_init__(self) -> None:
        if not 1 <= self.lookback <= MAX_LOOKBACK:
            raise FeatureError(f"lookback must be 1..{MAX_LOOKBACK} hours, got {self.lookback}")
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise FeatureError(f"horizon must be 1..{MAX_HORIZON} hours, got {self.horizon}")


@dataclass(frozen=True)
class Scaling:
    """Per-measure mean and standard deviation of one window (in HOURLY_MEASURES order)."""

    mean: Floats
    std: Floats

    @property
    def target_mean(self) -> float:
        return float(self.mean[HOURLY_MEASURES.index(TARGET)])

    @property
    def target_std(self) -> float:
        return float(self.std[HOURLY_MEASURES.index(TARGET)])


@dataclass(frozen=True)
class HourlySeries:
    """Hourly means on a gap-free grid: `start` is the first hour (epoch hours), NaN = not measured."""

    start: int
    values: Floats  # (hours, len(HOURLY_MEASURES))

    @property
    def last(self) -> int:
        return self.start + len(self.values) - 1


def epoch_hour(ts: str) -> int:
    """'2010-01-07T13:00:00Z' -> hours since the epoch; the timestamp must be on a whole hour."""
    try:
        moment = datetime.fromisoformat(ts)
    except (TypeError, ValueError) as exc:
        raise FeatureError(f"ts {ts!r} is not an ISO-8601 timestamp") from exc
    if moment.tzinfo is None:
        raise FeatureError(f"ts {ts!r} has no time zone; send UTC with a 'Z' suffix")
    seconds = moment.timestamp()
    if seconds % SECONDS_PER_HOUR:
        raise FeatureError(f"ts {ts!r} is not the start of an hour")
    return int(seconds) // SECONDS_PER_HOUR


def hour_ts(epoch_hours: int) -> str:
    return datetime.fromtimestamp(epoch_hours * SECONDS_PER_HOUR, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_timestamps(first_hour: int, count: int) -> list[str]:
    """ISO timestamps of `count` consecutive hours from `first_hour` (vectorised `hour_ts`)."""
    hours = np.arange(first_hour, first_hour + count).astype("datetime64[h]")
    return list(np.char.add(np.datetime_as_string(hours, unit="s"), "Z").tolist())


def _epoch_hours(stamps: list[Any]) -> npt.NDArray[np.int64]:
    """Hours since the epoch of each `ts`: one comparison when they are consecutive hours in the
    canonical form (the usual request), a full parse of each otherwise."""
    if stamps and isinstance(stamps[0], str) and stamps[0].endswith(":00:00Z"):
        first = epoch_hour(stamps[0])
        if stamps == hour_timestamps(first, len(stamps)):
            return np.arange(first, first + len(stamps), dtype=np.int64)
    return np.array([epoch_hour(ts) for ts in stamps], dtype=np.int64)


def series_from_hours(hours: Sequence[Mapping[str, Any]]) -> HourlySeries:
    """Place a request's hours on the hourly grid by their `ts`; absent hours and nulls become NaN."""
    if not isinstance(hours, list) or not hours:
        raise FeatureError("hours must be a non-empty list of {ts, measures...} objects")
    if not all(isinstance(hour, dict) for hour in hours):
        raise FeatureError("every element of hours must be an object")
    try:  # every measure present (null or not): the usual request
        rows = [list(_MEASURES_OF(hour)) for hour in hours]
    except KeyError:
        rows = [[hour.get(m) for m in HOURLY_MEASURES] for hour in hours]
    values = _as_floats(rows)
    positions = _epoch_hours([hour.get("ts") for hour in hours])
    start, last = int(positions.min()), int(positions.max())
    if last - start >= 100 * MAX_LOOKBACK:
        raise FeatureError(f"hours span {last - start + 1} hours; send at most the last {MAX_LOOKBACK}")
    grid = np.full((last - start + 1, len(HOURLY_MEASURES)), np.nan)
    grid[positions - start] = values  # a repeated ts: the later one wins
    return HourlySeries(start, grid)


def _as_floats(rows: list[list[Any]]) -> Floats:
    """Rows of JSON numbers or nulls -> floats (NaN for null), refusing strings, booleans and infinities."""
    kinds = set(map(type, itertools.chain.from_iterable(rows)))
    if not all(_numeric_or_null(kind) for kind in kinds):
        for i, row in enumerate(rows):
            for name, value in zip(HOURLY_MEASURES, row, strict=True):
                if not _numeric_or_null(type(value)):
                    raise FeatureError(
                        f"hours[{i}].{name} must be a number or null, got {type(value).__name__}"
                    )
    values = np.array(rows, dtype=np.float64)
    if np.isinf(values).any():
        raise FeatureError("hours hold an infinite value")
    return values


def hourly_from_minutes(minutes: npt.NDArray[np.int64], values: Floats) -> HourlySeries:
    """Minute readings -> hourly means of each hour's valid minutes (what ingest stores: sum / count).

    `minutes` are minutes since the epoch (any order, no duplicates), `values` (n, 7) with NaN where
    a minute did not measure. An hour with no valid minute for a measure is NaN for it.
    """
    hours = minutes // 60
    start = int(hours.min())
    index = hours - start
    size = int(index.max()) + 1
    valid = ~np.isnan(values)
    means = np.full((size, values.shape[1]), np.nan)
    for column in range(values.shape[1]):
        sums = np.bincount(index, weights=np.where(valid[:, column], values[:, column], 0.0), minlength=size)
        counts = np.bincount(index, weights=valid[:, column], minlength=size)
        np.divide(sums, counts, out=means[:, column], where=counts > 0)
    return HourlySeries(start, means)


def _numeric_or_null(kind: type) -> bool:
    return kind is type(None) or (issubclass(kind, int | float) and not issubclass(kind, bool))


def window_scaling(window: Floats) -> Scaling:
    """Mean and std of each measure over the window's observed hours (0 and 1 when none is)."""
    observed = ~np.isnan(window)
    counts = observed.sum(axis=0)
    filled = np.where(observed, window, 0.0)
    mean = np.divide(filled.sum(axis=0), counts, out=np.zeros(window.shape[1]), where=counts > 0)
    spread = np.where(observed, window - mean, 0.0)
    var = np.divide((spread**2).sum(axis=0), counts, out=np.ones(window.shape[1]), where=counts > 0)
    return Scaling(mean, np.maximum(np.sqrt(var), MIN_STD))


def calendar_features(first_hour: int, count: int) -> Floats:
    """Hour-of-day and day-of-week on the unit circle; depends only on the hour of the week."""
    return _calendar(first_hour % HOURS_PER_WEEK, count)


@lru_cache(maxsize=4 * HOURS_PER_WEEK)
def _calendar(first_hour: int, count: int) -> Floats:
    hours = np.arange(first_hour, first_hour + count)
    hour_of_day = hours % 24
    day_of_week = (hours // 24 + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    table = np.stack(
        [
            np.sin(2 * np.pi * hour_of_day / 24),
            np.cos(2 * np.pi * hour_of_day / 24),
            np.sin(2 * np.pi * day_of_week / 7),
            np.cos(2 * np.pi * day_of_week / 7),
        ],
        axis=1,
    )
    table.setflags(write=False)  # shared by every caller through the cache
    return table


def encode_window(window: Floats, first_hour: int) -> tuple[npt.NDArray[np.float32], Scaling]:
    """The model input for one window of raw hourly means: (hours, len(CHANNELS)) float32.

    Measures are standardised with the window's own scaling; a missing hour takes the last measured
    value before it (the window's mean, 0, at the start) and its `observed` channel is 0. Nothing
    absolute is left, so a household is forecast on its own scale (absolute levels are the lag
    features' job, for the tree member).
    """
    scaling = window_scaling(window)
    scaled = (window - scaling.mean) / scaling.std
    observed = ~np.isnan(window[:, HOURLY_MEASURES.index(TARGET)])
    scaled = _forward_fill(scaled)
    encoded = np.concatenate(
        [scaled, observed[:, None].astype(np.float64), calendar_features(first_hour, len(window))], axis=1
    )
    return encoded.astype(np.float32), scaling


def _forward_fill(values: Floats) -> Floats:
    rows = np.arange(len(values))[:, None]
    last_seen = np.where(~np.isnan(values), rows, -1)
    np.maximum.accumulate(last_seen, axis=0, out=last_seen)
    filled = values[np.maximum(last_seen, 0), np.arange(values.shape[1])]
    return np.where(last_seen >= 0, filled, 0.0)


def model_input(series: HourlySeries, spec: WindowSpec) -> tuple[npt.NDArray[np.float32], Scaling]:
    """The last `lookback` hours of a request's series, encoded; a 400-worthy error if too short."""
    if len(series.values) < spec.lookback:
        raise FeatureError(
            f"the model needs the last {spec.lookback} hours; the hours given span {len(series.values)}"
        )
    window = series.values[-spec.lookback :]
    if np.isnan(window[:, HOURLY_MEASURES.index(TARGET)]).all():
        raise FeatureError(f"none of the last {spec.lookback} hours has a measured {TARGET}")
    return encode_window(window, series.last - spec.lookback + 1)


def decode_forecast(predicted: Floats, scaling: Scaling) -> Floats:
    """Model output (standardised target) -> kW, never negative."""
    return np.maximum(predicted * scaling.target_std + scaling.target_mean, 0.0)


def encode_target(future: Floats, scaling: Scaling) -> Floats:
    """Training target: the next hours' TARGET means standardised with the input window's scaling."""
    return (future - scaling.target_mean) / scaling.target_std


@dataclass(frozen=True)
class Windows:
    """Training or evaluation windows, made by the serving code path."""

    inputs: npt.NDArray[np.float32]  # (N, lookback, len(CHANNELS))
    targets: Floats  # (N, horizon) standardised with each window's own scaling
    actual_kw: Floats  # (N, horizon) the target hours' means in kW
    origins: npt.NDArray[np.int64]  # (N,) last input hour, epoch hours
    target_mean: Floats  # (N,) scaling of each window's target measure
    target_std: Floats  # (N,)

    def to_kw(self, predicted: Floats) -> Floats:
        """Standardised predictions of these windows -> kW (the inverse of the scaling, >= 0)."""
        return np.maximum(predicted * self.target_std[:, None] + self.target_mean[:, None], 0.0)

    def __len__(self) -> int:
        return len(self.origins)


def training_windows(series: HourlySeries, spec: WindowSpec, origins: Sequence[int] | None = None) -> Windows:
    """Every window whose input has a measured target hour and whose whole horizon is measured.

    An origin is the last input hour (epoch hours); all of them by default.
    """
    target = series.values[:, HOURLY_MEASURES.index(TARGET)]
    every = range(series.start + spec.lookback - 1, series.last - spec.horizon + 1)
    candidates = every if origins is None else origins
    inputs, scaled, actual, kept, means, stds = [], [], [], [], [], []
    for origin in candidates:
        end = origin - series.start + 1
        if end < spec.lookback or end + spec.horizon > len(target):
            continue
        future = target[end : end + spec.horizon]
        window = series.values[end - spec.lookback : end]
        if np.isnan(future).any() or np.isnan(window[:, HOURLY_MEASURES.index(TARGET)]).all():
            continue
        encoded, scaling = encode_window(window, origin - spec.lookback + 1)
        inputs.append(encoded)
        scaled.append(encode_target(future, scaling))
        actual.append(future)
        kept.append(origin)
        means.append(scaling.target_mean)
        stds.append(scaling.target_std)
    if not inputs:
        empty = np.zeros((0, spec.horizon))
        return Windows(
            np.zeros((0, spec.lookback, len(CHANNELS)), np.float32),
            empty,
            empty,
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
        )
    return Windows(
        np.stack(inputs),
        np.stack(scaled),
        np.stack(actual),
        np.asarray(kept, np.int64),
        np.asarray(means),
        np.asarray(stds),
    )


MIN_HOURS_PER_DAY = 20  # a day with fewer measured hours has no trustworthy total


def daily_energy_kwh(series: HourlySeries) -> list[tuple[int, float]]:
    """(epoch day, kWh) of each UTC day with at least MIN_HOURS_PER_DAY measured hours.

    A day's energy is the mean active power of its measured hours times 24 h: missing hours take the
    day's mean, which is what the sum of minutes / 60 gives on a complete day.
    """
    power = series.values[:, HOURLY_MEASURES.index(TARGET)]
    days = (np.arange(series.start, series.last + 1)) // 24
    totals = []
    for day in np.unique(days):
        hours = power[days == day]
        measured = hours[~np.isnan(hours)]
        if len(measured) >= MIN_HOURS_PER_DAY:
            totals.append((int(day), float(measured.mean() * 24)))
    return totals


# Lag features for the gradient-boosted member (one model per lead) --------------------------------
# A window's features are absolute (kW, V, A, Wh: no per-window scaling) and come in two parts: the
# origin's (recent lags and rolling statistics, shared by every lead) and each lead's (its target hour's
# calendar and the same hour on each of the last 7 days). `lag_input` lays them out as one wide row,
# origin part then each lead's part, which the bundle's tree ensemble reads in a single call.
LAG_LOOKBACK = HOURS_PER_WEEK
TARGET_LAGS = 24
RECENT_MEANS = (3, 6, 12, 24, 72, 168)
SAME_HOUR_DAYS = 7
_OTHER_MEASURES = tuple(i for i, m in enumerate(HOURLY_MEASURES) if m != TARGET)
ORIGIN_FEATURES: tuple[str, ...] = (
    *(f"{TARGET}_lag{k}" for k in range(1, TARGET_LAGS + 1)),
    *(
        f"{HOURLY_MEASURES[m]}_{stat}"
        for m in _OTHER_MEASURES
        for stat in ("lag1", "lag2", "mean6", "mean24")
    ),
    *(f"{TARGET}_mean{n}" for n in RECENT_MEANS),
    f"{TARGET}_std24",
    f"{TARGET}_max24",
    f"{TARGET}_min24",
    "missing_share24",
    "origin_hour",
)
LEAD_FEATURES: tuple[str, ...] = (
    "lead",
    "hour_of_day",
    "day_of_week",
    "day_of_year_sin",
    "day_of_year_cos",
    *(f"same_hour_{k}d_ago" for k in range(1, SAME_HOUR_DAYS + 1)),
    "same_hour_mean7d",
    "same_hour_mean3d",
)


def lag_features(window: Floats, first_hour: int, horizon: int) -> tuple[Floats, Floats]:
    """(origin features (len(ORIGIN_FEATURES),), lead features (horizon, len(LEAD_FEATURES))) of a
    window of raw hourly means whose last hour is the origin; NaN where a value was not measured."""
    origin = first_hour + len(window) - 1
    window = _last_hours(window, LAG_LOOKBACK)
    power = window[:, HOURLY_MEASURES.index(TARGET)]
    others = window[:, _OTHER_MEASURES]
    means = _TailMeans(window)
    recent_power = power[-24:]
    measured_recent = recent_power[~np.isnan(recent_power)]
    spread = (
        [measured_recent.std(), measured_recent.max(), measured_recent.min()]
        if len(measured_recent)
        else [np.nan] * 3
    )
    target = HOURLY_MEASURES.index(TARGET)
    origin_part = np.concatenate(
        [
            power[::-1][:TARGET_LAGS],
            np.stack(
                [others[-1], others[-2], means.last(6)[_OTHER_MEASURES,], means.last(24)[_OTHER_MEASURES,]],
                axis=1,
            ).ravel(),
            [means.last(n)[target] for n in RECENT_MEANS],
            spread,
            [1.0 - len(measured_recent) / 24, origin % 24],
        ]
    )
    return origin_part, _lead_part(power, origin, horizon)


class _TailMeans:
    """Means of each column's measured values over the last n rows, for any n, from one cumulative sum."""

    def __init__(self, window: Floats) -> None:
        backwards = window[::-1]
        measured = ~np.isnan(backwards)
        self._sums = np.cumsum(np.where(measured, backwards, 0.0), axis=0)
        self._counts = np.cumsum(measured, axis=0)

    def last(self, hours: int) -> Floats:
        counts = self._counts[hours - 1]
        means: Floats = np.divide(
            self._sums[hours - 1], counts, out=np.full(len(counts), np.nan), where=counts > 0
        )
        return means


def _lead_part(power: Floats, origin: int, horizon: int) -> Floats:
    leads = np.arange(1, horizon + 1)
    same_hour = power[(LAG_LOOKBACK - 1) + leads[:, None] - 24 * np.arange(1, SAME_HOUR_DAYS + 1)[None, :]]
    target = origin + leads
    day_of_year = 2 * np.pi * ((target // 24) % 365.25) / 365.25
    return np.column_stack(
        [
            leads,
            target % 24,
            (target // 24 + 3) % 7,
            np.sin(day_of_year),
            np.cos(day_of_year),
            same_hour,
            _tail_mean(same_hour.T, SAME_HOUR_DAYS),
            _tail_mean(same_hour[:, :3].T, 3),
        ]
    )


def lag_input(window: Floats, first_hour: int, horizon: int) -> npt.NDArray[np.float32]:
    """The tree ensemble's wide row: origin features, then each lead's features in lead order."""
    origin_part, lead_part = lag_features(window, first_hour, horizon)
    return np.concatenate([origin_part, lead_part.ravel()]).astype(np.float32)


def lead_rows(window: Floats, first_hour: int, horizon: int) -> npt.NDArray[np.float32]:
    """One row per lead (origin features + that lead's): what the lead's model is trained on."""
    origin_part, lead_part = lag_features(window, first_hour, horizon)
    return np.hstack([np.tile(origin_part, (horizon, 1)), lead_part]).astype(np.float32)


def _last_hours(window: Floats, hours: int) -> Floats:
    if len(window) >= hours:
        return window[-hours:]
    padding = np.full((hours - len(window), window.shape[1]), np.nan)
    return np.vstack([padding, window])


def _tail_mean(values: Floats, hours: int) -> Floats:
    """Mean of each column's measured values among its last `hours` rows (NaN if none is)."""
    tail = values[-hours:]
    measured = ~np.isnan(tail)
    counts = measured.sum(axis=0)
    sums = np.where(measured, tail, 0.0).sum(axis=0)
    means: Floats = np.divide(sums, counts, out=np.full(tail.shape[1], np.nan), where=counts > 0)
    return means


# Features that grow with the household's size (kW, A, Wh); voltage, shares and calendar do not.
_UNSCALED = ("voltage", "missing_share24", "origin_hour")
_ORIGIN_SCALES = np.array([not name.startswith(_UNSCALED) for name in ORIGIN_FEATURES])
_LEAD_SCALES = np.array([name.startswith("same_hour") for name in LEAD_FEATURES])
LEVEL_FEATURE = f"{TARGET}_mean168"


def clamp_level(
    rows: npt.NDArray[np.float32], horizon: int, level_range: Sequence[float]
) -> tuple[npt.NDArray[np.float32], Floats]:
    """Wide rows of households outside the level (mean kW over the week) the trees were trained on,
    rescaled onto its nearest edge; and the factor (1 inside) to multiply their forecasts by.

    The trees split on absolute kW: a household three times the size of the training house would land
    beyond every split. Scaling it down to the range keeps its shape, and the factor restores its size.
    """
    level = rows[:, ORIGIN_FEATURES.index(LEVEL_FEATURE)].astype(np.float64)
    measured = ~np.isnan(level) & (level > 0)
    factor = np.ones(len(level))
    low, high = level_range
    factor[measured] = level[measured] / np.clip(level[measured], low, high)
    scales = np.concatenate([_ORIGIN_SCALES, np.tile(_LEAD_SCALES, horizon)])
    rescaled = np.where(scales[None, :], rows / factor[:, None], rows)
    return rescaled.astype(np.float32), factor
