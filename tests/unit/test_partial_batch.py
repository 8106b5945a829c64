import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.lambda_context import LocalLambdaContext
from services.core.partial_batch import partial_batch_response


def event_of(first: int, count: int) -> dict[str, Any]:
    return kinesis_event_from_payloads([b"{}"] * count, first_sequence=first)


def test_failed_records_are_reported_by_sequence_number() -> None:
    response = partial_batch_response(event_of(10, 5), {"11", "13"}, LocalLambdaContext("f"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "11"}, {"itemIdentifier": "13"}]}


def test_a_batch_without_failures_and_an_empty_batch_report_none() -> None:
    assert partial_batch_response(event_of(10, 3), set(), LocalLambdaContext("f")) == {
        "batchItemFailures": []
    }
    assert partial_batch_response({"Records": []}, set(), LocalLambdaContext("f")) == {
        "batchItemFailures": []
    }


def test_concurrent_batches_do_not_mix_their_failures() -> None:
    """The embedded stack calls a handler from one thread per shard at the same time."""

    def run(shard: int) -> list[str]:
        first = shard * 10_000
        response = partial_batch_response(event_of(first, 2000), {str(first + 7)}, LocalLambdaContext("f"))
        return [item["itemIdentifier"] for item in response["batchItemFailures"]]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so the batches really interleave
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(run, range(40)))
    finally:
        sys.setswitchinterval(interval)
    assert results == [[str(shard * 10_000 + 7)] for shard in range(40)]
