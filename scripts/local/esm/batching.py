"""The pure decisions of the poller: batch sizes, reading a function's response, retries, record age.

Nothing here does I/O, so every rule can be unit-tested with fake records.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from scripts.local.esm.invokers import InvocationResult

if TYPE_CHECKING:
    from mypy_boto3_kinesis.type_defs import RecordTypeDef

MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
RECORD_ENVELOPE_BYTES = 700  # JSON keys, ARNs and ids around one record's data in the event (upper bound)
INFINITE = -1


@dataclass(frozen=True)
class StreamRecord:
    """One Kinesis record as GetRecords returned it. Sequence numbers stay decimal strings."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: float  # epoch seconds

    @classmethod
    def from_get_records(cls, shard_id: str, record: RecordTypeDef) -> StreamRecord:
        arrival = record["ApproximateArrivalTimestamp"]
        return cls(
            shard_id=shard_id,
            sequence_number=record["SequenceNumber"],
            partition_key=record["PartitionKey"],
            data=record["Data"],
            arrival=arrival.timestamp() if isinstance(arrival, datetime) else float(arrival),
        )

    @property
    def event_bytes(self) -> int:
        """An upper bound of this record's size inside the JSON event (data is base64)."""
        return 4 * ((len(self.data) + 2) // 3) + len(self.partition_key) + RECORD_ENVELOPE_BYTES


def records_that_fit(
    pending: Sequence[StreamRecord], batch_size: int, max_bytes: int = MAX_INVOKE_PAYLOAD_BYTES
) -> int:
    """How many leading records make one batch: at most batch_size, under max_bytes, at least one."""
    total = 0
    for count, record in enumerate(islice(pending, batch_size)):
        total += record.event_bytes
        if total > max_bytes:
            return max(count, 1)
    return min(len(pending), batch_size)


def batch_is_full(pending: Sequence[StreamRecord], batch_size: int) -> bool:
    """No more records can join the first batch: it reached batch_size or the payload limit."""
    fit = records_that_fit(pending, batch_size)
    return fit >= batch_size or fit < len(pending)


def count_expired(records: Sequence[StreamRecord], now: float, maximum_age_seconds: int) -> int:
    """How many leading records are older than the maximum record age (-1: none ever expire)."""
    if maximum_age_seconds == INFINITE:
        return 0
    count = 0
    for record in records:
        if now - record.arrival <= maximum_age_seconds:
            break
        count += 1
    return count


class Outcome(enum.Enum):
    SUCCESS = "success"
    PARTIAL_FAILURE = "partial_failure"
    FAILURE = "failure"


@dataclass(frozen=True)
class BatchVerdict:
    outcome: Outcome
    first_failed_index: int = 0  # for PARTIAL_FAILURE: records before it succeeded
    reason: str = ""

    @classmethod
    def success(cls) -> BatchVerdict:
        return cls(Outcome.SUCCESS)

    @classmethod
    def failure(cls, reason: str) -> BatchVerdict:
        return cls(Outcome.FAILURE, reason=reason)


def interpret_result(
    result: InvocationResult, batch: Sequence[StreamRecord], report_batch_item_failures: bool
) -> BatchVerdict:
    """Read an invocation result as Lambda does for a Kinesis batch."""
    if result.failed:
        return BatchVerdict.failure(result.describe_error())
    if not report_batch_item_failures or not isinstance(result.payload, dict):
        return BatchVerdict.success()
    failures = result.payload.get("batchItemFailures")
    if not failures:
        return BatchVerdict.success()
    if not isinstance(failures, list):
        return BatchVerdict.failure("batchItemFailures is not a list")
    return _lowest_failure(failures, batch)


def _lowest_failure(failures: list[Any], batch: Sequence[StreamRecord]) -> BatchVerdict:
    index_by_sequence = {int(record.sequence_number): i for i, record in enumerate(batch)}
    failed_indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        sequence = _as_sequence(identifier)
        index = index_by_sequence.get(sequence) if sequence is not None else None
        if index is None:
            return BatchVerdict.failure(f"invalid itemIdentifier {identifier!r} in batchItemFailures")
        failed_indexes.append(index)
    first = min(failed_indexes)
    reason = f"batch item failure at sequence number {batch[first].sequence_number}"
    return BatchVerdict(Outcome.PARTIAL_FAILURE, first_failed_index=first, reason=reason)


def _as_sequence(identifier: Any) -> int | None:
    if isinstance(identifier, str) and identifier.strip().isdigit():
        return int(identifier)
    return None


@dataclass(frozen=True)
class Decision:
    """What to do after a batch came back.

    completed: leading records of the batch that are done (the checkpoint moves past them).
    discard: give up the rest of the batch (on-failure destination, checkpoint past it).
    next_sizes: sizes of the next batches, taken from the records not completed (bisect halves or
        "only the remaining records"); empty means batch normally.
    failures: failed attempts so far of the batch that starts at the first record not completed.
    retry: the rest is retried after a backoff (a counted failure that is not discarded).
    """

    completed: int
    discard: bool = False
    next_sizes: tuple[int, ...] = ()
    failures: int = 0
    retry: bool = False


def retries_exhausted(failures: int, maximum_retry_attempts: int) -> bool:
    """A batch is given up once it failed more than 1 + maximum_retry_attempts times (-1: never)."""
    return maximum_retry_attempts != INFINITE and failures > maximum_retry_attempts


def decide(
    outcome: BatchVerdict,
    batch_length: int,
    *,
    bisect_on_function_error: bool,
    prior_failures: int,
    maximum_retry_attempts: int,
) -> Decision:
    """Lambda's Kinesis retry rules. Splitting a batch does not count against maximum_retry_attempts."""
    if outcome.outcome is Outcome.SUCCESS:
        return Decision(completed=batch_length)
    if outcome.outcome is Outcome.PARTIAL_FAILURE:
        done = outcome.first_failed_index
        failures = (prior_failures if done == 0 else 0) + 1
        remaining = batch_length - done
        sizes = (remaining,) if bisect_on_function_error else ()
        return _retry_or_discard(done, failures, sizes, maximum_retry_attempts)
    if bisect_on_function_error and batch_length > 1:
        half = batch_length // 2
        return Decision(completed=0, next_sizes=(half, batch_length - half), failures=prior_failures)
    sizes = (batch_length,) if bisect_on_function_error else ()
    return _retry_or_discard(0, prior_failures + 1, sizes, maximum_retry_attempts)


def _retry_or_discard(
    done: int, failures: int, sizes: tuple[int, ...], maximum_retry_attempts: int
) -> Decision:
    if retries_exhausted(failures, maximum_retry_attempts):
        return Decision(completed=done, discard=True, failures=failures)
    return Decision(completed=done, next_sizes=sizes, failures=failures, retry=True)


def retry_backoff_seconds(failures: int, initial: float, maximum: float) -> float:
    """Exponential backoff after the n-th failed attempt: initial, 2×, 4×… capped at maximum."""
    if failures <= 0:
        return 0.0
    return float(min(maximum, initial * 2 ** min(failures - 1, 30)))
