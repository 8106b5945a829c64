"""The Spark engine in local mode (local[2], bound to 127.0.0.1) against the process pool on the same
five households: the same bundles, byte for byte, and the same metrics."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from scripts.data import parquet_fleet as pf
from scripts.data.simulate import household_ids
from scripts.data.uci import default_data_path
from scripts.training.prophet import ProphetOptions, train_prophet

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java on PATH or JAVA_HOME: Spark needs Java 17", allow_module_level=True)
pytestmark = [pytest.mark.spark, pytest.mark.timeout(600)]  # 40 s idle, 140 s on 2 busy cores

HOUSEHOLDS = tuple(household_ids(5))
TRAIN_END = "2010-02-01"


def options(out: Path) -> ProphetOptions:
    return ProphetOptions(
        data=default_data_path(), out=out, households=HOUSEHOLDS, train_end=TRAIN_END, workers=2, version="v1"
    )


def assert_close(left: Any, right: Any, path: str = "") -> None:
    """Equal, numbers within 1e-6."""
    if isinstance(left, dict):
        assert sorted(left) == sorted(right), path
        for key in left:
            assert_close(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list):
        assert len(left) == len(right), path
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{path}[{index}]")
    elif isinstance(left, float) and not isinstance(left, bool):
        assert math.isclose(left, right, abs_tol=1e-6), path
    else:
        assert left == right, path


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def without_timing(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k not in ("train_seconds", "cpu_seconds")}


def test_spark_local_writes_the_pools_bundles_and_metrics(tmp_path: Path) -> None:
    from scripts.training.engines.spark import SparkOptions, train_prophet_spark

    parquet = tmp_path / "fleet.parquet"
    pf.write_fleet(pf.simulated_fleet(default_data_path(), HOUSEHOLDS), parquet)
    pool = train_prophet(options(tmp_path / "pool"), progress=False, fleet=pf.read_fleet(parquet))
    spark = train_prophet_spark(
        options(tmp_path / "spark"), SparkOptions(str(parquet), "local[2]"), HOUSEHOLDS
    )
    assert spark["engine"] == "spark" and spark["households"] == 5 and spark["spark_master"] == "local[2]"
    assert spark["households_per_minute"] > 0
    for household in HOUSEHOLDS:
        pooled = (tmp_path / "pool" / household / "model.tar.gz").read_bytes()
        sparked = (tmp_path / "spark" / household / "model.tar.gz").read_bytes()
        pool_files, spark_files = members(pooled), members(sparked)
        assert sorted(spark_files) == ["code/inference.py", "metadata.json", "model.json"]
        assert json.loads(spark_files["model.json"]) == json.loads(pool_files["model.json"])
        assert_close(json.loads(spark_files["metadata.json"]), json.loads(pool_files["metadata.json"]))
        assert sparked == pooled  # the bundle is deterministic: the same bytes from either engine
        spark_metrics = json.loads((tmp_path / "spark" / household / "metrics.json").read_text())
        pool_metrics = json.loads((tmp_path / "pool" / household / "metrics.json").read_text())
        assert_close(without_timing(spark_metrics), without_timing(pool_metrics))
        assert [(c["month"], c["as_of_day"]) for c in spark_metrics["by_month"]] == [
            ("2010-02", d) for d in (8, 15, 22)
        ]
    assert (tmp_path / "spark" / "h000" / "components.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "spark" / "h001" / "components.png").exists()
    summary = json.loads((tmp_path / "spark" / "metrics.json").read_text())
    assert [without_timing(r) for r in summary["per_household"]] == [
        without_timing(r) for r in pool["per_household"]
    ]
    assert summary["rest_of_month_mape_pct"] == pool["rest_of_month_mape_pct"]
