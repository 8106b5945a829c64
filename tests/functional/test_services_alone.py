"""What ships to AWS runs from a copy of services/ (+ model_bundles/) alone: both Lambda handlers and
`python -m services.forecaster serve` import and run with scripts/ and tests/ out of reach."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from scripts.local.bootstrap import bootstrap
from scripts.local.esm.events import (
    kinesis_event,
    kinesis_event_from_payloads,
    kinesis_event_record,
    stream_arn,
)
from scripts.local.forecaster_process import ForecasterProcess, free_port
from scripts.stores.forecasts import forecast_items
from scripts.stores.readings import hourly_rows, stream_records
from services.core.clients import AwsClients
from tests.readings import reading_dict
from tests.unit.test_forecaster_app import lstm_request

pytestmark = pytest.mark.functional
REPO = Path(__file__).resolve().parents[2]
HOURS = 50  # the sample LSTM reads 48 hours: hours 47 and 48 get forecasts; the 50th stays open

# Imports of the laptop tooling or the tests fail, whatever the installed environment would find.
ONLY_SERVICES = """
import importlib.abc, sys
class OnlyServices(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("scripts", "tests"):
            raise ImportError(f"{name} is not part of what ships (services/ + model_bundles/)")
        return None
sys.meta_path.insert(0, OnlyServices())
"""
RUN_HANDLER = (
    ONLY_SERVICES
    + """
import importlib, json, sys, time
module = importlib.import_module(sys.argv[1])
assert module.__file__.startswith(sys.argv[2]), module.__file__
class Context:
    function_name = sys.argv[1]
    aws_request_id = "copy-test"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:copy-test"
    memory_limit_in_mb = 1024
    def get_remaining_time_in_millis(self):
        return 60_000
print(json.dumps(module.lambda_handler(json.load(sys.stdin), Context())))
"""
)
SERVE = (
    ONLY_SERVICES
    + """
import runpy, sys
sys.argv = ["services.forecaster", "serve"]
runpy.run_module("services.forecaster", run_name="__main__")
"""
)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shipped")
    for folder in ("services", "model_bundles"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def run_handler(shipped: Path, module: str, event: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(shipped), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-c", RUN_HANDLER, module, str(shipped)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=shipped,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_both_lambda_handlers_run_from_the_copy(
    shipped: Path, aws: AwsClients, sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    bootstrap(aws, readings_shards=1)
    settings = aws.settings
    hourly_readings = [json.dumps(reading_dict("h1", hour * 60 + 30)).encode() for hour in range(HOURS)]
    ingest_event = kinesis_event_from_payloads([*hourly_readings, b"{not json"], partition_keys=["h1"] * 51)
    assert run_handler(shipped, "services.ingest.handler", ingest_event) == {"batchItemFailures": []}
    assert len(hourly_rows(aws, "h1")) == HOURS

    for target, bundle in (
        (settings.lstm_target_model, "lstm.tar.gz"),
        (settings.prophet_default_model, "prophet.tar.gz"),
    ):
        aws.s3.upload_file(str(sample_bundles[bundle]), settings.data_bucket, settings.models_prefix + target)
    closed = [record for _, record in stream_records(aws, settings.hourly_stream)]
    assert len(closed) == HOURS - 1
    preprocess_event = kinesis_event(
        kinesis_event_record(
            data=record["Data"],
            sequence_number=record["SequenceNumber"],
            partition_key=record["PartitionKey"],
            event_source_arn=stream_arn(settings.hourly_stream),
        )
        for record in closed
    )
    forecaster = ForecasterProcess(models_dir=tmp_path / "models", log=tmp_path / "forecaster.log")
    forecaster.start()
    try:
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = forecaster.url
        answer = run_handler(shipped, "services.preprocess.handler", preprocess_event)
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", None)
        forecaster.stop()
    assert answer == {"batchItemFailures": []}
    issued = sorted(item["issued_for"] for item in forecast_items(aws, "h1", "lstm"))
    assert issued == ["2010-01-03T00:00:00Z", "2010-01-03T01:00:00Z"]
    assert [item["as_of"] for item in forecast_items(aws, "h1", "month")] == ["2010-01-03", "2010-01-02"]


def test_the_forecaster_serves_from_the_copy(
    shipped: Path, sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(shipped),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "WATTCAST_FORECASTER_HOST": "127.0.0.1",
        "WATTCAST_FORECASTER_MODEL_DIR": str(sample_bundles["lstm"]),
        "WATTCAST_FORECASTER_WORKERS": "1",
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=shipped, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _healthy(url):
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            time.sleep(0.3)
        request = urllib.request.Request(
            f"{url}/invocations",
            data=json.dumps(lstm_request()).encode(),
            headers={"Content-Type": "application/json", "X-Amzn-SageMaker-Custom-Attributes": "trace=9"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert len(json.loads(response.read())["predictions"][0]["forecast"]) == 24
            assert response.headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=9"
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
        log.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
