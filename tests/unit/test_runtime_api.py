"""The local Lambda Runtime API, driven by a fake runtime that makes the HTTP calls awslambdaric makes."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from scripts.local.esm.invokers import UNHANDLED, InvocationResult
from scripts.local.lambda_runtime_api import PREFIX, RuntimeApiInvoker

EVENT = {"Records": [{"kinesis": {"sequenceNumber": "1", "data": "e30="}}]}


@pytest.fixture
def api() -> Iterator[RuntimeApiInvoker]:
    with RuntimeApiInvoker("127.0.0.1", 0, region="eu-west-1") as invoker:
        yield invoker


class FakeRuntime:
    """One sandbox: a keep-alive connection, like awslambdaric's."""

    def __init__(self, address: str) -> None:
        host, port = address.split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=10)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        data = None if body is None else json.dumps(body).encode()
        self.connection.request(method, PREFIX + path, body=data, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, dict(response.headers), json.loads(response.read() or b"null")

    def next(self):
        return self.call("GET", "/invocation/next")


def invoke_async(
    api: RuntimeApiInvoker, timeout: float = 5.0, event: Any = EVENT
) -> Future[InvocationResult]:
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(api.invoke, event, function_name="wattcast-ingest", timeout_seconds=timeout)
    pool.shutdown(wait=False)
    return future


def test_the_runtime_gets_the_event_with_lambda_headers_and_its_response_is_the_result(api) -> None:
    runtime = FakeRuntime(api.address)
    future = invoke_async(api, timeout=30)
    before_ms = time.time() * 1000
    status, headers, event = runtime.next()
    assert status == 200
    assert event == EVENT
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    assert len(request_id) == 36
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:wattcast-ingest"
    )
    assert before_ms + 29_000 < int(headers["Lambda-Runtime-Deadline-Ms"]) < before_ms + 31_000
    assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")

    answer = {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert runtime.call("POST", f"/invocation/{request_id}/response", answer)[0] == 202
    result = future.result(timeout=5)
    assert result == InvocationResult(payload=answer)
    # The same request id cannot be answered twice.
    status, _, body = runtime.call("POST", f"/invocation/{request_id}/response", answer)
    assert (status, body["errorType"]) == (400, "InvalidRequestID")


def test_a_posted_error_is_an_unhandled_function_error(api) -> None:
    runtime = FakeRuntime(api.address)
    future = invoke_async(api)
    _, headers, _ = runtime.next()
    error = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": ["line 1"]}
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    status, _, _ = runtime.call(
        "POST",
        f"/invocation/{request_id}/error",
        error,
        {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"},
    )
    assert status == 202
    result = future.result(timeout=5)
    assert result.function_error == UNHANDLED
    assert (result.error_type, result.error_message) == ("ValueError", "boom")
    assert result.payload["stackTrace"] == ["line 1"]


def test_an_init_error_fails_the_waiting_events_with_its_type(api) -> None:
    futures = [invoke_async(api), invoke_async(api)]
    time.sleep(0.2)  # both queued
    runtime = FakeRuntime(api.address)
    error = {"errorMessage": "Unable to import module 'x'", "errorType": "Runtime.ImportModuleError"}
    assert runtime.call("POST", "/init/error", error)[0] == 202
    for future in futures:
        result = future.result(timeout=5)
        assert (result.function_error, result.error_type) == (UNHANDLED, "Runtime.ImportModuleError")


def test_no_runtime_polling_fails_after_the_timeout_and_the_event_is_not_delivered_late(api) -> None:
    started = time.monotonic()
    result = api.invoke(EVENT, function_name="f", timeout_seconds=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert (result.function_error, result.error_type) == (UNHANDLED, "Runtime.Unavailable")
    # A runtime that polls now gets the next event, not the abandoned one.
    future = invoke_async(api, event={"second": True})
    runtime = FakeRuntime(api.address)
    _, headers, event = runtime.next()
    assert event == {"second": True}
    runtime.call("POST", f"/invocation/{headers['Lambda-Runtime-Aws-Request-Id']}/response", {"ok": 1})
    assert future.result(timeout=5).payload == {"ok": 1}


def test_a_runtime_that_does_not_answer_in_time_is_a_timeout(api) -> None:
    future = invoke_async(api, timeout=0.5)
    runtime = FakeRuntime(api.address)
    _, headers, _ = runtime.next()
    result = future.result(timeout=5)
    assert (result.function_error, result.error_type) == (UNHANDLED, "Sandbox.Timedout")
    assert result.error_message == "Task timed out after 0.50 seconds"
    late = runtime.call("POST", f"/invocation/{headers['Lambda-Runtime-Aws-Request-Id']}/response", {})
    assert late[0] == 400


def test_two_runtimes_share_the_queue_and_each_result_reaches_its_caller(api) -> None:
    runtimes = [FakeRuntime(api.address), FakeRuntime(api.address)]
    futures = [invoke_async(api, event={"n": n}) for n in range(4)]

    def serve(runtime: FakeRuntime, count: int) -> None:
        for _ in range(count):
            _, headers, event = runtime.next()
            rid = headers["Lambda-Runtime-Aws-Request-Id"]
            runtime.call("POST", f"/invocation/{rid}/response", {"doubled": event["n"] * 2})

    threads = [threading.Thread(target=serve, args=(runtime, 2)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert [future.result(timeout=5).payload for future in futures] == [{"doubled": n * 2} for n in range(4)]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/invocation/other", 404), ("POST", "/invocation/x/nonsense", 404), ("POST", "/restore", 404)],
)
def test_unknown_routes_are_404(api, method: str, path: str, status: int) -> None:
    assert FakeRuntime(api.address).call(method, path, {})[0] == status


def test_a_response_that_is_not_json_is_a_marshal_error(api) -> None:
    future = invoke_async(api)
    runtime = FakeRuntime(api.address)
    _, headers, _ = runtime.next()
    rid = headers["Lambda-Runtime-Aws-Request-Id"]
    runtime.connection.request("POST", f"{PREFIX}/invocation/{rid}/response", body=b"{not json")
    assert runtime.connection.getresponse().status == 202
    assert future.result(timeout=5).error_type == "Runtime.MarshalError"


def test_stopping_fails_what_is_queued_and_releases_blocked_polls() -> None:
    api = RuntimeApiInvoker().start()
    runtime = FakeRuntime(api.address)
    pool = ThreadPoolExecutor(max_workers=1)
    poll = pool.submit(runtime.next)
    time.sleep(0.1)
    api.stop()
    assert poll.result(timeout=5)[0] == 503
    pool.shutdown()
