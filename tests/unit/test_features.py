"""The one feature module shared by training and the LSTM bundle."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from services.core import features
from services.core.features import FeatureError, HourlySeries, WindowSpec
from services.core.hourly import group_by_hour
from services.core.reading import MEASURES, Reading

NAN = float("nan")
HOUR = 352_000  # an epoch hour: 2010-02-26T16:00Z, a Friday


def test_the_measures_are_the_reading_contracts() -> None:
    assert features.HOURLY_MEASURES == MEASURES


def test_hourly_means_use_only_the_valid_minutes() -> None:
    minutes = np.array([HOUR * 60, HOUR * 60 + 1, HOUR * 60 + 2, HOUR * 60 + 61], dtype=np.int64)
    values = np.full((4, 7), NAN)
    values[:, 0] = [1.0, NAN, 2.0, 5.0]  # hour 0: (1 + 2) / 2; hour 1: 5
    values[:, 2] = [240.0, 230.0, NAN, NAN]  # hour 1 has no voltage at all
    series = features.hourly_from_minutes(minutes, values)
    assert series.start == HOUR and series.values.shape == (2, 7)
    assert series.values[:, 0].tolist() == [1.5, 5.0]
    assert series.values[0, 2] == 235.0 and np.isnan(series.values[1, 2])


def test_hourly_means_equal_the_sums_and_counts_ingest_stores() -> None:
    rng = np.random.default_rng(1)
    values = np.round(rng.uniform(0, 5, size=(180, 7)), 3)
    values[rng.random((180, 7)) < 0.1] = NAN
    minutes = np.arange(HOUR * 60, HOUR * 60 + 180, dtype=np.int64)
    series = features.hourly_from_minutes(minutes, values)
    readings = [
        Reading(
            "h",
            datetime.fromtimestamp(int(m) * 60, UTC),
            tuple(None if np.isnan(v) else float(v) for v in row),
        )
        for m, row in zip(minutes, values, strict=True)
    ]
    for (_, hour), group in sorted(group_by_hour(readings)[0].items()):
        sums, counts = group.sums(), group.counts()
        row = series.values[int(hour.timestamp()) // 3600 - HOUR]
        for i, measure in enumerate(MEASURES):
            expected = float(sums[measure]) / counts[measure] if counts[measure] else NAN
            assert row[i] == pytest.approx(expected, nan_ok=True, abs=1e-12)


def test_hours_are_placed_by_ts_and_absent_ones_are_missing() -> None:
    hours = [{"ts": features.hour_ts(HOUR + i), "global_active_power": float(i)} for i in (0, 1, 3)]
    series = features.series_from_hours(hours)
    assert series.start == HOUR and series.values[:, 0].tolist()[:2] == [0.0, 1.0]
    assert np.isnan(series.values[2, 0]) and series.values[3, 0] == 3.0


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ([], "non-empty list"),
        ([{"ts": "2010-02-26T16:30:00Z"}], "start of an hour"),
        ([{"ts": "2010-02-26T16:00:00"}], "no time zone"),
        ([{"ts": "2010-02-26T16:00:00Z", "voltage": "240"}], "hours[0].voltage must be a number"),
        ([{"ts": "2010-02-26T16:00:00Z", "voltage": True}], "hours[0].voltage must be a number"),
        ([3], "must be an object"),
    ],
)
def test_bad_hours_are_refused_with_the_reason(hours, words) -> None:
    with pytest.raises(FeatureError, match=words.replace("[", r"\[").replace("]", r"\]")):
        features.series_from_hours(hours)


def test_a_window_is_standardised_filled_and_flagged() -> None:
    values = np.full((4, 7), 1.0)
    values[:, 0] = [1.0, NAN, 3.0, 2.0]
    encoded, scaling = features.encode_window(values, HOUR)
    assert encoded.shape == (4, len(features.CHANNELS)) and encoded.dtype == np.float32
    assert scaling.target_mean == 2.0
    assert encoded[:, 0].tolist() == pytest.approx(
        [-1 / np.sqrt(2 / 3), -1 / np.sqrt(2 / 3), 1 / np.sqrt(2 / 3), 0.0]
    )
    assert encoded[:, features.CHANNELS.index("observed")].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert encoded[:, 1].tolist() == [0.0] * 4  # a flat measure stays 0, MIN_STD keeps it finite


def test_calendar_features_follow_the_clock() -> None:
    monday_midnight = int(datetime(2010, 3, 1, tzinfo=UTC).timestamp()) // 3600
    calendar = features.calendar_features(monday_midnight, 25)
    assert calendar[0].tolist() == pytest.approx([0.0, 1.0, 0.0, 1.0])  # hour 0, Monday
    assert calendar[24].tolist() == pytest.approx([0.0, 1.0, np.sin(2 * np.pi / 7), np.cos(2 * np.pi / 7)])


def test_scaling_round_trips_and_windows_have_their_shapes() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(0.2, 4.0, size=(400, 7))
    values[50:55] = NAN
    windows = features.training_windows(HourlySeries(HOUR, values), WindowSpec(48, 24))
    assert windows.inputs.shape == (len(windows), 48, len(features.CHANNELS))
    assert windows.targets.shape == windows.actual_kw.shape == (len(windows), 24)
    np.testing.assert_allclose(windows.to_kw(windows.targets), windows.actual_kw, atol=1e-9)
    horizon_hits_gap = (windows.origins + 24 >= HOUR + 50) & (windows.origins + 1 <= HOUR + 54)
    assert not horizon_hits_gap.any()  # no window forecasts a missing hour
    assert len(windows) == (400 - 48 - 24 + 1) - 7  # origins 47..53 forecast into the gap at 50..54


def test_the_serving_input_equals_the_training_window() -> None:
    rng = np.random.default_rng(2)
    values = rng.uniform(0.2, 4.0, size=(100, 7))
    windows = features.training_windows(HourlySeries(HOUR, values), WindowSpec(48, 24), origins=[HOUR + 60])
    hours = [
        {"ts": features.hour_ts(HOUR + i), **dict(zip(MEASURES, row.tolist(), strict=True))}
        for i, row in enumerate(values[:61])
    ]
    served, _ = features.model_input(features.series_from_hours(hours), WindowSpec(48, 24))
    np.testing.assert_array_equal(served, windows.inputs[0])


def test_too_short_or_unmeasured_history_is_a_clear_error() -> None:
    short = HourlySeries(HOUR, np.ones((10, 7)))
    with pytest.raises(FeatureError, match="needs the last 48 hours; the hours given span 10"):
        features.model_input(short, WindowSpec(48, 24))
    blank = HourlySeries(HOUR, np.full((48, 7), NAN))
    with pytest.raises(FeatureError, match="none of the last 48 hours"):
        features.model_input(blank, WindowSpec(48, 24))


def test_daily_energy_is_mean_power_times_24_over_well_measured_days() -> None:
    day0 = (HOUR // 24 + 1) * 24
    values = np.full((72, 7), NAN)
    values[:24, 0] = 2.0  # complete day: 48 kWh
    values[24:44, 0] = 1.0  # 20 measured hours: 24 kWh
    values[48:67, 0] = 3.0  # 19 measured hours: no total
    totals = features.daily_energy_kwh(HourlySeries(day0, values))
    assert totals == [(day0 // 24, 48.0), (day0 // 24 + 1, 24.0)]


def test_vectorised_timestamps_equal_the_scalar_ones() -> None:
    assert features.hour_timestamps(HOUR, 30) == [features.hour_ts(HOUR + i) for i in range(30)]


def _week(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    window = rng.uniform(0.1, 4.0, size=(features.LAG_LOOKBACK, len(features.HOURLY_MEASURES)))
    window[rng.random(window.shape) < 0.05] = NAN
    return window


def test_lag_features_read_the_hours_they_name() -> None:
    window = _week()
    first = HOUR - features.LAG_LOOKBACK + 1  # the origin is HOUR, a Friday at 16:00
    origin_part, lead_part = features.lag_features(window, first, 24)
    named = dict(zip(features.ORIGIN_FEATURES, origin_part, strict=True))
    power = window[:, 0]
    np.testing.assert_equal(named["global_active_power_lag1"], power[-1])
    np.testing.assert_equal(named["global_active_power_lag24"], power[-24])
    assert named["global_active_power_mean6"] == pytest.approx(np.nanmean(power[-6:]))
    assert named["voltage_mean24"] == pytest.approx(np.nanmean(window[-24:, 2]))
    assert named["missing_share24"] == pytest.approx(np.isnan(power[-24:]).mean())
    assert named["origin_hour"] == 16
    lead = {name: lead_part[:, i] for i, name in enumerate(features.LEAD_FEATURES)}
    assert lead["lead"].tolist() == list(range(1, 25))
    assert lead["hour_of_day"][0] == 17 and lead["hour_of_day"][-1] == 16
    assert lead["day_of_week"][0] == 4  # Friday 17:00; lead 8 is Saturday 00:00
    assert lead["day_of_week"][7] == 5
    # power[-1] is the origin; lead 1's hour a day ago is 23 hours before it, lead 24's a week ago 144
    np.testing.assert_equal(lead["same_hour_1d_ago"][0], power[-24])
    np.testing.assert_equal(lead["same_hour_7d_ago"][23], power[-145])


def test_the_wide_row_lays_out_each_leads_rows() -> None:
    window = _week(5)
    first = HOUR - features.LAG_LOOKBACK + 1
    rows = features.lead_rows(window, first, 6)
    wide = features.lag_input(window, first, 6)
    origin_count, lead_count = len(features.ORIGIN_FEATURES), len(features.LEAD_FEATURES)
    assert rows.shape == (6, origin_count + lead_count) and rows.dtype == np.float32
    assert wide.shape == (origin_count + 6 * lead_count,)
    for lead in range(6):
        np.testing.assert_array_equal(rows[lead, :origin_count], wide[:origin_count])
        start = origin_count + lead * lead_count
        np.testing.assert_array_equal(rows[lead, origin_count:], wide[start : start + lead_count])


def test_lag_features_of_a_short_or_empty_window_are_missing_not_wrong() -> None:
    window = _week()[-30:]
    short_part, _ = features.lag_features(window, HOUR - 29, 24)
    named = dict(zip(features.ORIGIN_FEATURES, short_part, strict=True))
    assert named["global_active_power_lag24"] == window[-24, 0] or np.isnan(window[-24, 0])
    assert named["global_active_power_mean168"] == pytest.approx(np.nanmean(window[:, 0]))
    empty = np.full((features.LAG_LOOKBACK, 7), NAN)
    origin_part, lead_part = features.lag_features(empty, HOUR - features.LAG_LOOKBACK + 1, 3)
    assert np.isnan(origin_part[: features.TARGET_LAGS]).all()
    assert (
        named["missing_share24"] < 1 and origin_part[features.ORIGIN_FEATURES.index("missing_share24")] == 1
    )
    assert np.isnan(lead_part[:, features.LEAD_FEATURES.index("same_hour_mean7d")]).all()


def test_a_household_beyond_the_trained_level_is_scaled_onto_its_edge_and_back() -> None:
    window = _week(7)
    first = HOUR - features.LAG_LOOKBACK + 1
    row = features.lag_input(window, first, 4)[None]
    level = float(row[0, features.ORIGIN_FEATURES.index(features.LEVEL_FEATURE)])
    inside, factor = features.clamp_level(row, 4, [level / 2, level * 2])
    np.testing.assert_array_equal(inside, row)
    assert factor.tolist() == [1.0]
    tripled = window.copy()
    tripled[:, [0, 1, 3, 4, 5, 6]] *= 3  # every measure but voltage grows with the household
    big = features.lag_input(tripled, first, 4)[None]
    clamped, factor = features.clamp_level(big, 4, [level / 2, level * 2])
    assert factor[0] == pytest.approx(1.5)  # 3x the level, the edge is 2x
    np.testing.assert_allclose(
        clamped, features.lag_input(window * np.where(np.arange(7) == 2, 1, 2), first, 4)[None], rtol=1e-5
    )
