"""Ingest against a real emulator (moto server on 127.0.0.1): publisher -> Kinesis -> local event
source mapping -> ingest handler -> S3, DynamoDB, SQS and the hourly stream."""

from __future__ import annotations

import base64
import gzip
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from scripts.data.replay import ReplayOptions, replay
from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, load_uci
from scripts.local.bootstrap import bootstrap
from scripts.local.esm.context import RunnerTuning
from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.esm.invokers import InProcessInvoker
from scripts.local.esm.runner import MappingRunner
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.mappings import ingest_mapping
from scripts.stores.readings import (
    archived_readings,
    dead_letters,
    hour_closed_events,
    hourly_items,
    hourly_rows,
)
from services.core.clients import AwsClients
from services.core.reading import MEASURES
from services.ingest.handler import lambda_handler
from tests.readings import payload, reading_dict

pytestmark = pytest.mark.functional
FAST = RunnerTuning(
    retry_backoff_initial_seconds=0.01, retry_backoff_max_seconds=0.05, shard_refresh_seconds=1.0
)


@pytest.fixture
def stack(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("WATTCAST_ESM_POLL_INTERVAL_SECONDS", "0.02")
    monkeypatch.setenv("WATTCAST_ESM_IDLE_BACKOFF_MAX_SECONDS", "0.1")
    monkeypatch.setenv("WATTCAST_INGEST_BATCHING_WINDOW_SECONDS", "0.2")
    clients = AwsClients()
    bootstrap(clients)
    yield clients


def drain(clients: AwsClients) -> None:
    mapping = ingest_mapping(clients.settings)
    with MappingRunner(
        mapping, InProcessInvoker(mapping.handler), clients, clients.settings, tuning=FAST
    ) as runner:
        runner.run_until_idle(idle_seconds=0.5, timeout=120)


def replay_options(**changes: Any) -> ReplayOptions:
    defaults: dict[str, Any] = {"households": 3, "days": 0.5, "start": "2010-01-04", "progress": False}
    return ReplayOptions(**(defaults | changes))


def test_hourly_aggregates_equal_an_independent_pandas_resample(stack):
    sent = replay(replay_options(seed=7), stack)
    drain(stack)
    frame = load_uci(default_data_path(), start="2010-01-04", end="2010-01-04 12:00")
    expected_rows = 0
    for household_id, minutes in simulate_households(frame, 3, seed=7).items():
        expected = minutes.resample("h").mean()
        stored = {row.hour: row for row in hourly_rows(stack, household_id)}
        assert len(stored) == len(expected) == 12
        means_by_hour = expected.loc[:, list(MEASURES)].to_numpy(dtype=float).tolist()
        for hour, means in zip(pd.DatetimeIndex(expected.index), means_by_hour, strict=True):
            row = stored[hour.to_pydatetime()]
            assert row.minutes == 60
            for measure, expected_mean in zip(MEASURES, means, strict=True):
                if math.isnan(expected_mean):
                    assert row.means[measure] is None
                else:
                    assert row.means[measure] == pytest.approx(expected_mean, rel=1e-12, abs=1e-12)
        expected_rows += len(expected)
    assert sent.readings == 3 * 720 and expected_rows == 36


def test_the_same_batch_three_times_leaves_s3_dynamodb_and_the_hourly_stream_unchanged(stack):
    readings = [reading_dict(h, m, power=0.5 + m / 1000) for m in range(150) for h in ("a1", "b2")]
    event = kinesis_event_from_payloads(
        [payload(r) for r in readings], partition_keys=[r["household_id"] for r in readings]
    )

    def snapshot():
        bucket = stack.settings.data_bucket
        keys = [o["Key"] for o in stack.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        objects = {k: stack.s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
        items = sorted(hourly_items(stack), key=lambda i: (i["household_id"]["S"], i["hour"]["S"]))
        return objects, items, hour_closed_events(stack)

    responses = [lambda_handler(event, LocalLambdaContext("wattcast-ingest"))]
    first = snapshot()
    responses += [lambda_handler(event, LocalLambdaContext("wattcast-ingest")) for _ in range(2)]
    assert snapshot() == first
    assert responses == [{"batchItemFailures": []}] * 3
    objects, items, events = first
    assert len(objects) == 1 and len(gzip.decompress(next(iter(objects.values()))).splitlines()) == 300
    assert len(items) == 6
    assert sorted((e["household_id"], e["hour"], e["announcement"]) for e in events) == [
        (h, f"2010-01-01T0{n}:00:00Z", 1) for h in ("a1", "b2") for n in (0, 1)
    ]
    states = stack.dynamodb.scan(TableName=stack.settings.households_table)["Items"]
    assert sorted((i["household_id"]["S"], i["announced"]["N"]) for i in states) == [("a1", "1"), ("b2", "1")]


def test_poison_records_go_to_the_dead_letters_and_every_good_reading_is_stored(stack):
    sent = replay(replay_options(bad_share=0.05, duplicate_share=0.02, seed=3), stack)
    drain(stack)
    stored_minutes = Counter[str]()
    for row in hourly_rows(stack):
        stored_minutes[row.household_id] += row.minutes
    assert stored_minutes == sent.readings_by_household
    letters = dead_letters(stack)
    assert sum(sent.malformed.values()) > 50
    assert Counter(letter["reason"] for letter in letters) == sent.malformed
    assert Counter(letter["partition_key"] for letter in letters) == sent.malformed_by_household
    for letter in letters:
        assert letter["detail"] and letter["sequence_number"] and letter["shard_id"].startswith("shardId-")
        assert base64.b64decode(letter["data_base64"])
    assert len(archived_readings(stack)) == sent.readings


def test_kpl_aggregated_input_gives_the_same_result_as_plain_input(stack, moto_server):
    def run(aggregate: bool) -> tuple[list[Any], list[Any], int]:
        sent = replay(replay_options(households=4, aggregate=aggregate, bad_share=0.02, seed=5), stack)
        drain(stack)
        items = sorted(hourly_items(stack), key=lambda i: (i["household_id"]["S"], i["hour"]["S"]))
        events = sorted((e["household_id"], e["hour"]) for e in hour_closed_events(stack))
        return items, events, sent.records

    plain_items, plain_events, plain_records = run(aggregate=False)
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    bootstrap(stack)
    kpl_items, kpl_events, kpl_records = run(aggregate=True)
    assert kpl_items == plain_items and len(plain_items) == 48
    assert kpl_events == plain_events and len(plain_events) == 44
    assert kpl_records == plain_records


def test_a_dead_letter_outage_reports_only_the_bad_records_as_failed(stack):
    url = stack.sqs.get_queue_url(QueueName=stack.settings.dead_letter_queue)["QueueUrl"]
    stack.sqs.delete_queue(QueueUrl=url)
    payloads = [payload(reading_dict("h1", 0)), b"oops", payload(reading_dict("h1", 1))]
    event = kinesis_event_from_payloads(payloads, first_sequence=500)
    response = lambda_handler(event, LocalLambdaContext("wattcast-ingest"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "501"}]}
    assert sum(row.minutes for row in hourly_rows(stack)) == 2
