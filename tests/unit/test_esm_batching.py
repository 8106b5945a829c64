"""The pure rules of the local Kinesis poller, with fake records (plus the invokers on loopback)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scripts.local.esm.batching import (
    MAX_INVOKE_PAYLOAD_BYTES,
    BatchVerdict,
    Decision,
    Outcome,
    StreamRecord,
    batch_is_full,
    count_expired,
    decide,
    interpret_result,
    records_that_fit,
    retries_exhausted,
    retry_backoff_seconds,
)
from scripts.local.esm.checkpoints import CheckpointKey, InMemoryCheckpointStore, JsonFileCheckpointStore
from scripts.local.esm.failures import DiscardedBatch, on_failure_message
from scripts.local.esm.invokers import InProcessInvoker, InvocationResult
from scripts.local.esm.runner import MappingRunner
from scripts.local.esm.shard import RetryCounter
from scripts.local.mappings import EventSourceMapping
from services.core.clients import AwsClients
from services.core.settings import Settings

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/readings"


def fake_records(*sequence_numbers: int, data: bytes = b"{}", arrival: float = 1_000.0) -> list[StreamRecord]:
    return [
        StreamRecord("shardId-000000000000", str(seq), f"pk-{seq}", data, arrival + i)
        for i, seq in enumerate(sequence_numbers)
    ]


def item_failures(*identifiers: Any) -> InvocationResult:
    return InvocationResult(payload={"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]})


BATCH = fake_records(8, 9, 10, 11)


# ---- interpreting the function's response


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "done", [1, 2]],
    ids=["null", "empty-object", "empty-list", "null-list", "string", "list"],
)
def test_complete_success_responses(payload: Any) -> None:
    outcome = interpret_result(InvocationResult(payload=payload), BATCH, report_batch_item_failures=True)
    assert outcome == BatchVerdict.success()


def test_partial_failure_points_at_the_lowest_failed_sequence_number_compared_as_integers() -> None:
    outcome = interpret_result(item_failures("11", "9", "10"), BATCH, report_batch_item_failures=True)
    assert outcome.outcome is Outcome.PARTIAL_FAILURE
    assert outcome.first_failed_index == 1  # "9", although "10" < "9" as strings


@pytest.mark.parametrize(
    "failures",
    [
        [{"itemIdentifier": None}],
        [{"itemIdentifier": ""}],
        [{"itemIdentifier": "12"}],  # not in the batch
        [{"itemIdentifier": "abc"}],
        [{"itemIdentifier": 9}],  # not a string
        [{"itemId": "9"}],  # wrong key name
        [{"itemIdentifier": "10"}, {"itemIdentifier": "7"}],  # one valid, one not
        ["9"],
    ],
)
def test_invalid_item_identifiers_fail_the_whole_batch(failures: list[Any]) -> None:
    result = InvocationResult(payload={"batchItemFailures": failures})
    outcome = interpret_result(result, BATCH, report_batch_item_failures=True)
    assert outcome.outcome is Outcome.FAILURE
    assert "itemIdentifier" in outcome.reason


def test_batch_item_failures_that_are_not_a_list_fail_the_whole_batch() -> None:
    result = InvocationResult(payload={"batchItemFailures": "9"})
    assert interpret_result(result, BATCH, report_batch_item_failures=True).outcome is Outcome.FAILURE


def test_batch_item_failures_are_ignored_unless_reported() -> None:
    outcome = interpret_result(item_failures("9"), BATCH, report_batch_item_failures=False)
    assert outcome == BatchVerdict.success()


def test_a_function_error_fails_the_whole_batch_even_with_item_failures_reporting() -> None:
    result = InvocationResult.unhandled("ValueError", "bad reading")
    outcome = interpret_result(result, BATCH, report_batch_item_failures=True)
    assert outcome == BatchVerdict.failure("ValueError: bad reading")


# ---- batch sizes


def test_records_that_fit_stops_at_batch_size() -> None:
    assert records_that_fit(fake_records(*range(1, 8)), batch_size=5) == 5
    assert records_that_fit(fake_records(1, 2), batch_size=5) == 2
    assert records_that_fit([], batch_size=5) == 0


def test_records_that_fit_keeps_the_event_under_six_megabytes() -> None:
    one_mb = b"x" * 1_000_000  # 1,333,336 bytes once base64-encoded
    records = fake_records(*range(1, 11), data=one_mb)
    fits = records_that_fit(records, batch_size=100)
    assert fits == 4
    assert sum(r.event_bytes for r in records[:fits]) <= MAX_INVOKE_PAYLOAD_BYTES
    assert sum(r.event_bytes for r in records[: fits + 1]) > MAX_INVOKE_PAYLOAD_BYTES


def test_a_single_oversized_record_still_makes_a_batch_of_one() -> None:
    assert records_that_fit(fake_records(1, 2, data=b"x" * 7_000_000), batch_size=10) == 1


def test_batch_is_full_by_count_or_by_bytes() -> None:
    assert batch_is_full(fake_records(1, 2, 3), batch_size=3)
    assert not batch_is_full(fake_records(1, 2), batch_size=3)
    assert not batch_is_full([], batch_size=3)
    assert batch_is_full(fake_records(*range(1, 6), data=b"x" * 2_000_000), batch_size=100)


# ---- record age


def test_only_leading_records_older_than_the_maximum_age_expire() -> None:
    records = fake_records(1, 2, 3, arrival=1_000.0)  # arrivals 1000, 1001, 1002
    assert count_expired(records, now=1_061.5, maximum_age_seconds=60) == 2
    assert count_expired(records, now=1_060.0, maximum_age_seconds=60) == 0
    assert count_expired(records, now=9_999_999.0, maximum_age_seconds=-1) == 0


# ---- retries and bisecting


def decide_for(outcome: BatchVerdict, length: int = 4, **knobs: Any) -> Decision:
    options: dict[str, Any] = {
        "bisect_on_function_error": False,
        "prior_failures": 0,
        "maximum_retry_attempts": -1,
    }
    options.update(knobs)
    return decide(outcome, length, **options)


def test_success_completes_the_whole_batch() -> None:
    assert decide_for(BatchVerdict.success()) == Decision(completed=4)


def test_partial_failure_checkpoints_before_the_lowest_failure_and_retries_from_there() -> None:
    partial = BatchVerdict(Outcome.PARTIAL_FAILURE, first_failed_index=2)
    assert decide_for(partial, prior_failures=5) == Decision(completed=2, failures=1, retry=True)


def test_partial_failure_with_bisect_retries_only_the_remaining_records() -> None:
    partial = BatchVerdict(Outcome.PARTIAL_FAILURE, first_failed_index=1)
    decision = decide_for(partial, bisect_on_function_error=True)
    assert decision == Decision(completed=1, next_sizes=(3,), failures=1, retry=True)


def test_partial_failure_of_the_first_record_counts_as_a_retry_of_the_same_batch() -> None:
    partial = BatchVerdict(Outcome.PARTIAL_FAILURE, first_failed_index=0)
    assert decide_for(partial, prior_failures=1, maximum_retry_attempts=2).failures == 2
    assert decide_for(partial, prior_failures=2, maximum_retry_attempts=2) == Decision(
        completed=0, discard=True, failures=3
    )


def test_function_error_with_bisect_splits_in_halves_without_counting_a_retry() -> None:
    error = BatchVerdict.failure("boom")
    assert decide_for(
        error, 5, bisect_on_function_error=True, prior_failures=1, maximum_retry_attempts=1
    ) == (Decision(completed=0, next_sizes=(2, 3), failures=1))


def test_function_error_on_a_single_record_with_bisect_is_retried_then_discarded() -> None:
    error = BatchVerdict.failure("boom")
    knobs: dict[str, Any] = {"bisect_on_function_error": True, "maximum_retry_attempts": 2}
    assert decide_for(error, 1, prior_failures=0, **knobs) == Decision(
        completed=0, next_sizes=(1,), failures=1, retry=True
    )
    assert decide_for(error, 1, prior_failures=1, **knobs).retry
    assert decide_for(error, 1, prior_failures=2, **knobs) == Decision(completed=0, discard=True, failures=3)


def test_function_error_without_bisect_retries_the_whole_batch_until_attempts_run_out() -> None:
    error = BatchVerdict.failure("boom")
    assert decide_for(error, maximum_retry_attempts=0) == Decision(completed=0, discard=True, failures=1)
    assert decide_for(error, prior_failures=9, maximum_retry_attempts=10) == Decision(
        completed=0, failures=10, retry=True
    )
    assert decide_for(error, prior_failures=10_000, maximum_retry_attempts=-1).retry


def test_retries_exhausted_after_more_than_the_maximum_retries() -> None:
    assert [retries_exhausted(n, 2) for n in (1, 2, 3)] == [False, False, True]
    assert not retries_exhausted(10**6, -1)


def test_retry_backoff_is_exponential_and_capped() -> None:
    delays = [retry_backoff_seconds(n, initial=0.1, maximum=0.5) for n in range(6)]
    assert delays == [0.0, 0.1, 0.2, 0.4, 0.5, 0.5]


def test_retry_counter_belongs_to_the_batch_start() -> None:
    counter = RetryCounter()
    counter.set("10", 2)
    assert counter.failures_for("10") == 2
    assert counter.failures_for("11") == 0
    counter.reset()
    assert counter.failures_for("10") == 0


# ---- records and on-failure messages


def test_stream_record_from_get_records_keeps_sequence_numbers_as_strings() -> None:
    arrival = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    record = StreamRecord.from_get_records(
        "shardId-000000000001",
        {"SequenceNumber": "49600000000000000000000000001", "PartitionKey": "m-1", "Data": b"abc",
         "ApproximateArrivalTimestamp": arrival},
    )  # fmt: skip
    assert record == StreamRecord(
        "shardId-000000000001", "49600000000000000000000000001", "m-1", b"abc", arrival.timestamp()
    )


def test_on_failure_message_has_the_shape_lambda_sends() -> None:
    records = fake_records(7, 8, 9, arrival=1_767_225_600.25)  # 2026-01-01T00:00:00.250Z
    discarded = DiscardedBatch(
        records=records,
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        last_result=InvocationResult.unhandled("ValueError", "bad"),
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:ingest",
        stream_arn=ARN,
    )
    message = on_failure_message(discarded, now=1_767_225_700.0)
    request_id = message["requestContext"].pop("requestId")
    assert len(request_id) == 36
    assert message == {
        "requestContext": {
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:ingest",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-01-01T00:01:40.000Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000000",
            "startSequenceNumber": "7",
            "endSequenceNumber": "9",
            "approximateArrivalOfFirstRecord": "2026-01-01T00:00:00.250Z",
            "approximateArrivalOfLastRecord": "2026-01-01T00:00:02.250Z",
            "batchSize": 3,
            "streamArn": ARN,
        },
    }
    json.dumps(message)


# ---- checkpoint stores


def test_in_memory_checkpoints() -> None:
    store = InMemoryCheckpointStore()
    key = CheckpointKey("ingest", ARN, "shardId-000000000000")
    assert store.get(key) is None
    store.put(key, "42")
    assert store.get(key) == "42"


def test_json_file_checkpoints_survive_a_new_store_and_keep_other_functions(tmp_path: Path) -> None:
    ingest = CheckpointKey("ingest", ARN, "shardId-000000000000")
    other = CheckpointKey("preprocess", ARN, "shardId-000000000000")
    store = JsonFileCheckpointStore.in_directory(tmp_path / "stack")
    store.put(ingest, "41")
    JsonFileCheckpointStore(store.path).put(other, "7")
    store.put(ingest, "42")
    reopened = JsonFileCheckpointStore(tmp_path / "stack" / "checkpoints.json")
    assert (reopened.get(ingest), reopened.get(other)) == ("42", "7")
    assert json.loads(store.path.read_text())["ingest"][ARN] == {"shardId-000000000000": "42"}
    assert [p.name for p in store.path.parent.iterdir()] == ["checkpoints.json"]  # no temp files left


# ---- invokers


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"records": len(event["Records"]), "function": context.function_name}


def failing_handler(event: dict[str, Any], context: Any) -> None:
    raise ValueError("no readings")


def unserialisable_handler(event: dict[str, Any], context: Any) -> object:
    return object()


def test_in_process_invoker_returns_the_json_payload() -> None:
    invoker = InProcessInvoker(f"{__name__}.echo_handler")
    result = invoker.invoke({"Records": [{}, {}]}, function_name="ingest", timeout_seconds=5)
    assert result == InvocationResult(payload={"records": 2, "function": "ingest"})


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("failing_handler", "ValueError"),
        ("unserialisable_handler", "Runtime.MarshalError"),
        ("missing_handler", "Runtime.ImportModuleError"),
    ],
)
def test_in_process_invoker_turns_errors_into_unhandled_function_errors(
    handler: str, error_type: str
) -> None:
    result = InProcessInvoker(f"{__name__}.{handler}").invoke({}, function_name="ingest", timeout_seconds=5)
    assert (result.failed, result.function_error, result.error_type) == (True, "Unhandled", error_type)


# ---- a shard worker against a scripted Kinesis (errors moto never raises)


class ScriptedKinesis:
    """Answers GetRecords from a script; an exception in the script is raised instead."""

    def __init__(self, script: list[dict[str, Any] | ClientError]) -> None:
        self.script = script
        self.iterator_requests: list[dict[str, Any]] = []

    def describe_stream_summary(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescriptionSummary": {"StreamStatus": "ACTIVE", "StreamARN": ARN}}

    def list_shards(self, **_: Any) -> dict[str, Any]:
        return {"Shards": [{"ShardId": "shardId-000000000000", "SequenceNumberRange": {}}]}

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        self.iterator_requests.append({k: v for k, v in request.items() if k.endswith(("Type", "Number"))})
        return {"ShardIterator": f"iterator-{len(self.iterator_requests)}"}

    def get_records(self, **_: Any) -> dict[str, Any]:
        step = self.script.pop(0) if self.script else {"Records": [], "MillisBehindLatest": 0}
        if isinstance(step, ClientError):
            raise step
        return {"NextShardIterator": "next", **step}


class RecordedMetrics:
    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []

    def put_metric_data(self, **request: Any) -> None:
        self.data += request["MetricData"]


class ScriptedClients(AwsClients):
    def __init__(self, kinesis: ScriptedKinesis) -> None:
        super().__init__(Settings())
        self.scripted = kinesis
        self.metrics = RecordedMetrics()

    def client(self, service: str) -> Any:
        return self.metrics if service == "cloudwatch" else self.scripted


def kinesis_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetRecords")


def get_records_page(*sequence_numbers: int) -> dict[str, Any]:
    arrival = datetime.now(tz=UTC)
    records = [
        {"SequenceNumber": str(s), "PartitionKey": "pk", "Data": b"d", "ApproximateArrivalTimestamp": arrival}
        for s in sequence_numbers
    ]
    return {"Records": records, "MillisBehindLatest": 0}


delivered_batches: list[list[str]] = []


def collecting_handler(event: dict[str, Any], context: Any) -> None:
    delivered_batches.append([r["kinesis"]["sequenceNumber"] for r in event["Records"]])


def test_an_expired_iterator_resumes_after_the_last_record_read_and_throttling_backs_off() -> None:
    kinesis = ScriptedKinesis(
        [
            get_records_page(1, 2),
            kinesis_error("ExpiredIteratorException"),
            kinesis_error("ProvisionedThroughputExceededException"),
            get_records_page(3),
        ]
    )
    delivered_batches.clear()
    mapping = EventSourceMapping("fn", f"{__name__}.collecting_handler", "readings", batch_size=10)
    settings = Settings(esm_poll_interval_seconds=0.01, esm_idle_backoff_max_seconds=0.02)
    clients = ScriptedClients(kinesis)
    runner = MappingRunner(mapping, InProcessInvoker(mapping.handler), clients, settings)
    try:
        runner.run_until_idle(idle_seconds=0.05, timeout=5)
    finally:
        runner.stop()

    assert delivered_batches == [["1", "2"], ["3"]]
    # Each completed batch publishes the function's IteratorAge, as AWS Lambda does.
    assert [(d["MetricName"], d["Dimensions"], d["Unit"]) for d in clients.metrics.data] == [
        ("IteratorAge", [{"Name": "FunctionName", "Value": "fn"}], "Milliseconds")
    ] * 2
    assert all(0 <= d["Value"] < 60_000 for d in clients.metrics.data)
    assert kinesis.iterator_requests == [
        {"ShardIteratorType": "TRIM_HORIZON"},
        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": "2"},
    ]
    shard = runner.status()["shards"]["shardId-000000000000"]
    assert "ProvisionedThroughputExceededException" in shard["last_error"]
    assert (shard["records_delivered"], shard["last_sequence_number"]) == (3, "3")


def test_a_batch_in_flight_shows_in_the_status_with_its_growing_age() -> None:
    from scripts.local.esm.status import ShardStatusBoard

    now = [1_000.0]
    board = ShardStatusBoard("shardId-000000000000", clock=lambda: now[0])
    board.update(iterator_age_ms=0)
    board.invoking(records=3, first_sequence_number="42", oldest_arrival=995.0)
    now[0] = 1_060.0  # the function has been running a minute (a stopped forecaster, say)
    snapshot = board.snapshot()
    assert snapshot["in_flight"] == {"records": 3, "first_sequence_number": "42", "seconds": 60.0}
    assert snapshot["iterator_age_ms"] == 65_000
    board.invoked()
    assert board.snapshot()["in_flight"] is None and board.snapshot()["iterator_age_ms"] == 0
