"""LightGBM boosters -> one ONNX TreeEnsembleRegressor: every lead's models in a single call.

Output column j sums the trees of `boosters[j]`. Booster j reads the wide row of
`services.core.features.lag_input`: feature i < origin_count is the origin's own feature i; a later
feature is its lead's, found at origin_count + lead_of[j] * lead_count + (i - origin_count).

The translation is exact for what `scripts.training.gbm` trains (numerical splits only): LightGBM sends
x <= threshold left, NaN to its default side when the feature had missing values in training, and
NaN as 0.0 otherwise. Thresholds are rounded down to float32, so a float32 input splits as LightGBM
splits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ONNX_INPUT = "lags"
ONNX_OUTPUT = "forecast"
ML_OPSET = 3


class TreeExportError(ValueError):
    """A booster holds a split the ONNX translation does not cover."""


@dataclass
class _Nodes:
    """The flat attribute lists TreeEnsembleRegressor takes."""

    tree_ids: list[int] = field(default_factory=list)
    node_ids: list[int] = field(default_factory=list)
    feature_ids: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    true_ids: list[int] = field(default_factory=list)
    false_ids: list[int] = field(default_factory=list)
    missing_true: list[int] = field(default_factory=list)
    target_tree_ids: list[int] = field(default_factory=list)
    target_node_ids: list[int] = field(default_factory=list)
    target_ids: list[int] = field(default_factory=list)
    target_weights: list[float] = field(default_factory=list)


def boosters_to_onnx(
    boosters: Sequence[Any], lead_of: Sequence[int], *, origin_count: int, lead_count: int
) -> bytes:
    """Serialized ONNX model: input `lags` (batch, origin + leads * lead features) float32, output
    `forecast` (batch, len(boosters)) float32."""
    import onnx
    from onnx import TensorProto, helper

    nodes = _Nodes()
    next_tree = 0
    for target, (booster, lead) in enumerate(zip(boosters, lead_of, strict=True)):
        remap = _feature_map(origin_count, lead_count, lead)
        for tree in booster.dump_model()["tree_info"]:
            _add_tree(nodes, tree["tree_structure"], next_tree, target, remap)
            next_tree += 1
    width = origin_count + (max(lead_of) + 1) * lead_count
    ensemble = helper.make_node(
        "TreeEnsembleRegressor",
        [ONNX_INPUT],
        [ONNX_OUTPUT],
        domain="ai.onnx.ml",
        n_targets=len(boosters),
        aggregate_function="SUM",
        post_transform="NONE",
        base_values=[0.0] * len(boosters),
        nodes_treeids=nodes.tree_ids,
        nodes_nodeids=nodes.node_ids,
        nodes_featureids=nodes.feature_ids,
        nodes_values=nodes.values,
        nodes_modes=nodes.modes,
        nodes_truenodeids=nodes.true_ids,
        nodes_falsenodeids=nodes.false_ids,
        nodes_missing_value_tracks_true=nodes.missing_true,
        target_treeids=nodes.target_tree_ids,
        target_nodeids=nodes.target_node_ids,
        target_ids=nodes.target_ids,
        target_weights=nodes.target_weights,
    )
    graph = helper.make_graph(
        [ensemble],
        "wattcast_gbm",
        [helper.make_tensor_value_info(ONNX_INPUT, TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info(ONNX_OUTPUT, TensorProto.FLOAT, [None, len(boosters)])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def _feature_map(origin_count: int, lead_count: int, lead: int) -> Any:
    offset = origin_count + lead * lead_count - origin_count

    def remap(feature: int) -> int:
        return feature if feature < origin_count else feature + offset

    return remap


def _add_tree(nodes: _Nodes, root: dict[str, Any], tree_id: int, target: int, remap: Any) -> None:
    """Number the tree's nodes depth first and append them (a one-leaf tree is a single leaf)."""
    stack = [(root, 0)]
    counter = 1
    while stack:
        node, node_id = stack.pop()
        nodes.tree_ids.append(tree_id)
        nodes.node_ids.append(node_id)
        if "leaf_value" in node or "split_feature" not in node:
            nodes.feature_ids.append(0)
            nodes.values.append(0.0)
            nodes.modes.append("LEAF")
            nodes.true_ids.append(0)
            nodes.false_ids.append(0)
            nodes.missing_true.append(0)
            nodes.target_tree_ids.append(tree_id)
            nodes.target_node_ids.append(node_id)
            nodes.target_ids.append(target)
            nodes.target_weights.append(float(node.get("leaf_value", 0.0)))
            continue
        if node["decision_type"] != "<=" or node["missing_type"] not in ("None", "NaN"):
            raise TreeExportError(
                f"split {node['decision_type']!r} with missing type {node['missing_type']!r} is not supported"
            )
        threshold = float(node["threshold"])
        left_id, right_id = counter, counter + 1
        counter += 2
        nodes.feature_ids.append(remap(int(node["split_feature"])))
        nodes.values.append(_float32_at_most(threshold))
        nodes.modes.append("BRANCH_LEQ")
        nodes.true_ids.append(left_id)
        nodes.false_ids.append(right_id)
        nan_goes_left = node["default_left"] if node["missing_type"] == "NaN" else threshold >= 0.0
        nodes.missing_true.append(int(bool(nan_goes_left)))
        stack.append((node["right_child"], right_id))
        stack.append((node["left_child"], left_id))


def _float32_at_most(value: float) -> float:
    """The largest float32 <= value: for float32 x, x <= it exactly when x <= value."""
    largest = float(np.finfo(np.float32).max)
    if abs(value) > largest:  # LightGBM's "everything goes left" thresholds
        return largest if value > 0 else float("-inf")
    rounded = np.float32(value)
    if float(rounded) > value:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)
