"""Retraining from live data against moto on loopback: the hourly table as training data, versioned
bundles with sidecars, champion/challenger promotion with real bundles scored as served, rollback,
and preprocess invoking the champion the pointer names."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scripts.cli import main
from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, hourly_series, load_uci
from scripts.evaluation.bills import store_hours
from scripts.local.bootstrap import bootstrap
from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.forecaster_process import ForecasterProcess
from scripts.registry.aws import publish_challenger
from scripts.registry.bundles import RegistryError, S3Bundles, archive_metadata
from scripts.registry.retrain import store_training_data
from scripts.registry.training_job import main as training_job
from scripts.stores.forecasts import forecast_items
from scripts.training import lstm
from scripts.training.default_models import ensure_models
from scripts.training.package import package_lstm
from services.core import bundle_format as fmt
from services.core.clients import AwsClients
from services.core.forecast_store import DynamoForecastStore
from services.core.hourly_table import DynamoHourlyHistory
from services.core.model_pointer import ModelSlot, Pointer, SsmPointers
from services.core.reading import format_ts
from services.preprocess.aws import SageMakerForecaster
from services.preprocess.pipeline import PreprocessPorts, preprocess_batch

pytestmark = pytest.mark.functional
HOUSEHOLDS = ("h000", "h001")
WORSE_VERSION = "20100301000000"


def seed_store(clients: AwsClients, households: int = 2) -> None:
    """The bundled slice (January and February 2010) as ingest would have stored it, per household."""
    bootstrap(clients, readings_shards=1)
    frame = load_uci(default_data_path())
    for household_id, household in simulate_households(frame, households).items():
        store_hours(clients, household_id, household)
        clients.dynamodb.put_item(
            TableName=clients.settings.households_table, Item={"household_id": {"S": household_id}}
        )


@pytest.fixture(scope="module")
def worse_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real LSTM bundle that forecasts every hour three standard deviations above its window's
    mean: packaged and served like any other, and clearly worse than the 1-epoch sample."""
    import keras

    options = lstm.LstmOptions(data=default_data_path(), out=Path("unused"), lookback=48, units=8)
    model = lstm.build_model(options)
    kernel, bias = model.get_layer("forecast").get_weights()
    model.get_layer("forecast").set_weights([np.zeros_like(kernel), np.full_like(bias, 3.0)])
    keras.utils.set_random_seed(0)
    series = hourly_series(load_uci(default_data_path()))
    metadata = lstm.bundle_metadata(
        options, series, version=WORSE_VERSION, metrics={"test_mae_kw": 9.9, "rmse_by_lead_kw": [9.9] * 24}
    )
    return package_lstm(model, tmp_path_factory.mktemp("worse") / "model.tar.gz", metadata)


def pointer(clients: AwsClients, slot: ModelSlot = ModelSlot.LSTM) -> Pointer | None:
    return SsmPointers(clients).get(slot)


def test_the_store_source_reads_the_seeded_hourly_table_as_the_training_series(
    aws: AwsClients, tmp_path: Path
) -> None:
    seed_store(aws)
    fleet, train_end = store_training_data(aws)
    assert sorted(fleet) == list(HOUSEHOLDS) and train_end == "2010-02-15"  # the holdout's first day
    uci = hourly_series(load_uci(default_data_path()))
    assert fleet["h000"].start == uci.start and fleet["h000"].values.shape == uci.values.shape
    np.testing.assert_allclose(fleet["h000"].values, uci.values, rtol=1e-9)  # h000 is the UCI house
    assert not np.allclose(fleet["h001"].values, uci.values, equal_nan=True)

    out = tmp_path / "lstm"
    options = lstm.LstmOptions(
        data=Path("dynamodb:wattcast-hourly"),
        out=out,
        train_end=train_end,
        lookback=24,
        horizon=6,
        units=8,
        epochs=1,
        validation_days=7,
        batch_size=64,
        onnx=False,
        gbm=None,  # the blended member over several households: the slow retrain test below
    )
    metrics = lstm.train_lstm(options, fleet)
    metadata = archive_metadata(out / "model.tar.gz")
    assert metadata["source"] == "store" and metadata["households"] == 2
    assert metadata["data_range"] == ["2010-01-01T00:00:00Z", "2010-02-28T23:00:00Z"]
    assert metrics["test_from"] >= "2010-02-15T00:00:00Z" and 0 < metrics["test_rmse_kw"] < 3
    assert len(metadata["version"]) == 14 and metadata["version"].isdigit()  # UTC yyyymmddHHMMSS
    target = publish_challenger(aws, ModelSlot.LSTM, out / "model.tar.gz")
    assert target == f"lstm/{metadata['version']}.tar.gz"
    sidecar = aws.s3.get_object(Bucket="wattcast-data", Key="models/" + fmt.metadata_sidecar(target))
    assert json.loads(sidecar["Body"].read())["metrics"]["rmse_by_lead_kw"] == metrics["rmse_by_lead_kw"]


def test_a_worse_challenger_is_refused_a_forced_one_rolls_back_to_the_champion(
    aws: AwsClients, sample_bundles: dict[str, Path], worse_bundle: Path, tmp_path: Path, capsys: Any
) -> None:
    seed_store(aws)
    cache = tmp_path / "cache"
    for target, bundle in (
        ("lstm/default.tar.gz", "lstm.tar.gz"),
        ("prophet/default.tar.gz", "prophet.tar.gz"),
    ):
        (cache / target).parent.mkdir(parents=True, exist_ok=True)
        (cache / target).write_bytes(sample_bundles[bundle].read_bytes())
    pushed = ensure_models(aws, data=default_data_path(), train_end="2010-02-01", cache=cache)
    assert pushed["/wattcast/models/lstm"] == "champion lstm/default.tar.gz"
    assert S3Bundles(aws).has_sidecar("prophet/default.tar.gz")

    challenger = publish_challenger(aws, ModelSlot.LSTM, worse_bundle)
    assert challenger == f"lstm/{WORSE_VERSION}.tar.gz"
    with pytest.raises(RegistryError, match="never overwritten"):
        publish_challenger(aws, ModelSlot.LSTM, worse_bundle)

    capsys.readouterr()
    assert main(["models", "promote", "lstm", challenger]) == 1
    report = json.loads(capsys.readouterr().out)
    holdout = report["holdout"]
    assert report["promoted"] is False and pointer(aws).champion == "lstm/default.tar.gz"  # type: ignore[union-attr]
    assert (
        holdout["window"] == ["2010-02-15T00:00:00Z", "2010-02-28T23:00:00Z"] and holdout["households"] == 2
    )
    assert holdout["metric"] == "rmse_kw_next_24h_all_leads" and holdout["pairs"] > 2 * 300 * 20
    assert holdout["champion"]["score"] < holdout["challenger"]["score"]

    assert main(["models", "promote", "lstm", challenger, "--force"]) == 0
    forced = json.loads(capsys.readouterr().out)
    assert forced["promoted"] is True and forced["forced"] is True and forced["holdout"] == holdout
    now = pointer(aws)
    assert now is not None and now.champion == challenger and now.previous == ("lstm/default.tar.gz",)

    assert main(["models", "rollback", "lstm"]) == 0
    assert json.loads(capsys.readouterr().out)["champion"] == "lstm/default.tar.gz"
    restored = pointer(aws)
    assert restored is not None and restored.champion == "lstm/default.tar.gz" and restored.previous == ()

    assert main(["models", "status"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["slot"], r["champion"]) for r in rows] == [
        ("lstm", "lstm/default.tar.gz"),
        ("prophet-default", "prophet/default.tar.gz"),
    ]


def test_the_training_job_retrains_the_default_prophet_from_the_store_and_promotes_it_if_better(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    seed_store(aws)
    # The sample default: 8 weeks of 2010 days with no month-to-date level (it forecasts its own level).
    aws.s3.upload_file(
        str(sample_bundles["prophet.tar.gz"]), "wattcast-data", "models/prophet/default.tar.gz"
    )
    (tmp_path / "input/config").mkdir(parents=True)
    (tmp_path / "input/config/hyperparameters.json").write_text(json.dumps({"model": "prophet"}))
    assert training_job(["train"], root=tmp_path) == 0  # what `docker run IMAGE train` runs
    report = json.loads((tmp_path / "output/data/retrain.json").read_text())
    challenger = report["challenger"]
    assert challenger.startswith("prophet/default/") and report["train_end"] == "2010-02-15"
    holdout = report["holdout"]
    assert holdout["metric"] == "rmse_kwh_per_day" and holdout["pairs"] == 2 * 14
    assert holdout["champion"]["target"] == "prophet/default.tar.gz"
    assert report["promoted"] is (holdout["challenger"]["score"] < holdout["champion"]["score"])
    current = pointer(aws, ModelSlot.PROPHET_DEFAULT)
    if report["promoted"]:
        assert current is not None and current.champion == challenger
        assert current.holdout["challenger"]["score"] == holdout["challenger"]["score"]
    else:
        assert current is None
    sidecar = json.loads(
        aws.s3.get_object(Bucket="wattcast-data", Key="models/" + fmt.metadata_sidecar(challenger))[
            "Body"
        ].read()
    )
    assert sidecar["household_id"] == "default" and sidecar["level_adjustment"] == "month_to_date"


def test_preprocess_invokes_the_champion_the_pointer_names(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_store(aws, households=1)
    champion = "lstm/20100215000000.tar.gz"
    S3Bundles(aws).publish_new(sample_bundles["lstm.tar.gz"], champion)  # nothing at lstm/default.tar.gz
    SsmPointers(aws).put(ModelSlot.LSTM, Pointer(champion, ("lstm/default.tar.gz",)))
    history = DynamoHourlyHistory(aws, aws.settings)
    hours = [r.hour for r in history.rows("h000", *_day(2010, 2, 20))]
    payloads = [
        json.dumps({"type": "hour_closed", "household_id": "h000", "hour": format_ts(h)}).encode()
        for h in hours[:3]
    ]
    forecaster = ForecasterProcess(models_dir=tmp_path / "models", log=tmp_path / "forecaster.log")
    forecaster.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", forecaster.url)
        clients = AwsClients(aws.settings)
        ports = PreprocessPorts(
            history, SageMakerForecaster(clients, aws.settings), DynamoForecastStore(aws, aws.settings)
        )
        outcome = preprocess_batch(
            kinesis_event_from_payloads(payloads)["Records"], ports, aws.settings, deadline=1e12
        )
    finally:
        forecaster.stop()
    assert outcome.failed_sequence_numbers == set() and outcome.forecasts_stored == 3
    items = forecast_items(aws, "h000", "lstm")
    assert len(items) == 3 and {item["model"] for item in items} == {champion}


def _day(year: int, month: int, day: int) -> tuple[datetime, datetime]:
    first = datetime(year, month, day, tzinfo=UTC)
    return first, first + timedelta(hours=23)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_scheduled_lstm_retrain_trains_the_blend_on_every_household_and_reports_both_scores(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    """Five minutes or so on two cores, most of it the GBM member's 24 leads on two households."""
    seed_store(aws)
    S3Bundles(aws).publish_new(sample_bundles["lstm.tar.gz"], "lstm/default.tar.gz")
    report_path = tmp_path / "report.json"
    argv = ["models", "retrain", "lstm", "--lookback", "48", "--epochs", "3", "--max-minutes", "1"]
    assert main([*argv, "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    holdout = report["holdout"]
    assert report["households"] == 2 and holdout["households"] == 2 and report["train_end"] == "2010-02-15"
    assert holdout["champion"]["score"] is not None and holdout["challenger"]["score"] is not None
    assert report["promoted"] is (holdout["challenger"]["score"] < holdout["champion"]["score"])
    metadata = json.loads(
        aws.s3.get_object(Bucket="wattcast-data", Key="models/" + fmt.metadata_sidecar(report["challenger"]))[
            "Body"
        ].read()
    )
    assert "gbm" in metadata["members"] and len(metadata["metrics"]["band_coverage_by_lead"]) == 24
