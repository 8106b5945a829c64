"""How the LSTM bundle's members combine, fitted on the validation days (never the test).

- The point forecast of lead k is w_k * LSTM + (1 - w_k) * GBM, w_k on a 0.05 grid minimising the
  validation MSE in kW.
- The quantiles are the point plus z_{q,k} * sqrt(max(point, BAND_FLOOR_KW)): split-conformal, with
  z_{q,k} the q-quantile of the blend's validation residuals divided by the same scale. The square
  root makes the band grow with the forecast as household errors do (an idle house errs little, a
  cooking one a lot); on the UCI validation days it was the sharpest scale that held its coverage,
  against a constant, the forecast itself and the last day's spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
WEIGHT_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)
BAND_FLOOR_KW = 0.05
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Blend:
    lstm_weight: list[float]
    band_z: dict[str, list[float]]  # quantile name -> per-lead z

    def point(self, lstm_kw: Floats, gbm_kw: Floats) -> Floats:
        weight = np.asarray(self.lstm_weight)
        return np.asarray(np.maximum(weight * lstm_kw + (1 - weight) * gbm_kw, 0.0))

    def quantiles(self, point_kw: Floats) -> dict[str, Floats]:
        """Each quantile (rows, leads) in kW: sorted across quantiles and never negative."""
        scale = band_scale(point_kw)
        names = sorted(self.band_z, key=lambda name: QUANTILES[name])
        stacked = np.sort(np.stack([point_kw + np.asarray(self.band_z[n]) * scale for n in names]), axis=0)
        return {name: np.maximum(values, 0.0) for name, values in zip(names, stacked, strict=True)}


def band_scale(point_kw: Floats) -> Floats:
    return np.asarray(np.sqrt(np.maximum(point_kw, BAND_FLOOR_KW)))


def fit_weights(lstm_kw: Floats, gbm_kw: Floats, actual_kw: Floats) -> list[float]:
    """Per lead, the LSTM's weight in the point forecast (0 when the LSTM has no forecast there)."""
    weights = []
    for lead in range(actual_kw.shape[1]):
        usable = ~np.isnan(actual_kw[:, lead]) & ~np.isnan(lstm_kw[:, lead]) & ~np.isnan(gbm_kw[:, lead])
        if not usable.any():
            weights.append(0.0)
            continue
        lstm, gbm, actual = lstm_kw[usable, lead], gbm_kw[usable, lead], actual_kw[usable, lead]
        errors = [np.mean((w * lstm + (1 - w) * gbm - actual) ** 2) for w in WEIGHT_GRID]
        weights.append(float(WEIGHT_GRID[int(np.argmin(errors))]))
    return weights


def fit_band(point_kw: Floats, actual_kw: Floats) -> dict[str, list[float]]:
    """Per quantile and lead, the conformal z of the validation residuals (0 where none is measured)."""
    residual = (actual_kw - point_kw) / band_scale(point_kw)
    band: dict[str, list[float]] = {}
    for name, quantile in QUANTILES.items():
        band[name] = []
        for lead in range(actual_kw.shape[1]):
            measured = residual[~np.isnan(residual[:, lead]), lead]
            band[name].append(round(float(np.quantile(measured, quantile)), 6) if len(measured) else 0.0)
    return band


def band_coverage(low_kw: Floats, high_kw: Floats, actual_kw: Floats) -> list[float | None]:
    """Share of measured hours inside [low, high], per lead."""
    shares: list[float | None] = []
    for lead in range(actual_kw.shape[1]):
        usable = ~np.isnan(actual_kw[:, lead]) & ~np.isnan(low_kw[:, lead])
        actual = actual_kw[usable, lead]
        inside = (actual >= low_kw[usable, lead]) & (actual <= high_kw[usable, lead])
        shares.append(round(float(inside.mean()), 4) if usable.any() else None)
    return shares
