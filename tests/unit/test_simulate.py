"""Simulated households: determinism, the reference house, shift, scale, noise, gaps and ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scripts.data.errors import DataError
from scripts.data.simulate import (
    SCALED_MEASURES,
    HouseholdProfile,
    apply_profile,
    household_ids,
    household_profiles,
    simulate_households,
)
from scripts.data.uci import default_data_path, load_uci
from services.core.reading import MEASURES, PHYSICAL_RANGES


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    """Three days with a real gap (2010-01-02 18:51 onwards has missing minutes)."""
    frame = load_uci(default_data_path(), start="2010-01-01", end="2010-01-04")
    assert frame.isna().any(axis=1).sum() > 0
    return frame


@pytest.fixture(scope="module")
def households(window: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return simulate_households(window, 20, seed=7)


def test_ids_are_zero_padded() -> None:
    assert household_ids(3) == ["h000", "h001", "h002"]
    assert household_ids(1001, "house-")[-1] == "house-1000"
    assert household_ids(1001)[0] == "h0000"
    with pytest.raises(ValueError, match="at least one household"):
        household_ids(0)


def test_same_seed_same_households(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    again = simulate_households(window, 20, seed=7)
    assert list(again) == list(households)
    for household_id, frame in households.items():
        pd.testing.assert_frame_equal(again[household_id], frame)


def test_other_seed_other_households(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    other = simulate_households(window, 20, seed=8)
    assert not other["h001"].equals(households["h001"])
    assert household_profiles(5, seed=7) != household_profiles(5, seed=8)


def test_more_households_keep_the_first_ones() -> None:
    assert household_profiles(50, seed=3)[:10] == household_profiles(10, seed=3)


def test_household_zero_is_the_real_house(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    pd.testing.assert_frame_equal(households["h000"], window)
    assert household_profiles(1)[0] == HouseholdProfile("h000")


def test_profiles_within_their_bounds() -> None:
    profiles = household_profiles(500, seed=1)[1:]
    assert {profile.shift_days for profile in profiles} == set(range(14))
    assert min(p.shift_minutes for p in profiles) >= -90
    assert max(p.shift_minutes for p in profiles) <= 90
    assert len({p.shift_minutes for p in profiles}) > 100
    scales = np.array([p.scale for p in profiles])
    assert scales.min() >= 0.3
    assert scales.max() <= 3.0
    assert 0.9 < float(np.median(scales)) < 1.1
    assert all(p.noise_sigma == 0.05 and p.voltage_noise_volts == 0.5 for p in profiles)


def test_scale_shows_in_the_mean_ratio(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    for profile in household_profiles(20, seed=7)[1:]:
        frame = households[profile.household_id]
        for measure in ("global_active_power", "global_intensity", "sub_metering_3"):
            ratio = frame[measure].sum() / window[measure].sum()  # shift only reorders the minutes
            assert ratio == pytest.approx(profile.scale * np.exp(0.05**2 / 2), rel=0.01), measure


def test_scale_exact_without_noise(window: pd.DataFrame) -> None:
    profile = HouseholdProfile("x", scale=2.5)
    frame = apply_profile(window, profile)
    for measure in SCALED_MEASURES:
        np.testing.assert_allclose(frame[measure], window[measure] * 2.5, atol=0.0005)
    pd.testing.assert_series_equal(frame["voltage"], window["voltage"])


def test_voltage_is_not_scaled(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    profile = max(household_profiles(20, seed=7), key=lambda p: abs(p.scale - 1))
    assert abs(profile.scale - 1) > 0.2
    shifted_voltage = np.roll(window["voltage"].to_numpy(), profile.shift)
    noise = households[profile.household_id]["voltage"].to_numpy() - shifted_voltage
    noise = noise[~np.isnan(noise)]
    assert abs(float(noise.mean())) < 0.05
    assert float(noise.std()) == pytest.approx(0.5, rel=0.1)


def test_shift_is_a_circular_roll(window: pd.DataFrame) -> None:
    profile = HouseholdProfile("x", shift_days=1, shift_minutes=-30)
    assert profile.shift == 1410
    frame = apply_profile(window, profile)
    assert frame.index.equals(window.index)
    np.testing.assert_array_equal(frame.to_numpy()[1410:], window.to_numpy()[:-1410])
    np.testing.assert_array_equal(frame.to_numpy()[:1410], window.to_numpy()[-1410:])  # the wrap


def test_shifted_series_correlates_best_at_the_chosen_lag(
    window: pd.DataFrame, households: dict[str, pd.DataFrame]
) -> None:
    real = window["global_active_power"].fillna(0.0).to_numpy()
    for profile in household_profiles(20, seed=7)[1:6]:
        simulated = households[profile.household_id]["global_active_power"].fillna(0.0).to_numpy()
        best = int(np.argmax([np.dot(np.roll(real, lag), simulated) for lag in range(len(real))]))
        assert best == profile.shift % len(real), profile


def test_missing_minutes_stay_missing_and_move_with_the_shift(
    window: pd.DataFrame, households: dict[str, pd.DataFrame]
) -> None:
    for profile in household_profiles(20, seed=7):
        expected = np.roll(window.isna().to_numpy(), profile.shift, axis=0)
        np.testing.assert_array_equal(households[profile.household_id].isna().to_numpy(), expected)


def test_noise_is_small_and_multiplicative(window: pd.DataFrame, households: dict[str, pd.DataFrame]) -> None:
    profile = household_profiles(20, seed=7)[3]
    real = np.roll(window["global_active_power"].to_numpy(), profile.shift)
    simulated = households[profile.household_id]["global_active_power"].to_numpy()
    usable = (real > 0.5) & ~np.isnan(real)
    log_ratio = np.log(simulated[usable] / (real[usable] * profile.scale))
    assert abs(float(log_ratio.mean())) < 0.01
    assert float(log_ratio.std()) == pytest.approx(0.05, rel=0.1)


def test_values_rounded_and_within_physical_ranges(households: dict[str, pd.DataFrame]) -> None:
    for frame in households.values():
        assert list(frame.columns) == list(MEASURES)
        values = frame.to_numpy()
        finite = values[~np.isnan(values)]
        np.testing.assert_array_equal(finite, np.round(finite, 3))
        for measure, (low, high) in PHYSICAL_RANGES.items():
            column = frame[measure].dropna()
            assert column.min() >= low
            assert column.max() <= high


def test_extreme_scale_is_clipped_to_physical_ranges(window: pd.DataFrame) -> None:
    frame = apply_profile(window, HouseholdProfile("big", scale=1_000.0))
    assert frame["global_active_power"].max() == PHYSICAL_RANGES["global_active_power"][1]
    assert frame["sub_metering_3"].max() == PHYSICAL_RANGES["sub_metering_3"][1]


def test_many_households_over_a_small_window(window: pd.DataFrame) -> None:
    frames = simulate_households(window, 200, seed=1, id_prefix="sim")
    assert len(frames) == 200
    assert list(frames)[:2] == ["sim000", "sim001"]
    assert all(len(frame) == len(window) for frame in frames.values())


def test_frame_with_a_hole_in_its_minutes_is_refused(window: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="gap-free minute grid"):
        simulate_households(window.drop(window.index[10]), 2)


def test_frame_without_a_measure_is_refused(window: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="no column"):
        apply_profile(window.drop(columns=["voltage"]), HouseholdProfile("x"))
