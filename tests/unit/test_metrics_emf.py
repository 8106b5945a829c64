"""services.core.emf: the EMF lines of one invocation, as CloudWatch (and Powertools) define them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from services.core.emf import COPY_FILE_ENV, ServiceMetrics, invocation_metrics
from services.core.metrics import ALERTS, FORECASTER, INGEST, PREPROCESS
from tests.emf_lines import emf_documents, metric_values


def test_one_flush_prints_one_document_with_names_units_namespace_and_the_service(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = ServiceMetrics(PREPROCESS)
    metrics.add("ForecastsStored", 3)
    metrics.add("EndpointLatency", 120.5)
    metrics.add("EndpointLatency", 80)
    metrics.flush()
    (line,) = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    assert document["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "Wattcast",
            "Dimensions": [["service"]],
            "Metrics": [
                {"Name": "ForecastsStored", "Unit": "Count"},
                {"Name": "EndpointLatency", "Unit": "Milliseconds"},
            ],
        }
    ]
    assert isinstance(document["_aws"]["Timestamp"], int)
    assert document["service"] == PREPROCESS
    assert document["ForecastsStored"] == [3.0]
    assert document["EndpointLatency"] == [120.5, 80.0]


def test_an_extra_dimension_goes_in_its_own_document(capsys: pytest.CaptureFixture[str]) -> None:
    with invocation_metrics(INGEST) as metrics:
        metrics.add("ReadingsRejected", 3)
        metrics.add("ReadingsRejected", 2, reason="bad_voltage")
        metrics.add("ReadingsRejected", 1, reason="not_json")
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 3
    assert metric_values(documents, service=INGEST) == {"ReadingsRejected": [3.0]}
    assert metric_values(documents, service=INGEST, reason="bad_voltage") == {"ReadingsRejected": [2.0]}
    assert metric_values(documents, service=INGEST, reason="not_json") == {"ReadingsRejected": [1.0]}
    reasons = [d for d in documents if "reason" in d]
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "reason"]] for d in reasons)


def test_more_than_100_values_of_a_metric_are_split_across_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = ServiceMetrics(PREPROCESS)
    for i in range(250):
        metrics.add("EventToForecastLatency", i)
    metrics.add("ForecastsStored", 250)
    metrics.flush()
    documents = emf_documents(capsys.readouterr().out)
    assert [len(d["EventToForecastLatency"]) for d in documents] == [100, 100, 50]
    assert [d.get("ForecastsStored") for d in documents] == [[250.0], None, None]
    assert [n["Name"] for n in documents[1]["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == [
        "EventToForecastLatency"
    ]
    assert metric_values(documents, service=PREPROCESS)["EventToForecastLatency"] == [
        float(i) for i in range(250)
    ]


def test_the_lines_are_those_powertools_serialises() -> None:
    metrics = ServiceMetrics(INGEST, namespace="Test")
    metrics.add("ReadingsAccepted", 7)
    metrics.add("HoursClosed", 2)
    metrics.add("ReadingsRejected", 1, reason="future_timestamp")
    ours = metrics.documents(timestamp_ms=1_700_000_000_000)
    expected = []
    for dimensions, named in (
        ({"service": INGEST}, {"ReadingsAccepted": ("Count", 7.0), "HoursClosed": ("Count", 2.0)}),
        ({"service": INGEST, "reason": "future_timestamp"}, {"ReadingsRejected": ("Count", 1.0)}),
    ):
        provider = AmazonCloudWatchEMFProvider(namespace="Test")
        provider.timestamp = 1_700_000_000_000
        metric_set = {
            n: {"Unit": unit, "StorageResolution": 60, "Value": [v]} for n, (unit, v) in named.items()
        }
        expected.append(provider.serialize_metric_set(metrics=metric_set, dimensions=dimensions, metadata={}))
    assert ours == expected


def test_a_flush_is_idempotent_and_an_empty_one_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = ServiceMetrics(ALERTS)
    metrics.flush()
    assert capsys.readouterr().out == ""
    metrics.add("AlertsRaised", 1)
    metrics.flush()
    metrics.flush()
    assert len(emf_documents(capsys.readouterr().out)) == 1


def test_the_metrics_are_flushed_when_the_body_raises(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), invocation_metrics(ALERTS) as metrics:
        metrics.add("AlertsRaised", 2)
        raise RuntimeError("boom")
    assert metric_values(emf_documents(capsys.readouterr().out), service=ALERTS) == {"AlertsRaised": [2.0]}


def test_names_nobody_owns_and_the_service_dimension_are_refused() -> None:
    metrics = ServiceMetrics(INGEST)
    with pytest.raises(KeyError):
        metrics.add("ReadingsAcepted", 1)
    with pytest.raises(ValueError, match="service"):
        metrics.add("ReadingsAccepted", 1, service="other")


def test_a_value_that_is_not_finite_is_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    with invocation_metrics(PREPROCESS) as metrics:
        metrics.add("EndpointLatency", float("nan"))
        metrics.add("EndpointLatency", 5)
    (document,) = emf_documents(capsys.readouterr().out)
    assert document["EndpointLatency"] == [5.0]


def test_concurrent_invocations_of_different_services_never_mix(capsys: pytest.CaptureFixture[str]) -> None:
    services = {INGEST: "ReadingsAccepted", PREPROCESS: "ForecastsStored", FORECASTER: "ModelLoads"}
    start = threading.Barrier(len(services) * 4)

    def invocation(service: str, number: int) -> None:
        with invocation_metrics(service) as metrics:
            start.wait()
            for i in range(150):
                metrics.add(services[service], number * 1000 + i)

    threads = [
        threading.Thread(target=invocation, args=(service, number))
        for service in services
        for number in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == len(threads) * 2  # 150 values: 100 + 50
    for service, name in services.items():
        values = metric_values(documents, service=service)
        assert list(values) == [name]
        assert sorted(values[name]) == sorted(float(n * 1000 + i) for n in range(4) for i in range(150))


def test_under_the_local_stack_the_lines_go_to_its_metrics_file_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "metrics.jsonl"
    monkeypatch.setenv(COPY_FILE_ENV, str(copy))
    for count in (1, 2):
        with invocation_metrics(ALERTS) as metrics:
            metrics.add("AlertsRaised", count)
    assert capsys.readouterr().out == ""  # a command's own output (bench JSON) stays clean
    assert [d["AlertsRaised"] for d in emf_documents(copy.read_text())] == [[1.0], [2.0]]


def test_an_unwritable_copy_file_never_fails_the_invocation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(COPY_FILE_ENV, str(tmp_path / "missing" / "metrics.jsonl"))
    with invocation_metrics(ALERTS) as metrics:
        metrics.add("AlertsRaised", 1)
    assert len(emf_documents(capsys.readouterr().out)) == 1
