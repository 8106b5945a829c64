"""The local event source mapping against a moto server: ordering, batching, retries, discards, restarts."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.local.esm import NotIdleError, StreamNotActiveError
from scripts.local.esm.checkpoints import CheckpointKey, CheckpointStore, JsonFileCheckpointStore
from scripts.local.esm.invokers import InProcessInvoker
from scripts.local.esm.runner import MappingRunner, RunnerTuning
from scripts.local.esm.status import read_status
from scripts.local.mappings import EventSourceMapping
from services.core.clients import AwsClients
from services.core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

pytestmark = pytest.mark.functional

STREAM = "esm-test-readings"
QUEUE = "esm-test-failures"
SHARD_0, SHARD_1 = "shardId-000000000000", "shardId-000000000001"
HASH_KEY = {SHARD_0: "0", SHARD_1: str(2**127)}  # an explicit hash key inside each shard's range
POISON = b"poison"

TUNING = RunnerTuning(
    retry_backoff_initial_seconds=0.01,
    retry_backoff_max_seconds=0.04,
    error_backoff_seconds=0.05,
    shard_refresh_seconds=0.2,
    stream_active_timeout_seconds=5.0,
    status_interval_seconds=0.1,
)


@dataclass(frozen=True)
class Invocation:
    shard_id: str
    sequence_numbers: list[str]
    data: list[bytes]
    records: list[dict[str, Any]]


@dataclass
class Recorder:
    """What the handler saw, and how it should answer (set by each test)."""

    invocations: list[Invocation] = field(default_factory=list)
    respond: Callable[[Invocation], Any] = lambda invocation: None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: dict[str, Any]) -> Any:
        records = event["Records"]
        invocation = Invocation(
            shard_id=records[0]["eventID"].split(":")[0],
            sequence_numbers=[r["kinesis"]["sequenceNumber"] for r in records],
            data=[base64.b64decode(r["kinesis"]["data"]) for r in records],
            records=records,
        )
        with self.lock:
            self.invocations.append(invocation)
        return self.respond(invocation)

    def on_shard(self, shard_id: str) -> list[Invocation]:
        with self.lock:
            return [i for i in self.invocations if i.shard_id == shard_id]

    def delivered(self, shard_id: str) -> list[bytes]:
        return [data for invocation in self.on_shard(shard_id) for data in invocation.data]


RECORDER = Recorder()


def recording_handler(event: dict[str, Any], context: Any) -> Any:
    return RECORDER.handle(event)


def raise_on_poison(invocation: Invocation) -> None:
    if POISON in invocation.data:
        raise ValueError("poison record")


@pytest.fixture(autouse=True)
def _fresh_recorder() -> Iterator[None]:
    RECORDER.invocations.clear()
    RECORDER.respond = lambda invocation: None
    yield


@pytest.fixture
def stream(aws: AwsClients) -> str:
    aws.kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    return aws.kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]


@pytest.fixture
def queue_url(aws: AwsClients) -> str:
    return aws.sqs.create_queue(QueueName=QUEUE)["QueueUrl"]


@pytest.fixture
def runners() -> Iterator[list[MappingRunner]]:
    """Every runner a test makes is stopped afterwards, even when the test fails."""
    made: list[MappingRunner] = []
    yield made
    for runner in made:
        runner.stop(timeout=5)


def put(aws: AwsClients, shard_id: str, data: list[bytes]) -> list[str]:
    """Put records into one shard in one call; return their sequence numbers."""
    entries: list[PutRecordsRequestEntryTypeDef] = [
        {"Data": item, "PartitionKey": f"meter-{i}", "ExplicitHashKey": HASH_KEY[shard_id]}
        for i, item in enumerate(data)
    ]
    response = aws.kinesis.put_records(StreamName=STREAM, Records=entries)
    assert {r["ShardId"] for r in response["Records"]} == {shard_id}
    return [r["SequenceNumber"] for r in response["Records"]]


def payloads(prefix: str, count: int) -> list[bytes]:
    return [f"{prefix}-{i}".encode() for i in range(count)]


def failure_messages(aws: AwsClients, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := aws.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        messages.extend(json.loads(m["Body"]) for m in batch)
    return messages


def make_runner(
    aws: AwsClients,
    runners: list[MappingRunner],
    *,
    checkpoint_store: CheckpointStore | None = None,
    clock: Callable[[], float] = time.time,
    status_file: Path | None = None,
    tuning: RunnerTuning = TUNING,
    **mapping_knobs: Any,
) -> MappingRunner:
    mapping = EventSourceMapping(
        function_name="esm-test",
        handler=f"{__name__}.recording_handler",
        stream_name=STREAM,
        on_failure_queue=QUEUE,
        function_timeout_seconds=10,
        **mapping_knobs,
    )
    settings = Settings.from_env(esm_poll_interval_seconds=0.01, esm_idle_backoff_max_seconds=0.05)
    runner = MappingRunner(
        mapping,
        InProcessInvoker(mapping.handler),
        aws,
        settings,
        checkpoint_store,
        tuning=tuning,
        clock=clock,
        status_file=status_file,
    )
    runners.append(runner)
    return runner


def test_every_record_is_delivered_in_order_per_shard_as_a_lambda_event(
    aws: AwsClients, stream: str, runners: list[MappingRunner]
) -> None:
    sent = {shard: payloads(shard[-1], 15) for shard in (SHARD_0, SHARD_1)}
    sequence_numbers = {shard: put(aws, shard, data) for shard, data in sent.items()}
    before = time.time()

    runner = make_runner(aws, runners, batch_size=7)
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    for shard in (SHARD_0, SHARD_1):
        invocations = RECORDER.on_shard(shard)
        assert [len(i.sequence_numbers) for i in invocations] == [7, 7, 1]
        assert RECORDER.delivered(shard) == sent[shard]
        assert [s for i in invocations for s in i.sequence_numbers] == sequence_numbers[shard]
        record = invocations[0].records[0]
        assert record["eventID"] == f"{shard}:{sequence_numbers[shard][0]}"
        assert record["eventSourceARN"] == stream == runner.stream_arn
        assert record["eventSource"] == "aws:kinesis"
        assert record["awsRegion"] == "us-east-1"
        assert record["kinesis"]["partitionKey"] == "meter-0"
        assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
        assert before - 30 < record["kinesis"]["approximateArrivalTimestamp"] <= time.time()

    shards = runner.status()["shards"]
    assert shards[SHARD_0]["records_delivered"] == shards[SHARD_1]["records_delivered"] == 15
    assert shards[SHARD_0]["batches_ok"] == 3
    assert shards[SHARD_0]["batches_failed"] == 0
    assert shards[SHARD_1]["last_sequence_number"] == sequence_numbers[SHARD_1][-1]
    assert shards[SHARD_0]["state"] == "polling"
    json.dumps(runner.status())


def test_the_batching_window_gathers_records_that_arrive_apart(
    aws: AwsClients, stream: str, runners: list[MappingRunner]
) -> None:
    runner = make_runner(aws, runners, batch_size=100, maximum_batching_window_seconds=0.6)
    runner.start()
    started = time.monotonic()
    for data in payloads("apart", 3):
        put(aws, SHARD_0, [data])
        time.sleep(0.1)
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    assert [i.data for i in RECORDER.on_shard(SHARD_0)] == [payloads("apart", 3)]
    assert time.monotonic() - started >= 0.6


def test_a_partial_failure_redelivers_from_the_lowest_failed_record_only(
    aws: AwsClients, stream: str, runners: list[MappingRunner]
) -> None:
    seqs = put(aws, SHARD_0, payloads("partial", 6))

    def fail_records_4_and_3_once(invocation: Invocation) -> dict[str, Any]:
        if len(RECORDER.on_shard(SHARD_0)) > 1:
            return {"batchItemFailures": []}
        return {"batchItemFailures": [{"itemIdentifier": seqs[4]}, {"itemIdentifier": seqs[3]}]}

    RECORDER.respond = fail_records_4_and_3_once
    runner = make_runner(aws, runners, batch_size=10, report_batch_item_failures=True)
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    assert [i.sequence_numbers for i in RECORDER.on_shard(SHARD_0)] == [seqs, seqs[3:]]
    shard = runner.status()["shards"][SHARD_0]
    assert (shard["records_delivered"], shard["batches_ok"], shard["batches_failed"]) == (6, 1, 1)
    assert shard["last_sequence_number"] == seqs[-1]
    assert "batch item failure" in shard["last_error"]


def test_a_poison_record_is_bisected_out_retried_and_sent_to_the_on_failure_queue(
    aws: AwsClients, stream: str, queue_url: str, runners: list[MappingRunner]
) -> None:
    sent = payloads("ok", 8)
    sent[5] = POISON
    seqs = put(aws, SHARD_0, sent)
    RECORDER.respond = raise_on_poison
    runner = make_runner(
        aws, runners, batch_size=8, bisect_batch_on_function_error=True, maximum_retry_attempts=2
    )
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    attempts = [i.sequence_numbers for i in RECORDER.on_shard(SHARD_0)]
    assert attempts == [
        seqs,
        seqs[:4],
        seqs[4:],
        seqs[4:6],
        seqs[4:5],
        [seqs[5]],
        [seqs[5]],
        [seqs[5]],
        seqs[6:],
    ]
    succeeded = [i.data for i in RECORDER.on_shard(SHARD_0) if POISON not in i.data]
    assert [d for batch in succeeded for d in batch] == sent[:5] + sent[6:]

    [message] = failure_messages(aws, queue_url)
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert (
        message["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:esm-test"
    )
    assert message["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = message["KinesisBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]) == (
        SHARD_0,
        seqs[5],
        seqs[5],
    )
    assert (info["batchSize"], info["streamArn"]) == (1, stream)
    shard = runner.status()["shards"][SHARD_0]
    assert (shard["records_delivered"], shard["records_discarded"]) == (7, 1)
    assert shard["last_sequence_number"] == seqs[-1]


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_records_older_than_the_maximum_age_are_discarded_without_invoking(
    aws: AwsClients, stream: str, queue_url: str, runners: list[MappingRunner]
) -> None:
    old = put(aws, SHARD_0, payloads("old", 3))
    clock = FakeClock()
    clock.offset = 120.0
    runner = make_runner(aws, runners, clock=clock, maximum_record_age_seconds=60)
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    assert RECORDER.invocations == []
    [message] = failure_messages(aws, queue_url)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["requestContext"]["approximateInvokeCount"] == 0
    assert message["responseContext"]["functionError"] is None
    info = message["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (old[0], old[-1], 3)

    clock.offset = 0.0
    fresh = put(aws, SHARD_0, payloads("fresh", 2))
    runner.run_until_idle(idle_seconds=0.1, timeout=10)
    assert [i.sequence_numbers for i in RECORDER.invocations] == [fresh]
    assert runner.status()["shards"][SHARD_0]["records_discarded"] == 3


def test_checkpoints_survive_a_restart_and_status_is_published(
    aws: AwsClients, stream: str, runners: list[MappingRunner], tmp_path: Path
) -> None:
    store = JsonFileCheckpointStore.in_directory(tmp_path)
    status_file = tmp_path / "esm-esm-test.json"
    first = put(aws, SHARD_0, payloads("first", 5))
    make_runner(aws, runners, checkpoint_store=store, status_file=status_file).run_until_idle(0.1, timeout=10)
    runners[0].stop()
    assert JsonFileCheckpointStore(store.path).get(CheckpointKey("esm-test", stream, SHARD_0)) == first[-1]
    published = read_status(status_file)
    assert published is not None
    assert published["state"] == "stopped"
    assert published["shards"][SHARD_0]["records_delivered"] == 5

    second = put(aws, SHARD_0, payloads("second", 3))
    RECORDER.invocations.clear()
    make_runner(aws, runners, checkpoint_store=JsonFileCheckpointStore(store.path)).run_until_idle(
        0.1, timeout=10
    )
    assert [s for i in RECORDER.invocations for s in i.sequence_numbers] == second


def test_child_shards_start_after_their_parent_is_fully_processed(
    aws: AwsClients, stream: str, runners: list[MappingRunner]
) -> None:
    # moto 5.2.5 keeps routing puts to a closed parent, so the children stay empty here: the test
    # checks that they wait for their parent, then poll.
    parent_data = payloads("parent", 4)
    put(aws, SHARD_0, parent_data)
    aws.kinesis.split_shard(StreamName=STREAM, ShardToSplit=SHARD_0, NewStartingHashKey=str(2**126))
    children = ["shardId-000000000002", "shardId-000000000003"]
    runner = make_runner(aws, runners, batch_size=2)
    child_states_during_parent_batches: list[list[str]] = []

    def note_child_states(invocation: Invocation) -> None:
        if invocation.shard_id == SHARD_0:
            shards = runner.status()["shards"]
            child_states_during_parent_batches.append([shards[child]["state"] for child in children])

    RECORDER.respond = note_child_states
    runner.run_until_idle(idle_seconds=0.1, timeout=10)

    assert RECORDER.delivered(SHARD_0) == parent_data
    assert child_states_during_parent_batches == [["waiting-for-parent"] * 2] * 2
    shards = runner.status()["shards"]
    assert [shards[shard]["state"] for shard in [SHARD_0, SHARD_1, *children]] == [
        "finished",
        "polling",
        "polling",
        "polling",
    ]


def test_a_missing_stream_is_a_clear_error(aws: AwsClients, runners: list[MappingRunner]) -> None:
    runner = make_runner(aws, runners, tuning=RunnerTuning(stream_active_timeout_seconds=0.3))
    with pytest.raises(StreamNotActiveError, match=f"stream {STREAM} is not ACTIVE"):
        runner.start()


def test_run_until_idle_times_out_while_a_batch_keeps_failing(
    aws: AwsClients, stream: str, runners: list[MappingRunner]
) -> None:
    put(aws, SHARD_1, [POISON])
    RECORDER.respond = raise_on_poison
    runner = make_runner(aws, runners, maximum_retry_attempts=-1)
    with pytest.raises(NotIdleError, match=SHARD_1):
        runner.run_until_idle(idle_seconds=0.1, timeout=0.5)
    shard = runner.status()["shards"][SHARD_1]
    assert shard["batches_failed"] >= 2
    assert shard["records_delivered"] == 0
    assert "ValueError: poison record" in shard["last_error"]
