"""The embedded stack collects the metrics of every function it runs in-process and of the forecaster
process, and `wattcast stack status` shows them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scripts.local.metrics_collector import collected, metrics_file
from scripts.local.stack_control import format_status
from services.core.clients import AwsClients
from services.core.metrics import FORECASTER, INGEST, PREPROCESS
from tests.functional.test_pipeline_e2e import send, start_pipeline

pytestmark = pytest.mark.functional


def test_a_replay_shows_up_in_the_stack_status(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = start_pipeline(sample_bundles, tmp_path, monkeypatch)
    try:
        send(stack, "2010-01-04", days=2.5)  # hours 0..59 of 3 households; 0..58 close; forecasts 47..58
    finally:
        stack.stop()
    summaries = {(s.service, s.name, s.reason): s for s in collected(metrics_file(tmp_path / "stack"))}
    assert summaries[(INGEST, "ReadingsAccepted", None)].total == 3 * 60 * 60
    assert summaries[(INGEST, "HoursClosed", None)].total == 3 * 59
    assert summaries[(INGEST, "ReadingsRejected", None)].total == 0
    assert summaries[(PREPROCESS, "ForecastsStored", None)].total == 3 * 12
    latency = summaries[(PREPROCESS, "EventToForecastLatency", None)]
    assert latency.count == 3 * 12 and latency.max is not None and 0 < latency.max < 300
    assert summaries[(PREPROCESS, "EndpointErrors", None)].total == 0
    assert summaries[(FORECASTER, "ModelLoads", None)].total >= 2  # the LSTM and the default Prophet
    assert summaries[(FORECASTER, "InvocationLatency", None)].count >= 1

    report = {
        "stack": {"pid": 1, "endpoint": "http://127.0.0.1:1"},
        "emulator_reachable": False,
        "mappings": [],
        "metrics": [dataclasses.asdict(s) for s in summaries.values()],
    }
    shown = format_status(report)
    assert "wattcast-preprocess  EventToForecastLatency" in shown
    assert "wattcast-forecaster  ModelLoads" in shown
