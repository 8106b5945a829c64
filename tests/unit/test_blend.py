"""The blend of the LSTM bundle's members and its conformal band, fitted on validation hours."""

from __future__ import annotations

import numpy as np

from scripts.training.blend import Blend, band_coverage, band_scale, fit_band, fit_weights


def test_the_weight_follows_the_better_member_lead_by_lead() -> None:
    rng = np.random.default_rng(0)
    actual = rng.uniform(0, 3, size=(2000, 2))
    good, bad = actual + rng.normal(0, 0.1, actual.shape), actual + rng.normal(0, 1.0, actual.shape)
    lstm = np.column_stack([good[:, 0], bad[:, 1]])  # the LSTM is the good member at lead 1 only
    gbm = np.column_stack([bad[:, 0], good[:, 1]])
    weights = fit_weights(lstm, gbm, actual)
    assert weights[0] >= 0.95 and weights[1] <= 0.05


def test_equal_independent_members_are_averaged() -> None:
    rng = np.random.default_rng(1)
    actual = rng.uniform(0, 3, size=(20000, 1))
    first, second = (actual + rng.normal(0, 0.5, actual.shape) for _ in range(2))
    assert fit_weights(first, second, actual) == [0.5]


def test_no_lstm_forecast_means_no_lstm_weight() -> None:
    actual = np.ones((10, 1))
    assert fit_weights(np.full((10, 1), np.nan), actual, actual) == [0.0]


def test_the_band_holds_its_coverage_out_of_sample_and_grows_with_the_forecast() -> None:
    rng = np.random.default_rng(2)
    point = rng.uniform(0.2, 4.0, size=(40000, 3))
    actual = point + rng.normal(0, 0.4, point.shape) * np.sqrt(point)  # errors grow like the scale
    calibrate, check = slice(0, 20000), slice(20000, None)
    blend = Blend([0.0] * 3, fit_band(point[calibrate], actual[calibrate]))
    assert all(abs(z + 0.4 * 1.2816) < 0.03 for z in blend.band_z["p10"])
    band = blend.quantiles(point[check])
    coverage = band_coverage(band["p10"], band["p90"], actual[check])
    assert all(0.78 <= share <= 0.82 for share in coverage if share is not None)
    quiet, busy = point[check] < 0.5, point[check] > 3.5
    width = band["p90"] - band["p10"]
    assert width[busy].mean() > 2.5 * width[quiet].mean()


def test_quantiles_are_sorted_never_negative_and_the_point_is_clipped() -> None:
    blend = Blend([0.25], {"p10": [-2.0], "p50": [0.5], "p90": [0.1]})
    band = blend.quantiles(np.array([[1.0]]))
    assert [band[q][0, 0] for q in ("p10", "p50", "p90")] == [0.0, 1.1, 1.5]
    assert band_scale(np.array([0.0]))[0] == np.sqrt(0.05)
    assert blend.point(np.array([[2.0]]), np.array([[-1.0]])).tolist() == [[0.0]]
    assert blend.point(np.array([[2.0]]), np.array([[1.0]])).tolist() == [[1.25]]
