"""The per-household function both engines run, and what it is built from: the Parquet input, the
deterministic bundle, the evaluation's feature cache, the one-go Stan data file, the models prefix."""

from __future__ import annotations

import io
import json
import logging
import tarfile
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws

from scripts.data import parquet_fleet as pf
from scripts.data.errors import DataError
from scripts.data.uci import default_data_path
from scripts.training import prophet as training
from scripts.training.engines.output import HouseholdModel, ModelsPrefix
from scripts.training.engines.spark import cores_of, local_master
from services.core import features
from services.core.errors import SettingsError

TRAIN_END = "2010-02-01"  # the bundled slice holds January and February 2010


@pytest.fixture(scope="module")
def h001() -> features.HourlySeries:
    return pf.simulated_series(default_data_path(), "h001")


@pytest.fixture(scope="module")
def fitted(h001: features.HourlySeries) -> tuple[Any, pd.Series]:
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    daily = training.daily_kwh_of(h001)
    return training.fit(daily[daily.index < pd.Timestamp(TRAIN_END)], 300), daily


def test_the_evaluation_feature_cache_changes_no_case(fitted: tuple[Any, pd.Series]) -> None:
    from prophet.serialize import model_to_json

    model, daily = fitted
    before = model_to_json(model)
    cached = training.evaluate_months(model, daily, TRAIN_END)
    assert "make_all_seasonality_features" not in vars(model)  # the instance attribute is gone
    assert model_to_json(model) == before
    plain = training.rest_of_month(model, daily, TRAIN_END)
    assert cached == plain
    assert [(c["month"], c["as_of_day"]) for c in cached] == [("2010-02", d) for d in (8, 15, 22)]


def test_stan_data_written_in_one_go_is_the_chunked_text(tmp_path: Path) -> None:
    from cmdstanpy.utils import filesystem
    from stanio.json import write_stan_json

    data = {"T": 3, "y": np.array([0.1, 1 / 3, 2e-17]), "X": np.arange(6.0).reshape(3, 2), "flag": True}
    write_stan_json(str(tmp_path / "chunked.json"), data)
    training._write_stan_json_in_one_go()
    filesystem.write_stan_json(str(tmp_path / "one_go.json"), data)  # type: ignore[attr-defined]
    assert (tmp_path / "one_go.json").read_text() == (tmp_path / "chunked.json").read_text()


def test_train_one_is_pure_and_its_bundle_deterministic(h001: features.HourlySeries) -> None:
    settings = training.FitSettings(train_end=TRAIN_END, version="20100201000000")
    first = training.train_one("h001", h001, settings)
    again = training.train_one("h001", h001, settings)
    assert first.bundle == again.bundle
    timing = ("train_seconds", "cpu_seconds")
    assert {k: v for k, v in first.metrics.items() if k not in timing} == {
        k: v for k, v in again.metrics.items() if k not in timing
    }
    assert first.metrics["cpu_seconds"] > 0
    with tarfile.open(fileobj=io.BytesIO(first.bundle)) as tar:
        assert tar.getnames() == ["code", "code/inference.py", "metadata.json", "model.json"]
        metadata = json.loads(tar.extractfile("metadata.json").read())  # type: ignore[union-attr]
    assert metadata["version"] == "20100201000000" and metadata["household_id"] == "h001"
    assert metadata["metrics"]["months"] == 1 and metadata["metrics"]["evaluated"] is True
    assert metadata["metrics"]["naive_mape_pct"] == first.metrics["naive_mape_pct"]
    assert first.plot is None and first.summary()["household_id"] == "h001"


def test_fleet_training_may_skip_the_evaluation(h001: features.HourlySeries) -> None:
    settings = training.FitSettings(train_end=TRAIN_END, version="v", evaluate=False, plot=True)
    result = training.train_one("h001", h001, settings)
    assert result.metrics["evaluated"] is False and result.metrics["by_month"] == []
    assert result.metrics["months"] == 0 and result.metrics["rest_of_month_mape_pct"] is None
    assert result.plot is not None and result.plot[:4] == b"\x89PNG"


def test_a_household_without_history_is_a_data_error(h001: features.HourlySeries) -> None:
    settings = training.FitSettings(train_end="2009-01-01", version="v")
    with pytest.raises(DataError, match="no measured day before 2009-01-01"):
        training.train_one("h001", h001, settings)


def test_the_parquet_fleet_round_trips_the_hourly_grid(tmp_path: Path) -> None:
    values = np.arange(5 * 7, dtype=float).reshape(5, 7)
    values[1] = np.nan  # an hour with nothing measured: not written, NaN again when read
    values[3, 2] = np.nan  # one measure missing
    fleet = {"a": features.HourlySeries(100, values), "b": features.HourlySeries(98, values[:2] * 2)}
    path = tmp_path / "fleet.parquet"
    assert pf.write_fleet(fleet.items(), path) == 4 + 1
    read = pf.read_fleet(path)
    assert sorted(read) == ["a", "b"]
    assert read["a"].start == 100
    np.testing.assert_array_equal(read["a"].values, values)
    assert read["b"].start == 98 and read["b"].values.shape == (1, 7)
    frame = pd.read_parquet(path)
    assert list(frame.columns) == list(pf.COLUMNS)
    assert str(frame[pf.TS].iloc[0]) == "1970-01-05 04:00:00+00:00"  # epoch hour 100
    assert list(pf.read_fleet(path, ["b"])) == ["b"]
    with pytest.raises(DataError, match="holds no hours of c"):
        pf.read_fleet(path, ["a", "c"])
    with pytest.raises(DataError, match="export-parquet"):
        pf.read_fleet(tmp_path / "absent.parquet")


def test_simulated_households_are_named_h_and_digits() -> None:
    assert pf.household_index("h012") == 12
    with pytest.raises(DataError, match="h000, h001"):
        pf.household_index("house-1")


def test_the_models_prefix_is_a_folder_or_an_s3_prefix(tmp_path: Path) -> None:
    assert ModelsPrefix.of("s3://models/prophet/") == ModelsPrefix("prophet", "models")
    assert ModelsPrefix.of("s3://models") == ModelsPrefix("", "models")
    with pytest.raises(SettingsError, match="names no bucket"):
        ModelsPrefix.of("s3:///prophet")
    result = HouseholdModel("h7", b"bundle", {"months": 0}, b"png")
    ModelsPrefix.of(str(tmp_path)).write_household(result)
    assert (tmp_path / "h7" / "model.tar.gz").read_bytes() == b"bundle"
    assert json.loads((tmp_path / "h7" / "metrics.json").read_text()) == {"months": 0}
    assert (tmp_path / "h7" / "components.png").read_bytes() == b"png"


@mock_aws
def test_the_engines_write_the_same_layout_to_s3() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="models")
    where = ModelsPrefix.of("s3://models/prophet").write_bytes("h7/model.tar.gz", b"bundle")
    assert where == "s3://models/prophet/h7/model.tar.gz"
    assert s3.get_object(Bucket="models", Key="prophet/h7/model.tar.gz")["Body"].read() == b"bundle"


def test_spark_local_masters() -> None:
    assert local_master(2) == "local[2]" and local_master(0) == "local[1]"
    assert cores_of("local[2]") == 2 and cores_of("local[3,2]") == 3 and cores_of("local") == 1
    assert cores_of("local[*]") >= 1


def test_daily_kwh_is_the_serving_definition(h001: features.HourlySeries) -> None:
    values = h001.values.copy()
    values[5:30, 0] = np.nan  # a day below the minimum of measured hours, and one partly measured
    gappy = features.HourlySeries(h001.start + 7, values)  # starting mid-day
    for series in (h001, gappy):
        assert training.daily_energy_kwh(series) == features.daily_energy_kwh(series)
