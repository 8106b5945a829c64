"""Lambda Kinesis records -> user records (KPL aggregates unpacked), with where each came from."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aws_kinesis_agg.deaggregator import iter_deaggregate_records


@dataclass(frozen=True)
class UserRecord:
    sequence_number: str  # of the Kinesis record (shared by every user record of a KPL aggregate)
    sub_sequence_number: int | None  # position inside a KPL aggregate; None for a plain record
    shard_id: str
    partition_key: str
    data: bytes
    approximate_arrival: float
    event_source_arn: str

    @property
    def record_id(self) -> str:
        """Unique within the stream: shard, sequence and sub-sequence number."""
        sub = "" if self.sub_sequence_number is None else f".{self.sub_sequence_number}"
        return f"{self.shard_id}:{self.sequence_number}{sub}"


def user_records(lambda_records: Iterable[Mapping[str, Any]]) -> Iterator[UserRecord]:
    """Unpack every record; a KPL aggregate yields its user records, anything else passes through.

    A record that carries the KPL magic bytes but fails its checksum is passed through whole (the
    deaggregator's behaviour) and is then rejected as not JSON, so it reaches the dead letters.
    """
    for record in iter_deaggregate_records(list(lambda_records)):
        kinesis = record["kinesis"]
        data = kinesis["data"]
        sub = kinesis.get("subSequenceNumber") if kinesis.get("aggregated") else None
        yield UserRecord(
            sequence_number=str(kinesis["sequenceNumber"]),
            sub_sequence_number=None if sub is None else int(sub),
            shard_id=str(record.get("eventID", "")).split(":", 1)[0],
            partition_key=str(kinesis.get("partitionKey", "")),
            data=base64.b64decode(data),
            approximate_arrival=float(kinesis.get("approximateArrivalTimestamp", 0.0)),
            event_source_arn=str(record.get("eventSourceARN", "")),
        )
