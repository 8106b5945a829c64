"""Many plausible households made from the one real UCI house.

Each simulated household is the real series with its own daily schedule (a time shift), its own size
(a scale factor) and its own minute-to-minute jitter (noise). Household 0 is the real house unchanged,
a reference for checks.

The shift is circular within the frame it is applied to: the series is rolled over the minute grid
(`np.roll`) and the timestamps are kept, so the last `shift` minutes of the frame wrap round to its
start. Pass the window you need (a few days), not the full 2-million-minute frame: the work and the
memory are per household and proportional to the frame given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scripts.data.errors import DataError
from services.core.reading import MEASURES, PHYSICAL_RANGES

MINUTES_PER_DAY = 1_440
MAX_SHIFT_DAYS = 13
MAX_SHIFT_MINUTES = 90
SCALE_SIGMA = 0.35  # log-normal spread of household size, median 1
SCALE_BOUNDS = (0.3, 3.0)
NOISE_SIGMA = 0.05  # log-normal multiplicative jitter per minute
VOLTAGE_NOISE_VOLTS = 0.5
DECIMALS = 3

VOLTAGE = "voltage"
_PROFILE_STREAM, _NOISE_STREAM = 0, 1  # independent random streams per household
SCALED_MEASURES: tuple[str, ...] = tuple(measure for measure in MEASURES if measure != VOLTAGE)


@dataclass(frozen=True)
class HouseholdProfile:
    """How one simulated household differs from the real house."""

    household_id: str
    shift_days: int = 0  # 0..13
    shift_minutes: int = 0  # -90..90
    scale: float = 1.0  # applied to every measure but voltage
    noise_sigma: float = 0.0  # sigma of the per-minute log-normal factor on the scaled measures
    voltage_noise_volts: float = 0.0  # standard deviation of additive voltage noise
    noise_seed: tuple[int, ...] = (0,)  # seeds the household's noise generator

    @property
    def shift(self) -> int:
        """Total shift in minutes: the household's value at t is the real house's at t - shift."""
        return self.shift_days * MINUTES_PER_DAY + self.shift_minutes


def household_ids(n: int, id_prefix: str = "h") -> list[str]:
    """`h000`, `h001`, ...: zero-padded to at least three digits, more when n needs them."""
    _require_positive(n)
    width = max(3, len(str(n - 1)))
    return [f"{id_prefix}{index:0{width}d}" for index in range(n)]


def household_profiles(n: int, *, seed: int = 0, id_prefix: str = "h") -> list[HouseholdProfile]:
    """Profiles of n households; household i depends only on (seed, i), so growing n keeps the others."""
    ids = household_ids(n, id_prefix)
    return [reference_profile(ids[0])] + [
        random_profile(household_id, seed=seed, index=index) for index, household_id in enumerate(ids[1:], 1)
    ]


def reference_profile(household_id: str) -> HouseholdProfile:
    """The real house as it is: no shift, scale 1, no noise."""
    return HouseholdProfile(household_id)


def random_profile(household_id: str, *, seed: int, index: int) -> HouseholdProfile:
    rng = np.random.default_rng((seed, index, _PROFILE_STREAM))
    scale = float(np.clip(rng.lognormal(mean=0.0, sigma=SCALE_SIGMA), *SCALE_BOUNDS))
    return HouseholdProfile(
        household_id=household_id,
        shift_days=int(rng.integers(0, MAX_SHIFT_DAYS + 1)),
        shift_minutes=int(rng.integers(-MAX_SHIFT_MINUTES, MAX_SHIFT_MINUTES + 1)),
        scale=scale,
        noise_sigma=NOISE_SIGMA,
        voltage_noise_volts=VOLTAGE_NOISE_VOLTS,
        noise_seed=(seed, index, _NOISE_STREAM),
    )


def simulate_households(
    frame: pd.DataFrame, n: int, *, seed: int = 0, id_prefix: str = "h"
) -> dict[str, pd.DataFrame]:
    """n households from the real one, keyed by id; the frame must be on a gap-free minute grid."""
    check_minute_grid(frame)
    return {
        profile.household_id: apply_profile(frame, profile)
        for profile in household_profiles(n, seed=seed, id_prefix=id_prefix)
    }


def apply_profile(frame: pd.DataFrame, profile: HouseholdProfile) -> pd.DataFrame:
    """The frame as `profile`'s household would have measured it: same index, MEASURES columns.

    Missing minutes stay missing (they move with the shift). Values have 3 decimals and lie within
    PHYSICAL_RANGES.
    """
    check_minute_grid(frame)
    rng = np.random.default_rng(profile.noise_seed)
    values = frame.loc[:, list(MEASURES)].to_numpy(dtype=np.float64, copy=True)
    values = np.roll(values, profile.shift, axis=0) if len(values) else values
    scaled = [MEASURES.index(measure) for measure in SCALED_MEASURES]
    values[:, scaled] *= profile.scale * _jitter(rng, len(values), profile.noise_sigma)[:, np.newaxis]
    voltage = MEASURES.index(VOLTAGE)
    values[:, voltage] += _voltage_noise(rng, len(values), profile.voltage_noise_volts)
    return pd.DataFrame(_within_ranges(np.round(values, DECIMALS)), index=frame.index, columns=list(MEASURES))


def check_minute_grid(frame: pd.DataFrame) -> None:
    """Raise DataError unless the frame has every MEASURE and consecutive one-minute timestamps."""
    missing = [measure for measure in MEASURES if measure not in frame.columns]
    if missing:
        raise DataError(f"frame has no column(s) {', '.join(missing)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"frame must be indexed by timestamps, not {type(frame.index).__name__}")
    steps = np.diff(frame.index.asi8)
    one_minute = pd.Timedelta(minutes=1).as_unit(frame.index.unit).value
    if len(steps) and not (steps == one_minute).all():
        raise DataError("frame is not a gap-free minute grid; shifting it would mix up times")


def _jitter(
    rng: np.random.Generator, size: int, sigma: float
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """One log-normal factor per minute (median 1), shared by the scaled measures so they stay consistent."""
    if sigma <= 0:
        return np.ones(size)
    return rng.lognormal(mean=0.0, sigma=sigma, size=size)


def _voltage_noise(
    rng: np.random.Generator, size: int, volts: float
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    if volts <= 0:
        return np.zeros(size)
    return rng.normal(loc=0.0, scale=volts, size=size)


def _within_ranges(
    values: np.ndarray[tuple[int, int], np.dtype[np.float64]],
) -> np.ndarray[tuple[int, int], np.dtype[np.float64]]:
    lows = np.array([PHYSICAL_RANGES[measure][0] for measure in MEASURES])
    highs = np.array([PHYSICAL_RANGES[measure][1] for measure in MEASURES])
    return np.clip(values, lows, highs)  # NaN stays NaN


def _require_positive(n: int) -> None:
    if n < 1:
        raise ValueError(f"need at least one household, got n={n}")
