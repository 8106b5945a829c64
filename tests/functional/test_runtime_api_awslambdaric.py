"""The local Runtime API with the real runtime client our images run (awslambdaric) as a subprocess."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.esm.invokers import UNHANDLED
from scripts.local.lambda_runtime_api import RuntimeApiInvoker

pytest.importorskip("awslambdaric")
pytestmark = pytest.mark.functional

HANDLER = """
    import base64
    import json

    def lambda_handler(event, context):
        failures = []
        for record in event["Records"]:
            body = json.loads(base64.b64decode(record["kinesis"]["data"]))
            if body.get("explode"):
                raise RuntimeError("asked to explode")
            if not body.get("ok"):
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {
            "batchItemFailures": failures,
            "function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }
"""


@pytest.fixture
def handler_dir(tmp_path: Path) -> Path:
    (tmp_path / "kinesis_handler.py").write_text(textwrap.dedent(HANDLER))
    return tmp_path


def start_runtime(address: str, cwd: Path, handler: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": address}
    return subprocess.Popen(
        [sys.executable, "-m", "awslambdaric", handler],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def runtime(handler_dir: Path) -> Iterator[RuntimeApiInvoker]:
    with RuntimeApiInvoker("127.0.0.1", 0) as api:
        process = start_runtime(api.address, handler_dir, "kinesis_handler.lambda_handler")
        yield api
        process.terminate()
        process.wait(timeout=10)


def payload(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_kinesis_batch_gets_its_partial_batch_response(runtime: RuntimeApiInvoker) -> None:
    event = kinesis_event_from_payloads([payload(ok=True), payload(ok=False), payload(ok=True)])
    bad_sequence = event["Records"][1]["kinesis"]["sequenceNumber"]
    result = runtime.invoke(event, function_name="wattcast-ingest", timeout_seconds=20)
    assert not result.failed, result.describe_error()
    assert result.payload["batchItemFailures"] == [{"itemIdentifier": bad_sequence}]
    assert result.payload["function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:wattcast-ingest"
    assert 15_000 < result.payload["remaining_ms"] <= 20_000
    # The same runtime keeps polling: a second invocation goes through the same process.
    again = runtime.invoke(
        kinesis_event_from_payloads([payload(ok=True)]), function_name="wattcast-ingest", timeout_seconds=20
    )
    assert again.payload["batchItemFailures"] == []


def test_a_handler_exception_is_an_unhandled_function_error(runtime: RuntimeApiInvoker) -> None:
    event = kinesis_event_from_payloads([payload(explode=True)])
    result = runtime.invoke(event, function_name="wattcast-ingest", timeout_seconds=20)
    assert (result.function_error, result.error_type) == (UNHANDLED, "RuntimeError")
    assert result.error_message == "asked to explode"
    assert any("explode" in line for line in result.payload["stackTrace"])


def test_a_handler_that_cannot_be_imported_fails_the_invocation_and_the_runtime_exits(
    handler_dir: Path,
) -> None:
    with RuntimeApiInvoker("127.0.0.1", 0) as api:
        process = start_runtime(api.address, handler_dir, "missing_module.lambda_handler")
        event = kinesis_event_from_payloads([base64.b64encode(b"x")])
        result = api.invoke(event, function_name="wattcast-ingest", timeout_seconds=20)
        assert (result.function_error, result.error_type) == (UNHANDLED, "Runtime.ImportModuleError")
        assert "missing_module" in (result.error_message or "")
        assert process.wait(timeout=10) != 0
