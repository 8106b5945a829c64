"""Stored hourly rows as training series, the holdout window, and its month runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from scripts.data.errors import DataError
from scripts.data.hourly_store import holdout_start, series_of_rows
from scripts.registry.holdout import _month_runs
from services.core import features
from services.core.hourly import HourlyRow
from services.core.reading import MEASURES

START = datetime(2010, 2, 1, tzinfo=UTC)


def row(hour: int, power: float | None) -> HourlyRow:
    means: dict[str, float | None] = dict.fromkeys(MEASURES, 1.0)
    means["global_active_power"] = power
    return HourlyRow("h1", START + timedelta(hours=hour), 60, means)


def test_rows_land_on_the_hourly_grid_with_gaps_and_nulls_as_nan() -> None:
    series = series_of_rows([row(3, 2.5), row(0, 1.0), row(1, None)])
    assert series.start == int(START.timestamp()) // 3600 and series.values.shape == (4, 7)
    power = series.values[:, features.HOURLY_MEASURES.index("global_active_power")]
    np.testing.assert_array_equal(power, [1.0, np.nan, np.nan, 2.5])
    assert np.isnan(series.values[2]).all()  # an hour not stored
    with pytest.raises(DataError, match="no hourly rows"):
        series_of_rows([])


def test_the_holdout_is_the_last_whole_days_up_to_the_newest_hour() -> None:
    newest = datetime(2010, 2, 28, 23, tzinfo=UTC)
    assert holdout_start(newest, 14) == datetime(2010, 2, 15, tzinfo=UTC)
    assert holdout_start(datetime(2010, 3, 1, 5, tzinfo=UTC), 14) == datetime(2010, 2, 16, tzinfo=UTC)


def test_a_holdout_across_a_month_end_is_forecast_from_each_months_first_day_in_it() -> None:
    day = int(datetime(2010, 1, 25, tzinfo=UTC).timestamp()) // 86_400
    runs = _month_runs(day, day + 13)  # 25 January .. 7 February
    assert runs == [(day, day + 6), (day + 7, day + 13)]
    assert _month_runs(day, day) == [(day, day)]
