"""How the runner calls a function: in this process here; through the Lambda Runtime API for the
container images (`scripts.local.lambda_runtime_api.RuntimeApiInvoker`)."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from scripts.local.lambda_context import LocalLambdaContext

logger = logging.getLogger(__name__)

UNHANDLED = "Unhandled"

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
        return as_json_payload(returned)

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


def as_json_payload(returned: Any) -> InvocationResult:
    """Lambda serialises the return value to JSON; mirror that so callers see the same shape."""
    try:
        return InvocationResult(payload=json.loads(json.dumps(returned)))
    except (TypeError, ValueError) as exc:
        return InvocationResult.unhandled("Runtime.MarshalError", f"Unable to marshal response: {exc}")
