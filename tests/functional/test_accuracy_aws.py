"""The accuracy function against the emulator: its store, the models' published test metrics, the
operations topic, and its handlers end to end (a drifting household announced on SNS)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from scripts.local.bootstrap import bootstrap, create_operations_topic
from scripts.local.esm.events import kinesis_event, kinesis_event_record
from scripts.local.lambda_context import LocalLambdaContext
from services.accuracy.aws import DynamoAccuracyStore, S3Baselines
from services.accuracy.ports import ScoreItem
from services.core.bundle_format import metadata_sidecar
from services.core.clients import AwsClients, reset_clients
from services.core.features import TARGET
from services.core.hour_closed import HOUR_FORECASTED, HourClosedEvent, encode_event
from services.core.hourly import COUNT_PREFIX, SUM_PREFIX
from services.core.items import to_item
from services.core.reading import format_ts
from tests.accuracy_fakes import noisy, profile_kw

pytestmark = pytest.mark.functional
HOUR = timedelta(hours=1)
MODEL = "lstm/20261201000000.tar.gz"
FIRST_HOUR = datetime.fromisoformat("2010-03-01T00:00:00+00:00")


@pytest.fixture
def stack(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    bootstrap(aws)
    topic = create_operations_topic(aws)
    monkeypatch.setenv("WATTCAST_OPERATIONS_TOPIC_ARN", topic)
    monkeypatch.setenv("WATTCAST_DRIFT_DAYS", "2")
    reset_clients()
    clients = AwsClients(aws.settings.replace(operations_topic_arn=topic, drift_days=2))
    settings = clients.settings
    metadata = {"metrics": {"rmse_by_lead_kw": [0.3] * 24, "band_coverage_by_lead": [0.8] * 24}}
    clients.s3.put_object(
        Bucket=settings.data_bucket,
        Key=settings.models_prefix + metadata_sidecar(MODEL),
        Body=json.dumps(metadata).encode(),
    )
    return clients


def test_the_store_reads_back_what_it_wrote_in_key_order(stack: AwsClients) -> None:
    store = DynamoAccuracyStore(stack)
    items = [ScoreItem("h1", f"hour#2010-03-01T{h:02d}:00:00Z", {"actual_kw": h / 10}) for h in range(30)]
    store.put(items[:25] + items[25:])
    found = store.between("h1", "hour#2010-03-01T03:00:00Z", "hour#2010-03-01T05:00:00Z")
    assert [i["actual_kw"] for i in found] == [0.3, 0.4, 0.5]
    assert store.get("h1", "hour#2010-03-01T29:00:00Z") is not None and store.get("h2", "drift") is None
    assert len(store.everyone("hour#", "hour#~")) == 30


def test_a_models_test_error_comes_from_its_published_metadata(stack: AwsClients) -> None:
    baselines = S3Baselines(stack)
    baseline = baselines.baseline(MODEL)
    assert baseline is not None and baseline.rmse_kw == pytest.approx(0.3)
    assert baselines.baseline("lstm/never-published.tar.gz") is None


def test_a_household_whose_use_triples_is_announced_on_the_operations_topic(stack: AwsClients) -> None:
    from services.accuracy.handler import lambda_handler, sweep_handler

    settings = stack.settings
    sqs, sns = stack.sqs, stack.client("sns")
    queue = sqs.create_queue(QueueName="operators")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=settings.operations_topic_arn, Protocol="sqs", Endpoint=queue_arn)
    rng, records = random.Random(0), []
    for index in range(24 * 4):  # use triples on the third day
        hour = FIRST_HOUR + index * HOUR
        _store_hour(stack, "h1", hour, noisy(rng, (3.0 if index >= 48 else 1.0) * profile_kw(hour), 0.2))
        event = HourClosedEvent("h1", hour, str(index), 0.0, day_closed=hour.hour == 23)
        data = encode_event(HOUR_FORECASTED, event)
        records.append(kinesis_event_record(data=data, sequence_number=str(index + 1), partition_key="h1"))
    answer = lambda_handler(kinesis_event(records), LocalLambdaContext("wattcast-accuracy"))
    assert answer == {"batchItemFailures": []}
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    bodies = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    assert [(b["household_id"], b["event"], b["since"]) for b in bodies] == [("h1", "raised", "2010-03-03")]
    swept = sweep_handler({"sweep": "drift"}, LocalLambdaContext("wattcast-accuracy"))
    assert (swept["households"], swept["drifting_households"], swept["fleet_status"]) == (1, 1, "drifting")


def _store_hour(clients: AwsClients, household_id: str, hour: datetime, kw: float) -> None:
    """The hour's row as ingest stores it, and the forecast preprocess issued for it an hour before
    (the household's usual profile, for the next 24 hours)."""
    settings = clients.settings
    row = {
        "household_id": household_id,
        "hour": format_ts(hour),
        SUM_PREFIX + TARGET: kw,
        COUNT_PREFIX + TARGET: 1,
    }
    clients.dynamodb.put_item(TableName=settings.hourly_table, Item=to_item(row))
    forecast = {
        "household_id": household_id,
        "forecast_key": f"lstm#{format_ts(hour)}",
        "issued_for": format_ts(hour),
        "kw": [profile_kw(hour + k * HOUR) for k in range(24)],
        "model": MODEL,
    }
    clients.dynamodb.put_item(TableName=settings.forecasts_table, Item=to_item(forecast))
