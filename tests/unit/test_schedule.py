"""The local EventBridge schedule invokes its function with Scheduled Events until stopped."""

from __future__ import annotations

import time
from typing import Any

from scripts.local.esm.invokers import InvocationResult
from scripts.local.schedule import Schedule

RULE = "arn:aws:events:eu-west-1:123456789012:rule/wattcast-alerts-sweep"


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        self.events.append(event)
        return InvocationResult(payload={"raised": 0})


def test_the_function_gets_a_scheduled_event_each_interval_until_stopped() -> None:
    recorder = Recorder()
    schedule = Schedule(
        recorder, function_name="wattcast-alerts", rule_arn=RULE, interval_seconds=0.05, timeout_seconds=1
    )
    schedule.start()
    deadline = time.monotonic() + 5
    while len(recorder.events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    schedule.stop()
    stopped_at = len(recorder.events)
    time.sleep(0.15)
    assert stopped_at >= 3 and len(recorder.events) == stopped_at == schedule.invocations
    event = recorder.events[0]
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
    assert (
        event["resources"] == [RULE] and event["region"] == "eu-west-1" and event["account"] == "123456789012"
    )
    assert "Records" not in event  # what the alerts handler reads as the sweep
