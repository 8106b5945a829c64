"""Read back what ingest stored: hourly rows, dead letters, hour-closed events, archived readings.

For the demo's summary, the functional tests and the benchmark; not used by the services.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

from services.core.clients import AwsClients
from services.core.hourly import HourlyRow, row_from_item


def hourly_items(clients: AwsClients, household_id: str | None = None) -> list[dict[str, Any]]:
    """Raw items of the hourly table (one household with a Query, all with a Scan)."""
    table = clients.settings.hourly_table
    request: dict[str, Any] = {"TableName": table}
    if household_id is not None:
        request |= {
            "KeyConditionExpression": "household_id = :h",
            "ExpressionAttributeValues": {":h": {"S": household_id}},
        }
    operation = clients.dynamodb.query if household_id is not None else clients.dynamodb.scan
    items: list[dict[str, Any]] = []
    while True:
        page = operation(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def hourly_rows(clients: AwsClients, household_id: str | None = None) -> list[HourlyRow]:
    rows = [row_from_item(item) for item in hourly_items(clients, household_id)]
    return sorted(rows, key=lambda r: (r.household_id, r.hour))


def queue_messages(clients: AwsClients, queue_name: str) -> list[dict[str, Any]]:
    """Every message body in a queue (received with a long visibility timeout, not deleted)."""
    url = clients.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    bodies: list[dict[str, Any]] = []
    while True:
        page = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        messages = page.get("Messages", [])
        if not messages:
            return bodies
        bodies += [json.loads(m["Body"]) for m in messages]


def dead_letters(clients: AwsClients) -> list[dict[str, Any]]:
    return queue_messages(clients, clients.settings.dead_letter_queue)


def stream_records(clients: AwsClients, stream_name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(shard id, record) for every record in a stream, oldest first per shard."""
    kinesis = clients.kinesis
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in page["Records"]:
                yield shard["ShardId"], dict(record)
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator", "")


def hour_closed_events(clients: AwsClients) -> list[dict[str, Any]]:
    return [json.loads(r["Data"]) for _, r in stream_records(clients, clients.settings.hourly_stream)]


def archived_readings(clients: AwsClients) -> list[dict[str, Any]]:
    settings = clients.settings
    lines: list[dict[str, Any]] = []
    paginator = clients.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.data_bucket, Prefix=settings.raw_prefix):
        for obj in page.get("Contents", []):
            body = clients.s3.get_object(Bucket=settings.data_bucket, Key=obj["Key"])["Body"].read()
            lines += [json.loads(line) for line in gzip.decompress(body).splitlines()]
    return lines
