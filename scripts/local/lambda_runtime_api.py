"""The Lambda Runtime API, served locally, so a Lambda container image can be invoked without AWS.

A function's runtime (`awslambdaric` in our images, with AWS_LAMBDA_RUNTIME_API=host:port) polls
`GET /2018-06-01/runtime/invocation/next`, which blocks until there is an event, runs its handler
and posts `.../invocation/{id}/response` or `.../invocation/{id}/error`; a handler that cannot even
be loaded posts `/2018-06-01/runtime/init/error` and exits. `RuntimeApiInvoker` is the other side:
the event source mapping runner's `Invoker` that queues an event and waits for its outcome.

Several runtimes may poll one server (each takes one event at a time, as a Lambda sandbox does).
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from scripts.local.esm.invokers import InvocationResult, as_json_payload

logger = logging.getLogger(__name__)

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
POLL_SECONDS = 0.5  # how often a blocked /next checks whether the server is stopping


@dataclass
class Invocation:
    event: bytes
    function_name: str
    timeout_seconds: float
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    deadline_ms: int = 0
    result: InvocationResult | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def finish(self, result: InvocationResult) -> None:
        if not self.done.is_set():
            self.result = result
            self.done.set()


def trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


def error_result(body: bytes, header_type: str | None) -> InvocationResult:
    """What Invoke returns for a posted error: function error "Unhandled" with the runtime's type."""
    try:
        error = json.loads(body) if body.strip() else {}
    except ValueError:
        error = {"errorMessage": body.decode("utf-8", errors="replace")}
    if not isinstance(error, dict):
        error = {"errorMessage": str(error)}
    error_type = str(error.get("errorType") or header_type or "Runtime.Unknown")
    result = InvocationResult.unhandled(error_type, str(error.get("errorMessage") or ""))
    return InvocationResult(
        payload={**error, "errorType": error_type},
        function_error=result.function_error,
        error_type=result.error_type,
        error_message=result.error_message,
    )


class RuntimeApiInvoker:
    """Serves the Runtime API on `host:port` and invokes through it (the `Invoker` protocol).

    `invoke` queues the event and waits up to `timeout_seconds` for a runtime to take it and then up
    to `timeout_seconds` (Lambda's function timeout) for its response. A posted error, an init error
    or a timeout becomes function error "Unhandled", as Lambda's Invoke reports them.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        self.region = region
        self.account = account
        self._pending: queue.Queue[Invocation] = queue.Queue()
        self._in_flight: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """`host:port`, the value for AWS_LAMBDA_RUNTIME_API."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> RuntimeApiInvoker:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name=f"runtime-api-{self.address}", daemon=True
            )
            self._thread.start()
            logger.info("Lambda Runtime API on %s", self.address)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()
        while not self._pending.empty():
            self._pending.get_nowait().finish(InvocationResult.unhandled("Runtime.Stopped", "server stopped"))

    def __enter__(self) -> RuntimeApiInvoker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # ---- the Invoker side

    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        invocation = Invocation(json.dumps(event).encode("utf-8"), function_name, timeout_seconds)
        self._pending.put(invocation)
        if not invocation.done.wait(timeout_seconds):
            with self._lock:  # no runtime polled in time: take it back so none gets it late
                if invocation.request_id not in self._in_flight:
                    invocation.finish(
                        InvocationResult.unhandled(
                            "Runtime.Unavailable",
                            f"no runtime polled {self.address} for {function_name} "
                            f"within {timeout_seconds:.0f} s",
                        )
                    )
            invocation.done.wait(max(0.0, invocation.deadline_ms / 1000 - time.time()))
        with self._lock:
            self._in_flight.pop(invocation.request_id, None)
        invocation.finish(
            InvocationResult.unhandled(
                "Sandbox.Timedout", f"Task timed out after {timeout_seconds:.2f} seconds"
            )
        )
        assert invocation.result is not None
        return invocation.result

    # ---- the runtime side (called by the HTTP handler)

    def next_invocation(self) -> Invocation | None:
        """Block until an event is queued (None when the server stops)."""
        while not self._stopping.is_set():
            try:
                invocation = self._pending.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            with self._lock:
                if invocation.done.is_set():  # its caller gave up waiting
                    continue
                invocation.deadline_ms = int((time.time() + invocation.timeout_seconds) * 1000)
                self._in_flight[invocation.request_id] = invocation
            return invocation
        return None

    def complete(self, request_id: str, result: InvocationResult) -> bool:
        with self._lock:
            invocation = self._in_flight.pop(request_id, None)
        if invocation is None:
            return False
        invocation.finish(result)
        return True

    def init_failed(self, result: InvocationResult) -> None:
        """A runtime could not load its handler: the events waiting for it fail with that error."""
        logger.warning("runtime init error: %s", result.describe_error())
        while True:
            try:
                self._pending.get_nowait().finish(result)
            except queue.Empty:
                return

    def function_arn(self, function_name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{function_name}"


def _handler_class(api: RuntimeApiInvoker) -> type[BaseHTTPRequestHandler]:
    class RuntimeApiHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # awslambdaric keeps its connection open between calls

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})
                return
            invocation = api.next_invocation()
            if invocation is None:
                self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"errorMessage": "runtime API stopping"})
                return
            headers = {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": api.function_arn(invocation.function_name),
                "Lambda-Runtime-Trace-Id": trace_id(),
            }
            self._send(HTTPStatus.OK, invocation.event, headers)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.init_failed(error_result(body, self.headers.get(ERROR_TYPE_HEADER)))
                self._reply(HTTPStatus.ACCEPTED, {"status": "OK"})
                return
            if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
                self._reply(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})
                return
            if parts[2] == "response":
                result = _response_result(body)
            else:
                result = error_result(body, self.headers.get(ERROR_TYPE_HEADER))
            if api.complete(parts[1], result):
                self._reply(HTTPStatus.ACCEPTED, {"status": "OK"})
            else:
                message = f"request id {parts[1]} is not in flight (unknown, answered or timed out)"
                self._reply(
                    HTTPStatus.BAD_REQUEST, {"errorType": "InvalidRequestID", "errorMessage": message}
                )

        def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode("utf-8"), {})

        def _send(self, status: HTTPStatus, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the runtime went away (container stopped)
                logger.debug("runtime disconnected before its answer was written")

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("runtime api: " + format, *args)

    return RuntimeApiHandler


def _response_result(body: bytes) -> InvocationResult:
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        return InvocationResult.unhandled("Runtime.MarshalError", "the response is not JSON")
    return as_json_payload(payload)
