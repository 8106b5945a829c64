import base64

from aws_lambda_powertools.utilities.typing import LambdaContext

from scripts.local.esm.events import (
    kinesis_event_from_payloads,
    kinesis_event_record,
    stream_arn,
)
from scripts.local.lambda_context import LocalLambdaContext


def test_a_record_has_the_fields_lambda_sends():
    record = kinesis_event_record(
        data=b'{"a":1}',
        sequence_number="4960",
        partition_key="h1",
        shard_id="shardId-000000000003",
        event_source_arn=stream_arn("s", "eu-west-1", "111122223333"),
        approximate_arrival=1.5,
        region="eu-west-1",
    )
    assert record["eventID"] == "shardId-000000000003:4960"
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventSourceARN"] == "arn:aws:kinesis:eu-west-1:111122223333:stream/s"
    assert record["awsRegion"] == "eu-west-1"
    kinesis = record["kinesis"]
    assert base64.b64decode(kinesis["data"]) == b'{"a":1}'
    assert kinesis["partitionKey"] == "h1" and kinesis["sequenceNumber"] == "4960"
    assert kinesis["approximateArrivalTimestamp"] == 1.5 and kinesis["kinesisSchemaVersion"] == "1.0"


def test_an_event_from_payloads_numbers_records_in_order():
    event = kinesis_event_from_payloads(
        [b"a", b"b", b"c"], partition_keys=["x", "y", "z"], first_sequence=100
    )
    assert [r["kinesis"]["sequenceNumber"] for r in event["Records"]] == ["100", "101", "102"]
    assert [r["kinesis"]["partitionKey"] for r in event["Records"]] == ["x", "y", "z"]


def test_the_local_context_counts_down():
    context = LocalLambdaContext("wattcast-ingest", timeout_seconds=2)
    assert 1500 < context.get_remaining_time_in_millis() <= 2000
    assert context.invoked_function_arn.endswith(":function:wattcast-ingest")
    assert isinstance(context, LambdaContext) and context.function_name == "wattcast-ingest"
    assert context.log_group_name == "/aws/lambda/wattcast-ingest"
