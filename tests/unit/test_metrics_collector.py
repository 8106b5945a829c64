"""The local stack's metrics: the EMF lines of every process in one file, summarised for `stack status`."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local.metrics_collector import MetricsCollection, MetricSummary, collected, format_metrics
from scripts.local.stack_control import format_status
from services.core.emf import COPY_FILE_ENV, invocation_metrics
from services.core.metrics import API, FORECASTER, INGEST, PREPROCESS


@pytest.fixture
def collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[MetricsCollection]:
    collection = MetricsCollection(tmp_path)
    collection.start()
    yield collection
    collection.stop()
    capsys.readouterr()


def emit(service: str, **values: float | list[float]) -> None:
    with invocation_metrics(service) as metrics:
        for name, value in values.items():
            for one in value if isinstance(value, list) else [value]:
                metrics.add(name, one)


def test_counts_sums_and_latency_percentiles_per_metric_and_service(collection: MetricsCollection) -> None:
    emit(INGEST, ReadingsAccepted=100, HoursClosed=2)
    emit(INGEST, ReadingsAccepted=50, HoursClosed=0)
    emit(PREPROCESS, EndpointLatency=[float(ms) for ms in range(1, 101)])
    emit(FORECASTER, InvocationLatency=[30.0])
    summaries = {(s.service, s.name): s for s in collected(collection.path)}
    accepted = summaries[(INGEST, "ReadingsAccepted")]
    assert (accepted.count, accepted.total, accepted.p50) == (2, 150.0, None)
    assert summaries[(INGEST, "HoursClosed")].total == 2.0
    latency = summaries[(PREPROCESS, "EndpointLatency")]
    assert (latency.count, latency.total, latency.p50, latency.p95, latency.max) == (
        100,
        5050.0,
        50.0,
        95.0,
        100.0,
    )
    forecaster = summaries[(FORECASTER, "InvocationLatency")]
    assert (forecaster.p50, forecaster.p95, forecaster.max) == (30.0, 30.0, 30.0)


def test_rejected_readings_are_summarised_per_reason_too(collection: MetricsCollection) -> None:
    for reason, count in (("not_json", 2), ("out_of_range", 1), ("not_json", 3)):
        with invocation_metrics(INGEST) as metrics:
            metrics.add("ReadingsRejected", count)
            metrics.add("ReadingsRejected", count, reason=reason)
    rows = [(s.name, s.reason, s.count, s.total) for s in collected(collection.path)]
    assert rows == [
        ("ReadingsRejected", None, 3, 6.0),
        ("ReadingsRejected", "not_json", 2, 5.0),
        ("ReadingsRejected", "out_of_range", 1, 1.0),
    ]


def test_summaries_follow_the_services_and_metrics_order_of_the_registry(
    collection: MetricsCollection,
) -> None:
    emit(FORECASTER, ModelLoads=1)
    emit(API, ApiServerErrors=0)
    emit(INGEST, HoursClosed=1, ReadingsAccepted=1)
    assert [(s.service, s.name) for s in collected(collection.path)] == [
        (INGEST, "ReadingsAccepted"),
        (INGEST, "HoursClosed"),
        (API, "ApiServerErrors"),
        (FORECASTER, "ModelLoads"),
    ]


def test_lines_that_are_not_emf_documents_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    document = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Wattcast",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "AlertsRaised", "Unit": "Count"}],
                }
            ],
        },
        "service": "wattcast-alerts",
        "AlertsRaised": 4,  # one value, not an array: EMF allows both
    }
    log_line = json.dumps({"level": "INFO", "message": "not a metric"})
    line_being_written = json.dumps(document)[:40]
    path.write_text("\n".join([log_line, json.dumps(document), line_being_written]))
    (summary,) = collected(path)
    assert (summary.service, summary.name, summary.count, summary.total) == (
        "wattcast-alerts",
        "AlertsRaised",
        1,
        4.0,
    )
    assert collected(tmp_path / "absent.jsonl") == []


def test_a_collection_starts_from_an_empty_file_and_points_the_processes_at_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "metrics.jsonl").write_text("old stack's lines\n")
    collection = MetricsCollection(tmp_path)
    collection.start()
    assert os.environ[COPY_FILE_ENV] == str((tmp_path / "metrics.jsonl").resolve())
    assert collection.path.read_text() == ""
    collection.stop()
    assert COPY_FILE_ENV not in os.environ


def test_a_file_named_before_the_stack_starts_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine.jsonl"
    mine.write_text("kept\n")
    monkeypatch.setenv(COPY_FILE_ENV, str(mine))
    collection = MetricsCollection(tmp_path / "stack")
    collection.start()
    collection.stop()
    assert collection.path == mine and mine.read_text() == "kept\n"
    assert os.environ[COPY_FILE_ENV] == str(mine)


def summary(name: str, service: str, **fields: object) -> dict[str, object]:
    base = MetricSummary(service, name, "Count", None, count=1, total=0.0)
    return dataclasses.asdict(dataclasses.replace(base, **fields))  # type: ignore[arg-type]


def test_status_shows_each_metric_with_its_numbers() -> None:
    report = {
        "stack": {"pid": 42, "endpoint": "http://127.0.0.1:5000"},
        "emulator_reachable": True,
        "mappings": [],
        "metrics": [
            summary("ReadingsAccepted", INGEST, count=3, total=12_000.0),
            summary("ReadingsRejected", INGEST, reason="not_json", count=2, total=5.0),
            summary(
                "EventToForecastLatency",
                PREPROCESS,
                unit="Seconds",
                count=4,
                total=10.0,
                p50=2.5,
                p95=3.25,
                max=3.5,
            ),
        ],
    }
    lines = format_status(report).splitlines()
    assert lines[0] == "stack pid 42 on http://127.0.0.1:5000 (reachable: True)"
    assert lines[1].startswith("metrics")
    accepted, rejected, latency = lines[2:]
    assert accepted.split() == ["wattcast-ingest", "ReadingsAccepted", "3", "samples,", "sum", "12,000"]
    assert rejected.split() == [
        "wattcast-ingest",
        "ReadingsRejected[reason=not_json]",
        "2",
        "samples,",
        "sum",
        "5",
    ]
    assert latency.split() == [
        "wattcast-preprocess",
        "EventToForecastLatency",
        "4",
        "samples,",
        "sum",
        "10",
        "s;",
        "2.5",
        "/",
        "3.25",
        "/",
        "3.5",
        "s",
    ]


def test_status_says_when_nothing_was_emitted() -> None:
    assert format_metrics([]) == ["metrics: none emitted yet"]
