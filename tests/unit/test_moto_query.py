"""The local modes' moto server reads one partition per Query: its answers are moto's own, page by
page, and it no longer walks the other partitions (in-process moto, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.local import moto_server

TABLE = "hourly"
INDEXED = "by-day"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "household_id", "KeyType": "HASH"},
                {"AttributeName": "hour", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "household_id", "AttributeType": "S"},
                {"AttributeName": "hour", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": INDEXED,
                    "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="households",
            KeySchema=[{"AttributeName": "household_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "household_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for h in range(6):
            client.put_item(TableName="households", Item={"household_id": {"S": f"h{h}"}, "n": {"N": str(h)}})
            for hour in range(30):
                client.put_item(
                    TableName=TABLE,
                    Item={
                        "household_id": {"S": f"h{h}"},
                        "hour": {"S": f"2010-01-{1 + hour // 24:02d}T{hour % 24:02d}"},
                        "day": {"S": f"2010-01-{1 + hour // 24:02d}"},
                        "kwh": {"N": str(h * 100 + hour)},
                        "mean": {"N": repr(round(0.1234 * hour + h, 6))},
                        "minutes": {"NS": [str(m) for m in range(0, 60, 1 + hour % 7)]},
                        "meta": {"M": {"source": {"S": "meter"}, "n": {"N": "3"}}},
                    },
                )
        yield client


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "household_id = :h", "ExpressionAttributeValues": {":h": {"S": "h3"}}},
    {
        "KeyConditionExpression": "household_id = :h AND #t BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#t": "hour"},
        "ExpressionAttributeValues": {
            ":h": {"S": "h2"},
            ":a": {"S": "2010-01-01T05"},
            ":b": {"S": "2010-01-02T02"},
        },
        "ProjectionExpression": "household_id, #t",
        "ConsistentRead": True,
    },
    {
        "KeyConditionExpression": "household_id = :h AND begins_with(#t, :d)",
        "ExpressionAttributeNames": {"#t": "hour"},
        "ExpressionAttributeValues": {":h": {"S": "h0"}, ":d": {"S": "2010-01-02"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "household_id = :h",
        "FilterExpression": "kwh > :k",
        "ExpressionAttributeValues": {":h": {"S": "h5"}, ":k": {"N": "520"}},
    },
    {"KeyConditionExpression": "household_id = :h", "ExpressionAttributeValues": {":h": {"S": "nobody"}}},
    {
        "KeyConditionExpression": "household_id = :h",
        "ProjectionExpression": "#t, kwh, mean, absent",
        "ExpressionAttributeNames": {"#t": "hour"},
        "ExpressionAttributeValues": {":h": {"S": "h1"}},
    },
    {
        "KeyConditionExpression": "household_id = :h",
        "ProjectionExpression": "kwh, meta.source",
        "ExpressionAttributeValues": {":h": {"S": "h1"}},
    },
    {
        "KeyConditionExpression": "household_id = :h",
        "ProjectionExpression": "meta, minutes",
        "ExpressionAttributeValues": {":h": {"S": "h2"}},
    },
    {
        "TableName": "households",
        "KeyConditionExpression": "household_id = :h",
        "ExpressionAttributeValues": {":h": {"S": "h4"}},
    },
    {
        "IndexName": INDEXED,
        "KeyConditionExpression": "#d = :d",
        "ExpressionAttributeNames": {"#d": "day"},
        "ExpressionAttributeValues": {":d": {"S": "2010-01-02"}},
    },
]


def pages(client: Any, query: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
    """Every page of the query (its items, counts and where it stopped)."""
    request = {"TableName": TABLE, **query} | ({"Limit": limit} if limit else {})
    answers = []
    while True:
        answer = client.query(**request)
        answer.pop("ResponseMetadata")
        answers.append(answer)
        if "LastEvaluatedKey" not in answer:
            return answers
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


@pytest.mark.parametrize("limit", [None, 4])
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_a_query_answers_as_moto_itself_does_page_by_page(
    dynamodb: Any, query: dict[str, Any], limit: int | None
) -> None:
    expected = pages(dynamodb, query, limit)
    with moto_server.installed():
        assert pages(dynamodb, query, limit) == expected
    assert (
        sum(len(p["Items"]) for p in expected)
        == {0: 30, 1: 22, 2: 6, 3: 9, 4: 0, 5: 30, 6: 30, 7: 30, 8: 1, 9: 36}[QUERIES.index(query)]
    )


def test_a_query_of_the_table_key_walks_only_its_partition(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks: list[int] = []
    original = moto_server._ORIGINAL_ALL_ITEMS

    def counted(table: Any) -> Any:
        items = original(table)
        walks.append(len(items))
        return items

    with moto_server.installed(), monkeypatch.context() as spied:
        spied.setattr(moto_server, "_ORIGINAL_ALL_ITEMS", counted)
        dynamodb.query(**{"TableName": TABLE, **QUERIES[0]})
        assert walks == []  # not the table's 180 items: only h3's 30
        dynamodb.query(**{"TableName": TABLE, **QUERIES[-1]})  # an index: moto's own walk
        assert walks == [180]
        dynamodb.scan(TableName=TABLE)  # other operations: untouched
        assert walks == [180, 180]
    assert dynamodb.query(**{"TableName": TABLE, **QUERIES[0]})["Count"] == 30


def test_a_projection_of_top_level_scalars_is_picked_and_any_other_is_motos_own(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    projected: list[str] = []
    original = moto_server._ORIGINAL_PROJECT

    def counted(item: Any, expressions: list[list[str]]) -> Any:
        projected.append(".".join(expressions[-1]))
        return original(item, expressions)

    with moto_server.installed(), monkeypatch.context() as spied:
        spied.setattr(moto_server, "_ORIGINAL_PROJECT", counted)
        assert dynamodb.query(**{"TableName": TABLE, **QUERIES[5]})["Count"] == 30
        assert projected == []
        dynamodb.query(**{"TableName": TABLE, **QUERIES[6]})  # a nested path
        dynamodb.query(**{"TableName": TABLE, **QUERIES[7]})  # a map and a set
    assert projected == ["meta.source"] * 30 + ["minutes"] * 30
