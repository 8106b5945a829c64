"""EventBridge's scheduled rule on the laptop: a thread that invokes a function with a
`Scheduled Event` every interval (the silent-meter sweep), as the rule in Terraform does on AWS."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from scripts.local.esm.invokers import Invoker

logger = logging.getLogger(__name__)


def scheduled_event(rule_arn: str, now: float | None = None) -> dict[str, Any]:
    instant = time.gmtime(time.time() if now is None else now)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule_arn.split(":")[4],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", instant),
        "region": rule_arn.split(":")[3],
        "resources": [rule_arn],
        "detail": {},
    }


class Schedule:
    def __init__(
        self,
        invoker: Invoker,
        *,
        function_name: str,
        rule_arn: str,
        interval_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._invoker = invoker
        self._function_name = function_name
        self._rule_arn = rule_arn
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.invocations = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"schedule-{self._function_name}", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            result = self._invoker.invoke(
                scheduled_event(self._rule_arn),
                function_name=self._function_name,
                timeout_seconds=self._timeout,
            )
            self.invocations += 1
            if result.failed:
                logger.warning("scheduled %s failed: %s", self._function_name, result.describe_error())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 5)
            self._thread = None
