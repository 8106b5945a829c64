"""The gradient-boosted member of the LSTM bundle: LightGBM, one model per lead.

Rows come from `services.core.features.lead_rows` (the feature code the bundle serves with). Each
lead's model (Huber loss: a few kettle-and-oven hours must not steer it) is fitted with early stopping
on the validation days, then refitted on training and validation together for the rounds it needed;
the validation predictions of the first fit are kept for the blend and the band
(`scripts.training.blend`). The band comes from the blend's residuals, not from quantile models:
72 more tree ensembles tripled the serving time for no better coverage.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.core import features

logger = logging.getLogger(__name__)
REFIT_ROUNDS = 1.1  # more data in the refit: a few more rounds than early stopping found


@dataclass(frozen=True)
class GbmOptions:
    horizon: int = 24
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 40
    max_rounds: int = 3000
    early_stopping_rounds: int = 100
    threads: int = os.cpu_count() or 1
    seed: int = 0


@dataclass(frozen=True)
class LeadRows:
    """Every origin's rows: inputs (origins, horizon, features), actual kW (origins, horizon)."""

    inputs: npt.NDArray[np.float32]
    actual_kw: npt.NDArray[np.float64]
    origins: npt.NDArray[np.int64]

    def subset(self, mask: npt.NDArray[np.bool_]) -> LeadRows:
        return LeadRows(self.inputs[mask], self.actual_kw[mask], self.origins[mask])


def lead_dataset(series: features.HourlySeries, horizon: int) -> LeadRows:
    """Rows for every origin that has a week of grid behind it (missing hours stay NaN)."""
    values = series.values
    target = values[:, features.HOURLY_MEASURES.index(features.TARGET)]
    first = series.start + features.LAG_LOOKBACK - 1
    origins = np.arange(first, series.last, dtype=np.int64)
    inputs = np.empty((len(origins), horizon, len(features.ORIGIN_FEATURES) + len(features.LEAD_FEATURES)))
    actual = np.full((len(origins), horizon), np.nan)
    for i, origin in enumerate(origins):
        end = int(origin) - series.start + 1
        window = values[end - features.LAG_LOOKBACK : end]
        inputs[i] = features.lead_rows(window, int(origin) - features.LAG_LOOKBACK + 1, horizon)
        future = target[end : end + horizon]
        actual[i, : len(future)] = future
    return LeadRows(inputs.astype(np.float32), actual, origins)


@dataclass
class GbmMember:
    """One booster per lead; the first fit's validation forecasts (kW) and rounds per lead."""

    boosters: list[Any]
    validation_kw: npt.NDArray[np.float64]
    rounds: list[int]
    seconds: float


def train_gbm(train: LeadRows, validation: LeadRows, options: GbmOptions) -> GbmMember:
    started = time.monotonic()
    boosters, rounds = [], []
    validation_kw = np.full(validation.actual_kw.shape, np.nan)
    for lead in range(options.horizon):
        booster, validation_kw[:, lead], lead_rounds = _fit_lead(train, validation, lead, options)
        boosters.append(booster)
        rounds.append(lead_rounds)
    seconds = round(time.monotonic() - started, 1)
    logger.info(
        "gbm: %d leads, %d trees in all (%.1f min)",
        options.horizon,
        sum(b.num_trees() for b in boosters),
        seconds / 60,
    )
    return GbmMember(boosters, validation_kw, rounds, seconds)


def _params(options: GbmOptions) -> dict[str, Any]:
    return {
        "objective": "huber",
        "alpha": 1.0,  # kW: errors beyond it count linearly
        "learning_rate": options.learning_rate,
        "num_leaves": options.num_leaves,
        "min_data_in_leaf": options.min_data_in_leaf,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": options.threads,
        "seed": options.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


def _fit_lead(
    train: LeadRows, validation: LeadRows, lead: int, options: GbmOptions
) -> tuple[Any, npt.NDArray[np.float64], int]:
    import lightgbm as lgb

    params = _params(options)
    fit_rows, fit_y = _measured(train, lead)
    check_rows, check_y = _measured(validation, lead)
    first = lgb.train(
        params,
        lgb.Dataset(fit_rows, fit_y),
        options.max_rounds,
        valid_sets=[lgb.Dataset(check_rows, check_y)],
        callbacks=[lgb.early_stopping(options.early_stopping_rounds, verbose=False)],
    )
    rounds = max(first.best_iteration, 1)
    predicted = first.predict(validation.inputs[:, lead], num_iteration=rounds)
    refit = lgb.train(
        params,
        lgb.Dataset(np.vstack([fit_rows, check_rows]), np.concatenate([fit_y, check_y])),
        int(np.ceil(rounds * REFIT_ROUNDS)),
    )
    return refit, np.asarray(predicted, dtype=np.float64), rounds


def _measured(rows: LeadRows, lead: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    measured = ~np.isnan(rows.actual_kw[:, lead])
    return rows.inputs[measured, lead], rows.actual_kw[measured, lead]
