"""The AWS side of the household API and the alerts: DynamoDB reads and writes, SNS announcements.

Every call that fails raises DependencyError with its cause; the boundary answers 503 or fails the
records, which the event source mapping retries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.core.forecasts_table import DynamoForecasts, calling
from services.core.forecasts_table import query_items as _query
from services.core.households_table import latest_readings
from services.core.items import from_item, to_item
from services.core.reading import parse_ts
from services.portal.ports import StoredAlert

__all__ = ["DynamoForecasts", "calling"]
ALERT_PREFIX, STATE_PREFIX = "alert#", "state#"


class DynamoSettings:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._table = clients.settings.settings_table

    def get(self, household_id: str) -> Mapping[str, Any] | None:
        with calling(f"reading the settings of {household_id}"):
            item = self._clients.dynamodb.get_item(
                TableName=self._table, Key={"household_id": {"S": household_id}}, ConsistentRead=True
            ).get("Item")
        return json.loads(item["settings"]["S"]) if item else None

    def put(self, household_id: str, document: Mapping[str, Any]) -> None:
        item = {"household_id": {"S": household_id}, "settings": {"S": json.dumps(document)}}
        item["updated_at"] = {"N": str(int(time.time()))}
        with calling(f"writing the settings of {household_id}"):
            self._clients.dynamodb.put_item(TableName=self._table, Item=item)


class DynamoAlerts:
    """Alerts (`alert#<key>`) and the alert machines' states (`state#<name>`), one partition per
    household. Conditional writes make each alert key stored once, whoever writes it first."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._dynamodb = clients.dynamodb
        self._table = clients.settings.alerts_table

    def alerts(self, household_id: str, *, open_only: bool = False) -> list[StoredAlert]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "household_id = :h AND begins_with(alert_key, :p)",
            "ExpressionAttributeValues": {":h": {"S": household_id}, ":p": {"S": ALERT_PREFIX}},
        }
        if open_only:
            request["FilterExpression"] = "#s = :open"
            request["ExpressionAttributeNames"] = {"#s": "status"}
            request["ExpressionAttributeValues"][":open"] = {"S": "open"}
        with calling(f"reading the alerts of {household_id}"):
            items = _query(self._clients, request)
        alerts = [_alert_of(item) for item in items]
        return sorted(alerts, key=lambda a: (a.raised_for, a.key), reverse=True)

    def add(self, household_id: str, alert: StoredAlert) -> StoredAlert | None:
        body = {
            "household_id": household_id,
            "alert_key": ALERT_PREFIX + alert.key,
            "kind": alert.kind,
            "status": alert.status,
            "raised_for": alert.raised_for,
            "message": alert.message,
            "details": alert.details,
            "notified": False,
            "created_at": int(time.time()),
        }
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(body),
                ConditionExpression="attribute_not_exists(alert_key)",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return self._get(household_id, alert.key)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"storing alert {alert.key} of {household_id}: {exc}") from exc
        return None

    def _get(self, household_id: str, key: str) -> StoredAlert:
        with calling(f"reading alert {key} of {household_id}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"household_id": {"S": household_id}, "alert_key": {"S": ALERT_PREFIX + key}},
                ConsistentRead=True,
            )["Item"]
        return _alert_of(from_item(item))

    def mark_notified(self, household_id: str, key: str) -> None:
        with calling(f"marking alert {key} of {household_id} notified"):
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"household_id": {"S": household_id}, "alert_key": {"S": ALERT_PREFIX + key}},
                UpdateExpression="SET notified = :t",
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )

    def resolve(self, household_id: str, key: str, resolved_for: str) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"household_id": {"S": household_id}, "alert_key": {"S": ALERT_PREFIX + key}},
                UpdateExpression="SET #s = :resolved, resolved_for = :when",
                ConditionExpression="#s = :open",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":resolved": {"S": "resolved"},
                    ":open": {"S": "open"},
                    ":when": {"S": resolved_for},
                },
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"resolving alert {key} of {household_id}: {exc}") from exc
        return True

    def state(self, household_id: str, name: str) -> tuple[dict[str, Any] | None, int]:
        with calling(f"reading alert state {name} of {household_id}"):
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key={"household_id": {"S": household_id}, "alert_key": {"S": STATE_PREFIX + name}},
                ConsistentRead=True,
            ).get("Item")
        if not item:
            return None, 0
        return json.loads(item["document"]["S"]), int(item["version"]["N"])

    def save_state(self, household_id: str, name: str, document: Mapping[str, Any], version: int) -> bool:
        item = {
            "household_id": {"S": household_id},
            "alert_key": {"S": STATE_PREFIX + name},
            "document": {"S": json.dumps(document, sort_keys=True)},
            "version": {"N": str(version + 1)},
        }
        request: dict[str, Any] = {"TableName": self._table, "Item": item}
        if version == 0:
            request["ConditionExpression"] = "attribute_not_exists(version)"
        else:
            request["ConditionExpression"] = "version = :v"
            request["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
        try:
            self._dynamodb.put_item(**request)
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"saving alert state {name} of {household_id}: {exc}") from exc
        return True


def _alert_of(item: Mapping[str, Any]) -> StoredAlert:
    return StoredAlert(
        key=str(item["alert_key"]).removeprefix(ALERT_PREFIX),
        kind=item["kind"],
        status=item["status"],
        raised_for=item["raised_for"],
        message=item["message"],
        details=dict(item.get("details") or {}),
        notified=bool(item.get("notified")),
        resolved_for=item.get("resolved_for"),
    )


class SnsNotifier:
    """One message per alert on the alerts topic; `alert_key` rides along as a message attribute so a
    subscriber can drop the rare repeat (a crash between publishing and marking it notified)."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._topic = clients.settings.alerts_topic_arn

    def publish(self, household_id: str, alert: StoredAlert) -> None:
        if not self._topic:
            raise DependencyError("WATTCAST_ALERTS_TOPIC_ARN is not set: alerts cannot be announced")
        message = {"household_id": household_id, **alert.as_json()}
        with calling(f"publishing alert {alert.key} of {household_id}"):
            self._clients.client("sns").publish(
                TopicArn=self._topic,
                Subject=f"Wattcast: {alert.kind.replace('_', ' ')}",
                Message=json.dumps(message),
                MessageAttributes={
                    "alert_key": {"DataType": "String", "StringValue": alert.key},
                    "kind": {"DataType": "String", "StringValue": alert.kind},
                    "household_id": {"DataType": "String", "StringValue": household_id},
                },
            )


class DynamoClocks:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._table = clients.settings.households_table

    def latest_readings(self) -> dict[str, datetime]:
        return latest_readings(self._clients)

    def household(self, household_id: str) -> tuple[datetime | None, frozenset[datetime]]:
        with calling(f"reading the clock of {household_id}"):
            item = self._clients.dynamodb.get_item(
                TableName=self._table, Key={"household_id": {"S": household_id}}
            ).get("Item", {})
        latest = parse_ts(item.get("latest", {}).get("S", ""))
        hours = (parse_ts(text) for text in item.get("open_hours", {}).get("SS", []))
        return (
            latest if isinstance(latest, datetime) else None,
            frozenset(h for h in hours if isinstance(h, datetime)),
        )


class DynamoDriftMarks:
    """The drift mark the accuracy function keeps in the accuracy table (`drift` item)."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._table = clients.settings.accuracy_table

    def mark(self, household_id: str) -> Mapping[str, Any] | None:
        key = {"household_id": {"S": household_id}, "score_key": {"S": "drift"}}
        with calling(f"reading the drift mark of {household_id}"):
            item = self._clients.dynamodb.get_item(TableName=self._table, Key=key).get("Item")
        return from_item(item) if item else None
