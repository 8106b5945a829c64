import base64
import random

import pytest
from aws_kinesis_agg.deaggregator import deaggregate_records

from services.core.errors import PublishError
from services.core.publisher import KinesisPublisher, chunk_entries, plain_entries
from services.core.retry import Backoff


class FakeKinesis:
    """Fails the records listed in `fail_plan[call_index]` (by position in that call)."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, fail_plan=None):
        self.fail_plan = fail_plan or {}
        self.calls: list[list[dict[str, object]]] = []
        self.stored: list[tuple[str, bytes]] = []

    def put_records(self, StreamName, Records):
        failing = self.fail_plan.get(len(self.calls), set())
        self.calls.append(Records)
        results = []
        for i, record in enumerate(Records):
            if i in failing:
                results.append(
                    {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
                )
            else:
                self.stored.append((record["PartitionKey"], record["Data"]))
                results.append({"SequenceNumber": str(len(self.stored)), "ShardId": "shardId-0"})
        return {"FailedRecordCount": len(failing), "Records": results}


def publisher(kinesis, max_attempts=8, **kwargs):
    pauses = Backoff(max_attempts=max_attempts, sleep=lambda _: None, rng=random.Random(1))
    return KinesisPublisher(kinesis, "s", backoff=pauses, **kwargs)


def test_records_are_sent_in_calls_of_at_most_500():
    kinesis = FakeKinesis()
    stats = publisher(kinesis).publish((f"h{i % 3}", b"x") for i in range(1201))
    assert [len(c) for c in kinesis.calls] == [500, 500, 201]
    assert stats.records_sent == 1201 and stats.put_calls == 3 and stats.records_failed == 0


def test_failed_records_are_retried_until_they_pass():
    kinesis = FakeKinesis(fail_plan={0: {1, 3}, 1: {0}})
    stats = publisher(kinesis).publish((f"h{i}", str(i).encode()) for i in range(5))
    assert [len(c) for c in kinesis.calls] == [5, 2, 1]
    assert stats.records_retried == 3 and stats.records_failed == 0
    assert sorted(data for _, data in kinesis.stored) == [b"0", b"1", b"2", b"3", b"4"]


def test_records_still_failing_after_the_last_attempt_are_reported():
    kinesis = FakeKinesis(fail_plan={i: {0} for i in range(3)})
    stats = publisher(kinesis, max_attempts=3).publish([("h1", b"a"), ("h2", b"b")])
    assert stats.records_failed == 1 and [e.data for e in stats.failed] == [b"a"]
    assert stats.records_sent == 1


def test_backoff_is_bounded_full_jitter():
    pauses = Backoff(first_delay=0.1, max_delay=0.5, rng=random.Random(3))
    delays = [pauses.delay(retry) for retry in range(1, 10) for _ in range(20)]
    assert all(0 <= d <= 0.5 for d in delays) and max(delays) > 0.3
    assert max(pauses.delay(1) for _ in range(50)) <= 0.1


def test_backoff_pauses_between_attempts_and_stops_before_the_deadline():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pauses = Backoff(
        first_delay=1.0, max_delay=4.0, max_attempts=10, jitter=False, sleep=sleep, clock=lambda: now[0]
    )
    assert list(pauses.attempts(deadline=6.5)) == [1, 2, 3]  # 1 s, then 2 s; 4 s more would pass 6.5
    assert slept == [1.0, 2.0]


def test_calls_stay_under_five_mebibytes():
    big = [("h", b"x" * 900_000) for _ in range(12)]
    assert [len(c) for c in chunk_entries(plain_entries(big))] == [5, 5, 2]


def test_a_record_over_one_mebibyte_is_refused():
    with pytest.raises(PublishError, match="at most 1 MiB"):
        list(plain_entries([("h", b"x" * (1024 * 1024 + 1))]))


def test_kpl_aggregation_round_trips_and_keeps_one_household_per_record():
    kinesis = FakeKinesis()
    originals = [(f"h{i % 2}", f"reading-{i}".encode()) for i in range(100)]
    stats = publisher(kinesis, aggregate=True).publish(originals)
    assert stats.records_sent == 2 and stats.user_records_sent == 100
    lambda_records = [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "sequenceNumber": str(n),
                "approximateArrivalTimestamp": 0,
                "partitionKey": key,
                "data": base64.b64encode(data).decode(),
            }
        }
        for n, (key, data) in enumerate(kinesis.stored)
    ]
    unpacked = [
        (r["kinesis"]["partitionKey"], base64.b64decode(r["kinesis"]["data"]))
        for r in deaggregate_records(lambda_records)
    ]
    assert sorted(unpacked) == sorted(originals)
    assert {key for key, _ in kinesis.stored} == {"h0", "h1"}
