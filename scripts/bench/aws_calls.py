"""Count the AWS calls the Lambda handlers make, for the benchmarks' "calls per 1,000 readings"."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from services.core.clients import get_clients

LAMBDA_SERVICES = ("kinesis", "s3", "dynamodb", "sqs", "sagemaker-runtime", "sns")


def count_calls(services: Iterable[str] = LAMBDA_SERVICES) -> Counter[str]:
    """A counter of "service.Operation" filled by every call the process's clients make from now on
    (the handlers share those clients; the local event source mappings use their own)."""
    calls: Counter[str] = Counter()
    clients = get_clients()
    for service in services:
        clients.client(service).meta.events.register(
            "before-call", lambda model, service=service, **_: calls.update([f"{service}.{model.name}"])
        )
    return calls


def count_calls_of(function_name: str, services: Iterable[str] = LAMBDA_SERVICES) -> Counter[str]:
    """Like count_calls, for the calls one function's handler makes: the local event source mapping
    invokes it on threads named after it (esm-<function>-<shard>)."""
    calls: Counter[str] = Counter()
    clients = get_clients()
    prefix = f"esm-{function_name}-"

    def record(model: Any, service: str, **_: Any) -> None:
        if threading.current_thread().name.startswith(prefix):
            calls.update([f"{service}.{model.name}"])

    for service in services:
        clients.client(service).meta.events.register(
            "before-call", lambda model, service=service, **kwargs: record(model, service, **kwargs)
        )
    return calls


def per_1000(
    calls: Counter[str], readings: int, digits: int = 2
) -> tuple[dict[str, float], dict[str, float]]:
    """(calls per 1,000 readings by service, by operation)."""
    by_service: Counter[str] = Counter()
    for name, count in calls.items():
        by_service[name.split(".")[0]] += count

    def scaled(counter: Counter[str]) -> dict[str, float]:
        return {k: round(v * 1000 / readings, digits) for k, v in sorted(counter.items())}

    return scaled(by_service), scaled(calls)
