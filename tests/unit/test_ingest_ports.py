"""The ingest ports fail loudly: a whole-call failure is a DependencyError with its cause, never a
silent "nothing sent", and the pipeline logs it once and fails exactly the affected records."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.memory_ports import MemoryPorts
from services.core.errors import DependencyError
from services.core.retry import Backoff
from services.core.settings import Settings
from services.ingest.aws import KinesisHourlyEvents, SqsDeadLetters
from services.ingest.pipeline import ingest_batch
from services.ingest.ports import HourClosed

NO_WAIT = Backoff(max_attempts=2, sleep=lambda _: None)


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.session.Session(region_name="us-east-1").client(service)  # type: ignore[call-overload]
    return client, Stubber(client)


def test_an_unreachable_hourly_stream_is_a_dependency_error_with_its_cause() -> None:
    kinesis, stub = stubbed("kinesis")
    stub.add_client_error("put_records", service_error_code="AccessDeniedException", http_status_code=400)
    events = KinesisHourlyEvents(SimpleNamespace(kinesis=kinesis), Settings(), backoff=NO_WAIT)  # type: ignore[arg-type]
    with stub, pytest.raises(DependencyError, match="AccessDeniedException"):
        events.publish([HourClosed("h1", datetime(2010, 1, 1, 3, tzinfo=UTC))])


def test_an_unreachable_dead_letter_queue_is_a_dependency_error_with_its_cause() -> None:
    sqs, stub = stubbed("sqs")
    stub.add_client_error("get_queue_url", service_error_code="QueueDoesNotExist", http_status_code=400)
    letters = SqsDeadLetters(SimpleNamespace(sqs=sqs), Settings())  # type: ignore[arg-type]
    ports = MemoryPorts()
    event = kinesis_event_from_payloads([b"not json"], partition_keys=["h1"])
    ports.dead_letters.send = letters.send  # type: ignore[method-assign]
    with stub:
        outcome = ingest_batch(event["Records"], ports.ports(), Settings())
    assert outcome.failed_sequence_numbers == {event["Records"][0]["kinesis"]["sequenceNumber"]}


def test_the_pipeline_logs_a_failed_port_once_with_its_cause(caplog: pytest.LogCaptureFixture) -> None:
    ports = MemoryPorts()
    ports.hourly_events.fail = True
    readings = [
        f'{{"household_id":"h1","ts":"2010-01-01T0{hour}:00:00Z","global_active_power":1.0}}'.encode()
        for hour in (1, 3)
    ]
    event = kinesis_event_from_payloads(readings, partition_keys=["h1", "h1"])
    with caplog.at_level(logging.WARNING):
        outcome = ingest_batch(event["Records"], ports.ports(), Settings())
    assert outcome.failed_sequence_numbers == {r["kinesis"]["sequenceNumber"] for r in event["Records"]}
    logged = [r.getMessage() for r in caplog.records if "hour-closed events not published" in r.getMessage()]
    assert logged == [
        "hour-closed events not published, their households are retried: hourly stream unavailable"
    ]
