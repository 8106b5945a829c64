"""The AWS side of ingest: S3 archive, DynamoDB aggregates and household state, the hourly stream
and the SQS dead-letter queue. One call per batch or per household-hour, never per reading."""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError, PublishError
from services.core.hour_closed import HOUR_CLOSED, encode_event
from services.core.hourly import COUNT_PREFIX, MINUTES_ATTRIBUTE, SUM_PREFIX, HourAggregate
from services.core.publisher import KinesisPublisher
from services.core.reading import MEASURES, format_ts, parse_ts
from services.core.retry import Backoff
from services.core.settings import Settings
from services.ingest.event_time import HouseholdTime
from services.ingest.ports import DeadLetter, HourClosed
from services.ingest.records import UserRecord

logger = logging.getLogger(__name__)
AWS_ERRORS = (ClientError, BotoCoreError)
# A conditional update that lost a race with another writer of the same household-hour re-plans at once.
CONFLICT_BACKOFF = Backoff(first_delay=0.005, max_delay=0.1, max_attempts=5)
UNPROCESSED_BACKOFF = Backoff(first_delay=0.05, max_delay=1.0, max_attempts=6)
HOURLY_EVENTS_BACKOFF = Backoff(first_delay=0.1, max_delay=2.0, max_attempts=4)
SQS_BATCH_ENTRIES = 10
SQS_BATCH_BYTES = 250_000


class S3Archive:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._s3 = clients.s3
        self._bucket = settings.data_bucket

    def put_batch(self, key: str, lines: Sequence[Mapping[str, Any]]) -> None:
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=gzip.compress(body, mtime=0),  # mtime=0: a retried batch writes identical bytes
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
            )
        except AWS_ERRORS as exc:
            raise DependencyError(f"archiving s3://{self._bucket}/{key} failed: {exc}") from exc


class DynamoAggregates:
    """Hourly sums and counts with a per-minute exactly-once effect.

    The update adds the minutes to a number set and is conditional on none of them being there yet;
    when some are (a redelivery), it learns which from the old item and adds only the rest.
    """

    def __init__(self, clients: AwsClients, settings: Settings, backoff: Backoff = CONFLICT_BACKOFF) -> None:
        self._dynamodb = clients.dynamodb
        self._table = settings.hourly_table
        self._backoff = backoff

    def add(self, group: HourAggregate) -> int:
        for _ in self._backoff.attempts():
            if not group.readings:
                return 0
            try:
                self._dynamodb.update_item(**self._update_request(group))
                return len(group.readings)
            except self._dynamodb.exceptions.ConditionalCheckFailedException as exc:
                stored = exc.response.get("Item", {}).get(MINUTES_ATTRIBUTE, {}).get("NS", [])  # type: ignore[attr-defined]
                group = group.without_minutes(int(m) for m in stored)
            except AWS_ERRORS as exc:
                raise DependencyError(
                    f"updating {group.household_id} {group.hour_key} failed: {exc}"
                ) from exc
        raise DependencyError(f"{group.household_id} {group.hour_key}: concurrent updates kept conflicting")

    def _update_request(self, group: HourAggregate) -> dict[str, Any]:
        names = {"#minutes": MINUTES_ATTRIBUTE}
        values: dict[str, Any] = {":minutes": {"NS": [str(m) for m in group.minutes]}}
        additions = ["#minutes :minutes"]
        sums, counts = group.sums(), group.counts()
        for i, measure in enumerate(MEASURES):
            names[f"#s{i}"], names[f"#c{i}"] = SUM_PREFIX + measure, COUNT_PREFIX + measure
            values[f":s{i}"] = {"N": str(sums[measure])}
            values[f":c{i}"] = {"N": str(counts[measure])}
            additions += [f"#s{i} :s{i}", f"#c{i} :c{i}"]
        conditions = []
        for j, minute in enumerate(group.minutes):
            values[f":m{j}"] = {"N": str(minute)}
            conditions.append(f"NOT contains(#minutes, :m{j})")
        return {
            "TableName": self._table,
            "Key": {"household_id": {"S": group.household_id}, "hour": {"S": group.hour_key}},
            "UpdateExpression": "ADD " + ", ".join(additions),
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }


class DynamoHouseholdStates:
    """One item per household: `latest` (S), `open_hours` (SS, absent when empty) and `version` (N)."""

    def __init__(
        self, clients: AwsClients, settings: Settings, backoff: Backoff = UNPROCESSED_BACKOFF
    ) -> None:
        self._dynamodb = clients.dynamodb
        self._table = settings.households_table
        self._backoff = backoff

    def states(self, household_ids: Iterable[str]) -> dict[str, HouseholdTime]:
        ids = sorted(set(household_ids))
        found: dict[str, HouseholdTime] = {}
        for start in range(0, len(ids), 100):  # BatchGetItem takes 100 keys
            keys: list[Any] = [{"household_id": {"S": h}} for h in ids[start : start + 100]]
            projection = "household_id, latest, open_hours, pending_revisions, version, announced"
            request: Any = {self._table: {"Keys": keys, "ProjectionExpression": projection}}
            for _ in self._backoff.attempts():
                request = self._read(request, found)
                if not request:
                    break
            else:
                raise DependencyError(f"household states still unprocessed after retries: {len(keys)} keys")
        return found

    def _read(self, request: Any, found: dict[str, HouseholdTime]) -> Any:
        """One BatchGetItem into `found`; returns the keys DynamoDB left unprocessed."""
        try:
            response = self._dynamodb.batch_get_item(RequestItems=request)
        except AWS_ERRORS as exc:
            raise DependencyError(f"reading household states failed: {exc}") from exc
        for item in response["Responses"].get(self._table, []):
            found[item["household_id"]["S"]] = _state_of(item)
        return response.get("UnprocessedKeys") or None

    def save(self, household_id: str, state: HouseholdTime) -> bool:
        values: dict[str, Any] = {
            ":latest": {"S": format_ts(state.latest) if state.latest else ""},
            ":version": {"N": str(state.version)},
            ":previous": {"N": str(state.version - 1)},
            ":announced": {"N": str(state.announced)},
        }
        sets = ["latest = :latest", "version = :version", "announced = :announced"]
        removes = ["open_hour"]  # open_hour: the old schema
        for attribute, hours in (
            ("open_hours", state.open_hours),
            ("pending_revisions", state.pending_revisions),
        ):
            if hours:  # DynamoDB has no empty sets
                values[f":{attribute}"] = {"SS": sorted(format_ts(h) for h in hours)}
                sets.append(f"{attribute} = :{attribute}")
            else:
                removes.append(attribute)
        update = f"SET {', '.join(sets)} REMOVE {', '.join(removes)}"
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"household_id": {"S": household_id}},
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(version) OR version = :previous",
                ExpressionAttributeValues=values,
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        except AWS_ERRORS as exc:
            raise DependencyError(f"saving the event time of {household_id} failed: {exc}") from exc
        return True


def _state_of(item: Mapping[str, Any]) -> HouseholdTime:
    latest = parse_ts(item["latest"]["S"]) if item.get("latest", {}).get("S") else None
    return HouseholdTime(
        latest=latest if isinstance(latest, datetime) else None,
        open_hours=_hours(item, "open_hours"),
        pending_revisions=_hours(item, "pending_revisions"),
        version=int(item.get("version", {}).get("N", "0")),
        announced=int(item.get("announced", {}).get("N", "0")),
    )


def _hours(item: Mapping[str, Any], attribute: str) -> frozenset[datetime]:
    parsed = (parse_ts(text) for text in item.get(attribute, {}).get("SS", []))
    return frozenset(h for h in parsed if isinstance(h, datetime))


class KinesisHourlyEvents:
    def __init__(
        self, clients: AwsClients, settings: Settings, backoff: Backoff = HOURLY_EVENTS_BACKOFF
    ) -> None:
        self._publisher = KinesisPublisher(clients.kinesis, settings.hourly_stream, backoff=backoff)
        self._stream = settings.hourly_stream

    def publish(self, events: Sequence[HourClosed]) -> list[HourClosed]:
        by_payload = {}
        items = []
        for event in events:
            data = encode_event(HOUR_CLOSED, event)
            by_payload[data] = event
            items.append((event.household_id, data))
        try:
            stats = self._publisher.publish(items)
        except (*AWS_ERRORS, PublishError) as exc:
            raise DependencyError(
                f"publishing {len(items)} hour-closed events to {self._stream}: {exc}"
            ) from exc
        if stats.failed:
            logger.warning(
                "%d of %d hour-closed events still rejected by %s after retries (throttled)",
                len(stats.failed),
                len(items),
                self._stream,
            )
        return [by_payload[entry.data] for entry in stats.failed]


class SqsDeadLetters:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings
        self._queue_url: str | None = None

    def send(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        failed: list[DeadLetter] = []
        ready: list[tuple[DeadLetter, str]] = []
        for letter in letters:
            try:
                ready.append((letter, self._message(letter)))
            except DependencyError as exc:
                logger.warning("dead letter of record %s not sent: %s", letter.record.record_id, exc)
                failed.append(letter)
        for chunk in self._chunks(ready):
            failed += self._send_chunk(chunk)
        return failed

    def _send_chunk(self, chunk: list[tuple[DeadLetter, str]]) -> list[DeadLetter]:
        entries: list[Any] = [{"Id": str(i), "MessageBody": body} for i, (_, body) in enumerate(chunk)]
        try:
            response = self._clients.sqs.send_message_batch(QueueUrl=self._url(), Entries=entries)
        except AWS_ERRORS as exc:
            raise DependencyError(f"sending {len(chunk)} dead letters failed: {exc}") from exc
        rejected = response.get("Failed", [])
        if rejected:
            codes = sorted({str(item.get("Code")) for item in rejected})
            logger.warning(
                "SQS rejected %d of %d dead letters: %s", len(rejected), len(chunk), ", ".join(codes)
            )
        return [chunk[int(item["Id"])][0] for item in rejected]

    def _url(self) -> str:
        if self._queue_url is None:
            name = self._settings.dead_letter_queue
            self._queue_url = self._clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._queue_url

    def _message(self, letter: DeadLetter) -> str:
        record, rejection = letter.record, letter.rejection
        message: dict[str, Any] = {
            "type": "rejected_reading",
            "reason": rejection.reason.value,
            "detail": rejection.detail,
            "household_id": rejection.household_id,
            "index_in_record": rejection.index,
            "record_id": record.record_id,
            "shard_id": record.shard_id,
            "sequence_number": record.sequence_number,
            "sub_sequence_number": record.sub_sequence_number,
            "partition_key": record.partition_key,
            "approximate_arrival": record.approximate_arrival,
            "event_source_arn": record.event_source_arn,
        }
        encoded = base64.b64encode(record.data).decode("ascii")
        if len(encoded) <= self._settings.dead_letter_inline_bytes:
            message["data_base64"] = encoded
        else:
            message["data_s3_uri"] = self._park_large_record(record)
        return json.dumps(message, separators=(",", ":"))

    def _park_large_record(self, record: UserRecord) -> str:
        key = f"{self._settings.dead_letter_prefix}{record.record_id.replace(':', '/')}.bin"
        try:
            self._clients.s3.put_object(Bucket=self._settings.data_bucket, Key=key, Body=record.data)
        except AWS_ERRORS as exc:
            raise DependencyError(f"parking a large rejected record at {key} failed: {exc}") from exc
        return f"s3://{self._settings.data_bucket}/{key}"

    @staticmethod
    def _chunks(items: list[tuple[DeadLetter, str]]) -> Iterable[list[tuple[DeadLetter, str]]]:
        chunk: list[tuple[DeadLetter, str]] = []
        size = 0
        for letter, body in items:
            if chunk and (len(chunk) == SQS_BATCH_ENTRIES or size + len(body) > SQS_BATCH_BYTES):
                yield chunk
                chunk, size = [], 0
            chunk.append((letter, body))
            size += len(body)
        if chunk:
            yield chunk
