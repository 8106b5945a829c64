"""The meter-side publisher: readings into a Kinesis stream with PutRecords.

Batches of up to 500 records and 5 MiB, partition key = household id, retries of the records a
PutRecords call reports as failed (`services.core.retry.Backoff`), optional KPL aggregation
(one aggregated record per household, so a household's readings stay on one shard, in order).
`wattcast replay` and the load tests use this class: the code a meter client imports is the code
our tests run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.core.errors import PublishError
from services.core.retry import Backoff

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024
AGGREGATED_RECORD_BYTES = 256 * 1024  # KPL's default is 50 KB-1 MB; smaller keeps Lambda batches even


@dataclass(frozen=True)
class Entry:
    partition_key: str
    data: bytes
    explicit_hash_key: str | None = None
    user_records: int = 1  # > 1 for a KPL-aggregated record

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key.encode())


@dataclass
class PublishStats:
    records_sent: int = 0  # Kinesis records accepted (aggregated records count once)
    user_records_sent: int = 0  # readings records accepted (after de-aggregation)
    records_retried: int = 0
    records_failed: int = 0
    put_calls: int = 0
    bytes_sent: int = 0
    failed: list[Entry] = field(default_factory=list)

    def merge(self, other: PublishStats) -> None:
        self.records_sent += other.records_sent
        self.user_records_sent += other.user_records_sent
        self.records_retried += other.records_retried
        self.records_failed += other.records_failed
        self.put_calls += other.put_calls
        self.bytes_sent += other.bytes_sent
        self.failed.extend(other.failed)


DEFAULT_BACKOFF = Backoff(first_delay=0.1, max_delay=2.0, max_attempts=8)


class KinesisPublisher:
    def __init__(
        self,
        kinesis: KinesisClient,
        stream_name: str,
        *,
        aggregate: bool = False,
        backoff: Backoff | None = None,
    ) -> None:
        """`backoff` paces the retries of records a PutRecords call rejects (throttling)."""
        self._kinesis = kinesis
        self.stream_name = stream_name
        self.aggregate = aggregate
        self._backoff = backoff or DEFAULT_BACKOFF

    def publish_json(self, items: Iterable[tuple[str, Any]]) -> PublishStats:
        """Publish (partition key, JSON-serialisable value) pairs, one record each."""
        return self.publish((key, json.dumps(value, separators=(",", ":")).encode()) for key, value in items)

    def publish(self, records: Iterable[tuple[str, bytes]]) -> PublishStats:
        """Publish (partition key, data) pairs; returns what was sent, retried and finally failed."""
        entries = aggregate_entries(records) if self.aggregate else plain_entries(records)
        stats = PublishStats()
        for chunk in chunk_entries(entries):
            stats.merge(self._put_with_retries(chunk))
        return stats

    def _put_with_retries(self, chunk: list[Entry]) -> PublishStats:
        stats = PublishStats()
        pending = chunk
        for attempt in self._backoff.attempts():
            if attempt > 1:
                stats.records_retried += len(pending)
            pending = self._put(pending, stats)
            if not pending:
                return stats
        stats.records_failed += len(pending)
        stats.failed.extend(pending)
        return stats

    def _put(self, entries: list[Entry], stats: PublishStats) -> list[Entry]:
        request: list[PutRecordsRequestEntryTypeDef] = []
        for entry in entries:
            item: PutRecordsRequestEntryTypeDef = {"Data": entry.data, "PartitionKey": entry.partition_key}
            if entry.explicit_hash_key:
                item["ExplicitHashKey"] = entry.explicit_hash_key
            request.append(item)
        try:
            response = self._kinesis.put_records(StreamName=self.stream_name, Records=request)
        except self._kinesis.exceptions.ResourceNotFoundException as exc:
            raise PublishError(f"stream {self.stream_name!r} does not exist") from exc
        stats.put_calls += 1
        failed: list[Entry] = []
        for entry, result in zip(entries, response["Records"], strict=True):
            if result.get("ErrorCode"):
                failed.append(entry)
            else:
                stats.records_sent += 1
                stats.user_records_sent += entry.user_records
                stats.bytes_sent += entry.size
        return failed


def plain_entries(records: Iterable[tuple[str, bytes]]) -> Iterator[Entry]:
    for key, data in records:
        entry = Entry(key, data)
        if entry.size > MAX_BYTES_PER_RECORD:
            raise PublishError(f"a record for {key!r} is {entry.size} bytes; Kinesis takes at most 1 MiB")
        yield entry


def aggregate_entries(
    records: Iterable[tuple[str, bytes]], max_bytes: int = AGGREGATED_RECORD_BYTES
) -> Iterator[Entry]:
    """KPL-aggregate records, one aggregated record stream per partition key (household)."""
    from aws_kinesis_agg.aggregator import RecordAggregator

    aggregators: dict[str, RecordAggregator] = {}
    for key, data in records:
        aggregator = aggregators.setdefault(key, RecordAggregator(max_size=max_bytes))
        full = aggregator.add_user_record(key, data)
        if full is not None:
            yield _entry_of(full)
    for aggregator in aggregators.values():
        rest = aggregator.clear_and_get()
        if rest is not None:
            yield _entry_of(rest)


def _entry_of(agg_record: Any) -> Entry:
    partition_key, explicit_hash_key, data = agg_record.get_contents()
    return Entry(partition_key, data, explicit_hash_key, agg_record.get_num_user_records())


def chunk_entries(entries: Iterable[Entry]) -> Iterator[list[Entry]]:
    """PutRecords-sized chunks: at most 500 records and 5 MiB."""
    chunk: list[Entry] = []
    size = 0
    for entry in entries:
        if chunk and (len(chunk) == MAX_RECORDS_PER_CALL or size + entry.size > MAX_BYTES_PER_CALL):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry.size
    if chunk:
        yield chunk
