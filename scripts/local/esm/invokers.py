"""How the runner calls a function: in this process, or over HTTP as the Lambda RIE serves it."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from scripts.local.esm.events import LocalLambdaContext

logger = logging.getLogger(__name__)

UNHANDLED = "Unhandled"
RIE_INVOKE_PATH = "/2015-03-31/functions/function/invocations"
FUNCTION_ERROR_HEADER = "X-Amz-Function-Error"
_ERROR_BODY_KEYS = frozenset({"errorType", "errorMessage", "stackTrace", "requestId", "cause"})

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class InvocationResult:
    """What Lambda's Invoke returns: the parsed payload, or a function error with its type and message."""

    payload: Any = None
    function_error: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    status_code: int = 200

    @property
    def failed(self) -> bool:
        return self.function_error is not None

    @classmethod
    def unhandled(cls, error_type: str, error_message: str, status_code: int = 200) -> InvocationResult:
        return cls(
            payload={"errorType": error_type, "errorMessage": error_message},
            function_error=UNHANDLED,
            error_type=error_type,
            error_message=error_message,
            status_code=status_code,
        )

    def describe_error(self) -> str:
        return f"{self.error_type or self.function_error}: {self.error_message or ''}".strip()


class Invoker(Protocol):
    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        """Invoke synchronously; report a failure in the result, never raise for a function error."""
        ...


class InProcessInvoker:
    """Calls `handler(event, LocalLambdaContext)` in the calling thread.

    The dotted path is imported on first use. A handler exception, an import error or a result that
    is not JSON becomes function error "Unhandled". The timeout cannot interrupt Python code: a call
    that overran it is reported as timed out afterwards (its result is dropped, as Lambda would).
    """

    def __init__(self, handler_path: str, *, region: str = "us-east-1") -> None:
        self.handler_path = handler_path
        self.region = region
        self._handler: Handler | None = None
        self._lock = threading.Lock()

    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        try:
            handler = self._load_handler()
        except Exception as exc:
            logger.warning("cannot import handler %s: %s", self.handler_path, exc)
            return InvocationResult.unhandled("Runtime.ImportModuleError", f"{type(exc).__name__}: {exc}")
        context = LocalLambdaContext(
            function_name=function_name, timeout_seconds=timeout_seconds, region=self.region
        )
        started = time.monotonic()
        try:
            returned = handler(event, context)
        except Exception as exc:
            logger.warning("%s raised %s: %s", function_name, type(exc).__name__, exc, exc_info=True)
            return InvocationResult.unhandled(type(exc).__name__, str(exc))
        if time.monotonic() - started > timeout_seconds:
            return InvocationResult.unhandled(
                "Sandbox.Timedout", f"Task timed out after {timeout_seconds:.2f} seconds"
            )
        return _as_json_payload(returned)

    def _load_handler(self) -> Handler:
        with self._lock:
            if self._handler is None:
                module_name, _, attribute = self.handler_path.rpartition(".")
                if not module_name:
                    raise ValueError(f"handler path {self.handler_path!r} is not 'package.module.function'")
                handler = getattr(importlib.import_module(module_name), attribute)
                if not callable(handler):
                    raise TypeError(f"{self.handler_path} is not callable")
                self._handler = handler
            return self._handler


def _as_json_payload(returned: Any) -> InvocationResult:
    """Lambda serialises the return value to JSON; mirror that so callers see the same shape."""
    try:
        return InvocationResult(payload=json.loads(json.dumps(returned)))
    except (TypeError, ValueError) as exc:
        return InvocationResult.unhandled("Runtime.MarshalError", f"Unable to marshal response: {exc}")


class HttpInvoker:
    """POSTs events to `{base_url}/2015-03-31/functions/function/invocations` (the Lambda RIE)."""

    def __init__(self, base_url: str, *, network_grace_seconds: float = 5.0) -> None:
        self.url = base_url.rstrip("/") + RIE_INVOKE_PATH
        self.network_grace_seconds = network_grace_seconds

    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(event).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(
                request, timeout=timeout_seconds + self.network_grace_seconds
            ) as response:
                return _result_from_http(
                    response.status, response.read(), response.headers.get(FUNCTION_ERROR_HEADER)
                )
        except urllib.error.HTTPError as exc:
            message = exc.read().decode("utf-8", errors="replace") or str(exc.reason)
            return InvocationResult.unhandled(f"HTTP{exc.code}", message, status_code=exc.code)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return InvocationResult.unhandled(
                type(exc).__name__, f"cannot invoke {function_name} at {self.url}: {exc}"
            )


def _result_from_http(status: int, body: bytes, function_error_header: str | None) -> InvocationResult:
    payload = _parse_json(body)
    if function_error_header or _looks_like_error(payload):
        error = payload if isinstance(payload, dict) else {}
        return InvocationResult(
            payload=payload,
            function_error=function_error_header or UNHANDLED,
            error_type=str(error.get("errorType") or UNHANDLED),
            error_message=str(error.get("errorMessage") or body.decode("utf-8", errors="replace")),
            status_code=status,
        )
    return InvocationResult(payload=payload, status_code=status)


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        logger.warning("function returned a body that is not JSON: %.200r", body)
        return None


def _looks_like_error(payload: Any) -> bool:
    if not isinstance(payload, dict) or not payload:
        return False
    keys = set(payload)
    return keys <= _ERROR_BODY_KEYS and bool(keys & {"errorType", "errorMessage"})
