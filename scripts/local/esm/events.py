"""Kinesis event shapes, exactly as Lambda builds them for a Kinesis event source mapping.

The local event source mapping builds its events here, and the tests and benchmarks use the same
factory, so a handler sees the same shape in tests, in the embedded stack and on AWS.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any


def stream_arn(stream_name: str, region: str = "us-east-1", account: str = "123456789012") -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{stream_name}"


def kinesis_event_record(
    *,
    data: bytes,
    sequence_number: str,
    partition_key: str,
    shard_id: str = "shardId-000000000000",
    event_source_arn: str | None = None,
    approximate_arrival: float | datetime | None = None,
    region: str = "us-east-1",
    invoke_identity_arn: str = "arn:aws:iam::123456789012:role/wattcast-lambda",
) -> dict[str, Any]:
    """One element of `event["Records"]` as Lambda delivers Kinesis records."""
    if isinstance(approximate_arrival, datetime):
        arrival = approximate_arrival.timestamp()
    else:
        arrival = time.time() if approximate_arrival is None else approximate_arrival
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": invoke_identity_arn,
        "awsRegion": region,
        "eventSourceARN": event_source_arn or stream_arn("wattcast-readings", region),
    }


def kinesis_event(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def kinesis_event_from_payloads(
    payloads: Sequence[bytes],
    *,
    partition_keys: Sequence[str] | None = None,
    shard_id: str = "shardId-000000000000",
    first_sequence: int = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000,
    stream_name: str = "wattcast-readings",
    approximate_arrival: float = 1_700_000_000.0,
) -> dict[str, Any]:
    """A test event: one record per payload, increasing sequence numbers, one shard."""
    return kinesis_event(
        kinesis_event_record(
            data=payload,
            sequence_number=str(first_sequence + i),
            partition_key=partition_keys[i] if partition_keys else f"pk-{i}",
            shard_id=shard_id,
            event_source_arn=stream_arn(stream_name),
            approximate_arrival=approximate_arrival + i * 0.001,
        )
        for i, payload in enumerate(payloads)
    )
