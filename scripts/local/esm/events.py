"""Lambda event and context shapes, exactly as AWS builds them for a Kinesis event source mapping.

The local event-source-mapping runner builds its events here, and tests use the same factory, so a
handler sees the same shape in tests, in the embedded stack and on AWS.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


@dataclass
class LocalLambdaContext:
    """The context object a Python Lambda handler receives, for in-process invocations."""

    function_name: str
    timeout_seconds: float = 60.0
    memory_limit_in_mb: int = 1024
    region: str = "us-east-1"
    account: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
