"""Create Wattcast's streams, tables, bucket and queues from settings, idempotently.

The embedded stack, the tests and the docker-compose init container run this; on AWS, Terraform
creates the same resources with the same names.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from scripts.local.tables import TableSpec, table_specs
from services.core.clients import AwsClients
from services.core.errors import WattcastError
from services.core.settings import Settings

logger = logging.getLogger(__name__)


class BootstrapError(WattcastError):
    """A resource could not be created or did not become ready."""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    shards: int


def stream_specs(settings: Settings, readings_shards: int = 2) -> list[StreamSpec]:
    return [
        StreamSpec(settings.readings_stream, readings_shards),
        StreamSpec(settings.hourly_stream, 1),
        StreamSpec(settings.forecasted_stream, 1),
    ]


def bootstrap(clients: AwsClients, readings_shards: int = 2, timeout_seconds: float = 30.0) -> None:
    settings = clients.settings
    for stream in stream_specs(settings, readings_shards):
        _create_stream(clients, stream)
    for table in table_specs(settings):
        _create_table(clients, table)
    _create_bucket(clients, settings.data_bucket)
    for queue in (settings.dead_letter_queue, settings.stream_failures_queue):
        clients.sqs.create_queue(QueueName=queue)  # idempotent for identical attributes
    create_alerts_topic(clients)
    create_operations_topic(clients)
    for stream in stream_specs(settings, readings_shards):
        wait_for_stream(clients, stream.name, timeout_seconds)
    logger.info("resources ready: %s", ", ".join(s.name for s in stream_specs(settings)))


def create_alerts_topic(clients: AwsClients) -> str:
    """The alerts topic (CreateTopic is idempotent); the stack exports its ARN to the alerts function
    as WATTCAST_ALERTS_TOPIC_ARN, which Terraform sets on AWS."""
    arn: str = clients.client("sns").create_topic(Name=clients.settings.alerts_topic)["TopicArn"]
    return arn


def create_operations_topic(clients: AwsClients) -> str:
    """The operators' topic (drift alerts; CloudWatch alarms on AWS); the stack exports its ARN as
    WATTCAST_OPERATIONS_TOPIC_ARN, which Terraform sets on AWS."""
    arn: str = clients.client("sns").create_topic(Name=clients.settings.operations_topic)["TopicArn"]
    return arn


def _create_stream(clients: AwsClients, stream: StreamSpec) -> None:
    with contextlib.suppress(clients.kinesis.exceptions.ResourceInUseException):  # exists already
        clients.kinesis.create_stream(StreamName=stream.name, ShardCount=stream.shards)


def wait_for_stream(clients: AwsClients, name: str, timeout_seconds: float) -> str:
    """Wait until the stream is ACTIVE; returns its ARN."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        summary = clients.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary["StreamARN"]
        if time.monotonic() > deadline:
            raise BootstrapError(f"stream {name} is still {summary['StreamStatus']} after {timeout_seconds}s")
        time.sleep(0.2)


def _create_table(clients: AwsClients, table: TableSpec) -> None:
    keys: list[Any] = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
    attributes: list[Any] = [{"AttributeName": table.hash_key, "AttributeType": "S"}]
    if table.range_key:
        keys.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
        attributes.append({"AttributeName": table.range_key, "AttributeType": "S"})
    try:
        clients.dynamodb.create_table(
            TableName=table.name,
            KeySchema=keys,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
        )
    except clients.dynamodb.exceptions.ResourceInUseException:
        return
    clients.dynamodb.get_waiter("table_exists").wait(TableName=table.name, WaiterConfig={"Delay": 1})
    if table.ttl_attribute:
        try:
            clients.dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UnknownOperationException":
                raise
            logger.warning("%s: this emulator has no TTL; items will not expire", table.name)  # dynalite


def _create_bucket(clients: AwsClients, bucket: str) -> None:
    region = clients.s3.meta.region_name
    request: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        clients.s3.create_bucket(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise BootstrapError(f"creating bucket {bucket} failed: {exc}") from exc
