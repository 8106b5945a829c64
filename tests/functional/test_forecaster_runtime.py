"""The forecaster over real HTTP on 127.0.0.1: boto3 `sagemaker-runtime` against the runtime API
path (target models fetched from S3 on moto), and `wattcast serve` under gunicorn."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from scripts.local.forecaster_process import ForecasterProcess
from scripts.local.sagemaker_runtime import create_local_app as create_app
from services.core.clients import AwsClients
from services.core.settings import Settings
from tests.bundle_fixtures import tar_of, with_inference
from tests.unit.test_forecaster_app import lstm_request, prophet_request

pytestmark = pytest.mark.functional
ENDPOINT = "wattcast-forecaster"


@pytest.fixture
def runtime(
    aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """A multi-model server on loopback; boto3's sagemaker-runtime points at it, S3 at moto."""
    settings = aws.settings
    aws.s3.create_bucket(Bucket=settings.data_bucket)
    for key, name in (("prophet/h1.tar.gz", "prophet.tar.gz"), ("lstm/1.tar.gz", "lstm.tar.gz")):
        aws.s3.upload_file(str(sample_bundles[name]), settings.data_bucket, settings.models_prefix + key)
    app = create_app(settings.replace(forecaster_models_dir=tmp_path / "models"), multi_model=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", f"http://127.0.0.1:{server.server_port}")
    yield AwsClients(Settings.from_env()).client("sagemaker-runtime")
    server.shutdown()


def invoke_json(runtime: Any, target: str, body: dict[str, Any], **extra: Any) -> Any:
    return runtime.invoke_endpoint(
        EndpointName=ENDPOINT,
        TargetModel=target,
        ContentType="application/json",
        Body=json.dumps(body),
        **extra,
    )


def test_boto3_invokes_target_models_fetched_from_s3(runtime) -> None:
    lstm = invoke_json(runtime, "lstm/1.tar.gz", lstm_request(), CustomAttributes="trace=7")
    assert lstm["ContentType"] == "application/json"
    assert lstm["InvokedProductionVariant"] == "AllTraffic"
    assert lstm["CustomAttributes"] == "trace=7"  # echoed: the seed's own example reads it
    assert len(json.loads(lstm["Body"].read())["predictions"][0]["forecast"]) == 24
    prophet = invoke_json(runtime, "prophet/h1.tar.gz", prophet_request())
    assert json.loads(prophet["Body"].read())["month"] == "2010-02"


def test_a_models_own_failure_is_a_model_error_with_its_message(runtime) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(
            EndpointName=ENDPOINT,
            TargetModel="prophet/h1.tar.gz",
            ContentType="application/json",
            Body=json.dumps({"household_id": "h1", "as_of": "later"}),
        )
    error = raised.value.response
    assert error["OriginalStatusCode"] == 400
    assert "as_of" in json.loads(error["OriginalMessage"])["message"]


def test_an_unsupported_content_type_is_the_containers_415_as_a_model_error(runtime) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(
            EndpointName=ENDPOINT, TargetModel="lstm/1.tar.gz", ContentType="text/csv", Body=b"1,2"
        )
    assert raised.value.response["OriginalStatusCode"] == 415


@pytest.mark.parametrize(
    ("endpoint", "target", "words"),
    [
        (ENDPOINT, "prophet/missing.tar.gz", "Failed to download model data"),
        (ENDPOINT, "../escape.tar.gz", "is not a relative S3 key"),
        ("another-endpoint", "lstm/1.tar.gz", "Endpoint another-endpoint not found"),
    ],
)
def test_bad_calls_are_validation_errors(runtime, endpoint, target, words) -> None:
    with pytest.raises(runtime.exceptions.ValidationError, match=words):
        runtime.invoke_endpoint(
            EndpointName=endpoint, TargetModel=target, ContentType="application/json", Body=b"{}"
        )


def test_wattcast_serve_answers_ping_fast_and_stops_on_sigterm(sample_bundles: dict[str, Path]) -> None:
    server = ForecasterProcess(model_dir=sample_bundles["lstm"], workers=2)
    server.start()  # returns once /ping answers 200
    try:
        started = time.monotonic()
        with urllib.request.urlopen(f"{server.url}/ping", timeout=2) as response:
            assert response.status == 200
        assert time.monotonic() - started < 2.0
        request = urllib.request.Request(
            f"{server.url}/invocations",
            data=json.dumps(lstm_request()).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert len(json.loads(response.read())["predictions"][0]["forecast"]) == 24
    finally:
        assert server.stop() == 0  # SIGTERM: gunicorn stops gracefully


def test_a_bundle_bug_is_a_model_error_with_status_500(
    runtime, aws: AwsClients, tmp_path: Path, sample_bundles: dict[str, Path]
) -> None:
    bundle = with_inference(
        sample_bundles["prophet"], tmp_path / "buggy", "def handler(data, context):\n    return {}['x']\n"
    )
    key = aws.settings.models_prefix + "prophet/buggy.tar.gz"
    aws.s3.upload_file(str(tar_of(bundle, tmp_path / "buggy.tar.gz")), aws.settings.data_bucket, key)
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke_json(runtime, "prophet/buggy.tar.gz", prophet_request())
    assert raised.value.response["OriginalStatusCode"] == 500
    assert "KeyError" in json.loads(raised.value.response["OriginalMessage"])["message"]
