"""The whole embedded pipeline: replay -> ingest -> hourly events -> preprocess -> forecaster -> forecasts.

Exact counts, no train/serve skew (every stored forecast equals the bundle's own offline prediction on
the same stored hours), idempotent redelivery, and no forecast lost while the forecaster is down.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scripts.data.replay import ReplayOptions, replay
from scripts.local.esm.events import kinesis_event, kinesis_event_record
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.mappings import default_mappings
from scripts.local.stack import EmbeddedStack
from scripts.stores.forecasts import forecast_items
from scripts.stores.readings import hourly_rows, queue_messages, stream_records
from services.accuracy.aws import DynamoAccuracyStore
from services.core import features
from services.core.clients import AwsClients
from services.core.hourly import hours_payload
from services.core.reading import format_ts
from services.forecaster.runtimes import OnnxRuntime

pytestmark = pytest.mark.functional
HOUSEHOLDS, LOOKBACK = ("h000", "h001", "h002"), 48


def start_pipeline(
    sample_bundles: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    create_resources: bool = True,
    **settings: str,
) -> EmbeddedStack:
    """The embedded stack with fast local mappings and the sample bundles as the endpoint's models;
    `create_resources=False` uses what is already there (Terraform's)."""
    for name, value in {
        "WATTCAST_STACK_DIR": str(tmp_path / "stack"),
        "WATTCAST_ESM_POLL_INTERVAL_SECONDS": "0.05",
        "WATTCAST_ESM_IDLE_BACKOFF_MAX_SECONDS": "0.2",
        "WATTCAST_INGEST_BATCHING_WINDOW_SECONDS": "0.2",
        "WATTCAST_PREPROCESS_BATCHING_WINDOW_SECONDS": "0.2",
        "WATTCAST_ENDPOINT_RETRY_SECONDS": "1",
        "WATTCAST_AWS_MAX_ATTEMPTS": "2",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **settings,
    }.items():
        monkeypatch.setenv(name, value)
    stack = EmbeddedStack()
    stack.start(mappings=False, create_resources=create_resources)
    assert stack.clients is not None
    settings_ = stack.clients.settings
    for target, bundle in (
        (settings_.lstm_target_model, "lstm.tar.gz"),
        (settings_.prophet_default_model, "prophet.tar.gz"),
    ):
        stack.clients.s3.upload_file(
            str(sample_bundles[bundle]), settings_.data_bucket, settings_.models_prefix + target
        )
    stack.start_mappings(default_mappings(settings_))
    return stack


@pytest.fixture
def pipeline(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmbeddedStack]:
    stack = start_pipeline(sample_bundles, tmp_path, monkeypatch)
    yield stack
    stack.stop()


def send(stack: EmbeddedStack, start: str, days: float) -> None:
    options = ReplayOptions(households=3, days=days, start=start, readings_per_record=60, progress=False)
    replay(options, stack.clients)
    stack.run_until_idle(idle_seconds=1.0, timeout=300)


def offline_forecast(clients: AwsClients, item: dict[str, Any], onnx: OnnxRuntime) -> list[float]:
    """The bundle's own prediction from the stored hourly rows up to the item's origin."""
    origin = features.epoch_hour(item["origin"]) * 3600
    rows = hourly_rows(clients, item["household_id"])
    last = next(r.hour for r in rows if r.hour.timestamp() == origin)
    hours = hours_payload(rows, last - timedelta(hours=335), last)
    x, scaling = features.model_input(features.series_from_hours(hours), features.WindowSpec(LOOKBACK, 24))
    return [float(v) for v in features.decode_forecast(onnx.predict(x[None])[0], scaling)]


def all_forecasts(clients: AwsClients, kind: str) -> list[dict[str, Any]]:
    return [item for h in HOUSEHOLDS for item in forecast_items(clients, h, kind)]


def test_forecasts_for_every_closed_hour_equal_the_offline_prediction_and_survive_an_outage(
    pipeline: EmbeddedStack, sample_bundles: dict[str, Path]
) -> None:
    clients = pipeline.clients
    assert clients is not None
    send(pipeline, "2010-01-04", days=3)  # hours 0..71; 0..70 close; forecasts from hour 47 (lookback 48)
    lstm, months = all_forecasts(clients, "lstm"), all_forecasts(clients, "month")
    assert len(lstm) == 3 * (70 - 47 + 1) == 72
    assert sorted({m["as_of"] for m in months}) == ["2010-01-05", "2010-01-06"] and len(months) == 6
    onnx = OnnxRuntime(sample_bundles["lstm"] / "model.onnx")
    for item in lstm:
        assert item["kw"] == pytest.approx(offline_forecast(clients, item, onnx), abs=1e-5)
    _assert_hours_scored(clients, lstm, hours=range(48, 71))

    before = {(i["household_id"], i["forecast_key"]): _content(i) for i in lstm + months}
    _redeliver_hourly_events(clients)
    after = {
        (i["household_id"], i["forecast_key"]): _content(i)
        for i in all_forecasts(clients, "lstm") + all_forecasts(clients, "month")
    }
    assert after == before

    pipeline.stop_forecaster()
    options = ReplayOptions(households=3, days=1, start="2010-01-07", readings_per_record=60, progress=False)
    replay(options, clients)
    time.sleep(6)  # preprocess fails and retries while the forecaster is down
    pipeline.start_forecaster()
    pipeline.run_until_idle(idle_seconds=1.0, timeout=300)
    assert len(all_forecasts(clients, "lstm")) == 72 + 3 * 24
    assert len(all_forecasts(clients, "month")) == 6 + 3
    assert queue_messages(clients, clients.settings.stream_failures_queue) == []
    store = DynamoAccuracyStore(clients)
    days = [store.get(h, "day#2010-01-06") for h in HOUSEHOLDS]  # closed once 2010-01-07 came
    assert [d["hours"] if d else None for d in days] == [24, 24, 24]
    assert [(r or {}).get("as_of") for r in (store.get(h, "rolling") for h in HOUSEHOLDS)] == [
        "2010-01-06"
    ] * 3


def _assert_hours_scored(clients: AwsClients, lstm: list[dict[str, Any]], hours: range) -> None:
    """Each closed hour that a forecast covered is scored: its actual is the stored hour's mean, its
    lead-1 forecast the one issued an hour before, its lead-k forecast the one issued k hours before."""
    store = DynamoAccuracyStore(clients)
    issued = {(i["household_id"], i["issued_for"]): i["kw"] for i in lstm}
    for household_id in HOUSEHOLDS:
        actual = {format_ts(r.hour): r.means[features.TARGET] for r in hourly_rows(clients, household_id)}
        scored = store.between(household_id, "hour#", "hour#~")
        assert [i["hour"] for i in scored] == [f"2010-01-0{4 + h // 24}T{h % 24:02d}:00:00Z" for h in hours]
        for item in scored:
            assert item["actual_kw"] == pytest.approx(actual[item["hour"]])
            start = datetime.fromisoformat(item["hour"])
            for lead, forecast, _ in item["leads"]:
                first = format_ts(start - timedelta(hours=lead - 1))
                assert forecast == pytest.approx(issued[(household_id, first)][lead - 1])


def _content(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "stored_at"}


def _redeliver_hourly_events(clients: AwsClients) -> None:
    from services.preprocess.handler import lambda_handler

    records = [
        kinesis_event_record(
            data=r["Data"],
            sequence_number=r["SequenceNumber"],
            partition_key=r["PartitionKey"],
            shard_id=shard,
            approximate_arrival=r["ApproximateArrivalTimestamp"].timestamp(),
        )
        for shard, r in stream_records(clients, clients.settings.hourly_stream)
    ]
    assert lambda_handler(kinesis_event(records), LocalLambdaContext("wattcast-preprocess")) == {
        "batchItemFailures": []
    }


def test_records_delivered_one_round_late_lose_no_hour_and_no_forecast(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One record per ingest call: a record sent after the next hour's arrives after that hour is
    # stored, past the allowed lateness: before event time, its hour never closed.
    stack = start_pipeline(sample_bundles, tmp_path, monkeypatch, WATTCAST_INGEST_BATCH_SIZE="1")
    try:
        assert stack.clients is not None
        households = ("h000", "h001")
        options = ReplayOptions(
            households=2, days=3, start="2010-01-04", readings_per_record=60, late_share=0.15, progress=False
        )
        sent = replay(options, stack.clients)
        assert sent.delayed >= 10
        stack.run_until_idle(idle_seconds=1.0, timeout=300)
        announced = [json.loads(r["Data"]) for _, r in stream_records(aws, aws.settings.hourly_stream)]
        for household in households:
            hours = {e["hour"] for e in announced if e["household_id"] == household}
            assert len(hours) == 71, household  # hours 0..70 close, 71 stays open: none is lost
            assert any(e["revised"] for e in announced if e["household_id"] == household)
            lstm = forecast_items(aws, household, "lstm")
            assert len(lstm) == 70 - 47 + 1  # one forecast per closed hour with 48 hours behind it
            assert {m["as_of"] for m in forecast_items(aws, household, "month")} == {
                "2010-01-05",
                "2010-01-06",
            }
    finally:
        stack.stop()
