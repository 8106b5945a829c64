"""LightGBM boosters -> one ONNX tree ensemble: the same numbers, lead by lead, NaNs and ties included."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from scripts.training.tree_onnx import ONNX_INPUT, TreeExportError, boosters_to_onnx

lgb = pytest.importorskip("lightgbm")
ORIGIN, LEAD, LEADS = 5, 3, 4


def _rows(rng: np.random.Generator, count: int, width: int) -> np.ndarray:
    rows = rng.normal(size=(count, width)).astype(np.float32)
    rows[:, 2] = np.round(rows[:, 2], 1)  # many values exactly on a split threshold
    rows[rng.random(rows.shape) < 0.1] = np.nan
    return rows


def _boosters(rng: np.random.Generator) -> list[Any]:
    train = _rows(rng, 3000, ORIGIN + LEAD)
    train[:, 4] = np.nan_to_num(train[:, 4])  # a feature never missing in training: NaN means 0.0
    boosters = []
    for lead in range(LEADS):
        target = np.nan_to_num(train[:, 0]) * (lead + 1) + np.nan_to_num(train[:, ORIGIN]) ** 2 + train[:, 4]
        dataset = lgb.Dataset(train, target + rng.normal(size=len(target)) * 0.1)
        boosters.append(lgb.train({"objective": "l2", "num_leaves": 15, "verbose": -1}, dataset, 40))
    return boosters


def test_every_output_equals_its_boosters_prediction_on_its_leads_row() -> None:
    rng = np.random.default_rng(0)
    boosters = _boosters(rng)
    model = boosters_to_onnx(boosters, list(range(LEADS)), origin_count=ORIGIN, lead_count=LEAD)
    wide = _rows(rng, 400, ORIGIN + LEADS * LEAD)
    (served,) = ort.InferenceSession(model).run(None, {ONNX_INPUT: wide})
    assert served.shape == (400, LEADS)
    for lead, booster in enumerate(boosters):
        own = np.hstack([wide[:, :ORIGIN], wide[:, ORIGIN + lead * LEAD : ORIGIN + (lead + 1) * LEAD]])
        np.testing.assert_allclose(served[:, lead], booster.predict(own), atol=2e-5)


def test_outputs_may_share_a_lead() -> None:
    rng = np.random.default_rng(1)
    boosters = _boosters(rng)[:2]
    model = boosters_to_onnx(boosters, [1, 1], origin_count=ORIGIN, lead_count=LEAD)
    wide = _rows(rng, 50, ORIGIN + 2 * LEAD)
    (served,) = ort.InferenceSession(model).run(None, {ONNX_INPUT: wide})
    own = np.hstack([wide[:, :ORIGIN], wide[:, ORIGIN + LEAD :]])
    np.testing.assert_allclose(served[:, 1], boosters[1].predict(own), atol=2e-5)


def test_a_categorical_split_is_refused_by_name() -> None:
    rng = np.random.default_rng(2)
    rows = rng.integers(0, 5, size=(500, 2)).astype(np.float64)
    dataset = lgb.Dataset(rows, rows[:, 0] * 2.0, categorical_feature=[0])
    booster = lgb.train({"objective": "l2", "verbose": -1, "min_data_per_group": 5}, dataset, 5)
    with pytest.raises(TreeExportError, match="not supported"):
        boosters_to_onnx([booster], [0], origin_count=2, lead_count=0)
