"""Run each built image once and check what it answers (`wattcast containers smoke`)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.devtools.containers import TOOLS, ContainersError, Image, image_exists, run_engine


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class Smoke:
    """A moto server on 127.0.0.1 with Wattcast's resources, sample bundles, and the images under test.

    Chain: forecaster (single model: /ping, /invocations, SIGTERM) -> ingest (a real Kinesis batch of
    50 hours of readings + a malformed record, writing to moto) -> preprocess (the hour-closed events
    ingest published, calling the forecaster-local image, compose's forecaster: the SageMaker image plus
    the local runtime path, in multi-model mode, fetching the bundles from S3).
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.checks: list[Check] = []
        self.endpoint = ""
        self._emulator: Any = None

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        return ok

    # ---- fixtures

    def start_moto(self) -> None:
        from scripts.local.bootstrap import bootstrap
        from scripts.local.emulator import MotoEmulator
        from services.core.clients import AwsClients, reset_clients
        from services.core.settings import Settings

        self._emulator = MotoEmulator()
        self.endpoint = self._emulator.start()
        os.environ.update({"AWS_ENDPOINT_URL": self.endpoint, **SMOKE_AWS_ENV})
        reset_clients()
        self.clients = AwsClients(Settings.from_env())
        bootstrap(self.clients, readings_shards=1)

    def stop(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()

    def bundles(self) -> dict[str, Path]:
        from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle
        from services.forecaster.bundles import unpack_bundle

        lstm = sample_lstm_bundle(self.work / "lstm.tar.gz")
        prophet = sample_prophet_bundle(self.work / "prophet.tar.gz")
        model_dir = unpack_bundle(lstm, self.work / "model", 10**9)
        subprocess.run(["chmod", "-R", "a+rX", str(self.work)], check=True)  # the images run as uid 10001
        return {"lstm": lstm, "prophet": prophet, "model_dir": model_dir}

    # ---- the images

    def forecaster_single(self, image: Image, model_dir: Path) -> None:
        import json

        from scripts.bench.forecaster import synthetic_lstm_request

        port = 8080 if _port_free(8080) else _free_port()
        name = f"wattcast-smoke-{image.name}"
        env = {"SAGEMAKER_BIND_TO_PORT": str(port)}
        with container(image, name, env, ["serve"], volumes=[f"{model_dir}:/opt/ml/model:ro"]):
            seconds = _wait_for_ping(port, 180)
            self.check(
                f"{image.name} /ping", seconds is not None, f"200 after {seconds or 0:.1f} s on :{port}"
            )
            if seconds is None:
                return
            status, body = _post(port, "/invocations", synthetic_lstm_request(2, 48))
            forecasts = [len(p["forecast"]) for p in json.loads(body)["predictions"]] if status == 200 else []
            self.check(
                f"{image.name} /invocations", forecasts == [24, 24], f"HTTP {status}, horizons {forecasts}"
            )
            stopped, code = _stop(name)
            self.check(
                f"{image.name} SIGTERM", code == 0 and stopped < 25, f"exit {code} after {stopped:.1f} s"
            )

    def ingest(self, image: Image | None) -> None:
        """Through the image, or in this process (to seed preprocess when ingest is not under test)."""
        from scripts.local.esm.invokers import InProcessInvoker
        from scripts.local.lambda_runtime_api import RuntimeApiInvoker

        event = ingest_event()
        if image is None:
            InProcessInvoker("services.ingest.handler.lambda_handler").invoke(
                event, function_name="wattcast-ingest", timeout_seconds=60
            )
            return
        with (
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-ingest", self._env(api)),
        ):
            started = time.monotonic()
            result = api.invoke(event, function_name="wattcast-ingest", timeout_seconds=120)
            elapsed = time.monotonic() - started
        ok = not result.failed and result.payload == {"batchItemFailures": []}
        self.check("ingest partial-batch response", ok, f"{result.payload} in {elapsed:.1f} s (cold)")
        stored = self._ingest_outputs()
        expected = {"raw objects": 1, "hourly rows": 50, "dead letters": 1, "hour-closed events": 49}
        self.check("ingest writes", stored == expected, str(stored))

    def preprocess(self, image: Image, forecaster: Image | None, bundles: dict[str, Path]) -> None:
        from scripts.local.lambda_runtime_api import RuntimeApiInvoker

        settings = self.clients.settings
        for target, archive in (("lstm/default.tar.gz", "lstm"), ("prophet/default.tar.gz", "prophet")):
            self.clients.s3.upload_file(
                str(bundles[archive]), settings.data_bucket, settings.models_prefix + target
            )
        event = self._hourly_event()
        port = _free_port()
        forecaster_env = {"SAGEMAKER_BIND_TO_PORT": str(port), "SAGEMAKER_MULTI_MODEL": "true"}
        forecaster_env.update({"AWS_ENDPOINT_URL": self.endpoint, **SMOKE_AWS_ENV})
        env_extra = {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://127.0.0.1:{port}"}
        assert forecaster is not None, "the preprocess smoke needs the forecaster-local image"
        with (
            container(forecaster, "wattcast-smoke-forecaster-mme", forecaster_env, ["serve"]),
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-preprocess", {**self._env(api), **env_extra}),
        ):
            _wait_for_ping(port, 180)
            started = time.monotonic()
            result = api.invoke(event, function_name="wattcast-preprocess", timeout_seconds=120)
            elapsed = time.monotonic() - started
        ok = not result.failed and result.payload == {"batchItemFailures": []}
        records = len(event["Records"])
        self.check(
            "preprocess partial-batch response",
            ok,
            f"{records} records -> {result.payload} in {elapsed:.1f} s",
        )
        items = self.clients.dynamodb.scan(TableName=settings.forecasts_table)["Items"]
        kinds = sorted({item["forecast_key"]["S"].split("#")[0] for item in items})
        self.check("preprocess stored forecasts", len(items) >= 3, f"{len(items)} items, kinds {kinds}")

    def portal(self, image: Image) -> None:
        """The API function in the portal image: household h1's hours (the ingest smoke stored 50) and
        a summary of a household with nothing stored (404), as API Gateway's events."""
        from scripts.local.gateway.http_api import http_api_event
        from scripts.local.lambda_runtime_api import RuntimeApiInvoker

        claims = {"sub": "smoke", "cognito:groups": ["operators"]}
        hours = "/households/h1/hours"
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": hours,
            "QUERY_STRING": "from=2010-01-01T00:00Z&to=2010-01-04T00:00Z",
        }
        missing = {"REQUEST_METHOD": "GET", "PATH_INFO": "/households/nobody/summary", "QUERY_STRING": ""}
        home = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": ""}
        with (
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-portal", self._env(api)),
        ):
            started = time.monotonic()
            answer = api.invoke(
                http_api_event(environ, b"", claims), function_name="wattcast-portal", timeout_seconds=120
            )
            elapsed = time.monotonic() - started
            absent = api.invoke(
                http_api_event(missing, b"", claims), function_name="wattcast-portal", timeout_seconds=60
            )
            page = api.invoke(
                http_api_event(home, b"", None), function_name="wattcast-portal", timeout_seconds=60
            )
        payload = answer.payload if isinstance(answer.payload, dict) else {}
        body = json.loads(payload.get("body") or "{}")
        count = len(body.get("hours", []))
        self.check(
            "portal hours",
            payload.get("statusCode") == 200 and count == 50,
            f"{count} hours in {elapsed:.1f} s (cold)",
        )
        status = (
            absent.payload.get("statusCode") if isinstance(absent.payload, dict) else absent.describe_error()
        )
        self.check("portal 404 for a household with nothing stored", status == 404, str(status))
        shown = page.payload if isinstance(page.payload, dict) else {}
        self.check(
            "portal serves the household's page",
            shown.get("statusCode") == 200 and "/app/app.js" in str(shown.get("body")),
            f"{shown.get('statusCode')}, {len(str(shown.get('body')))} characters",
        )
        self.statements(image)

    def statements(self, image: Image) -> None:
        """The statements function in the portal image (matplotlib, fpdf2, a read-only home): h1's
        January statement, written to S3."""
        from scripts.local.lambda_runtime_api import RuntimeApiInvoker

        settings = self.clients.settings
        handler = ["services.portal.statement_handler.statements_handler"]
        with (
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-statements", self._env(api), args=handler),
        ):
            started = time.monotonic()
            result = api.invoke(
                {"month": "2010-01", "household_id": "h1"},
                function_name="wattcast-statements",
                timeout_seconds=120,
            )
            elapsed = time.monotonic() - started
        key = f"{settings.statements_prefix}h1/2010-01.pdf"
        stored = self.clients.s3.list_objects_v2(Bucket=settings.data_bucket, Prefix=key).get("KeyCount", 0)
        self.check(
            "statements function wrote h1's January",
            result.payload == {"month": "2010-01", "written": 1, "nothing_stored": []} and stored == 1,
            f"{result.payload if not result.failed else result.describe_error()} in {elapsed:.1f} s (cold)",
        )

    def accuracy(self, image: Image) -> None:
        """The accuracy image: the ingest smoke's hours, each forecast an hour before at 1 kW, scored
        from hour_forecasted events; then the same image's fleet drift sweep."""
        from scripts.local.esm.events import kinesis_event, kinesis_event_record
        from scripts.local.lambda_runtime_api import RuntimeApiInvoker
        from scripts.stores.readings import hourly_rows
        from services.core.bundle_format import metadata_sidecar
        from services.core.hour_closed import HOUR_FORECASTED, HourClosedEvent, encode_event
        from services.core.items import to_item
        from services.core.reading import format_ts

        settings = self.clients.settings
        hours = [row.hour for row in hourly_rows(self.clients, "h1")]
        records = []
        for number, hour in enumerate(hours, start=1):
            key, first = f"lstm#{format_ts(hour)}", format_ts(hour)
            forecast = {"household_id": "h1", "forecast_key": key, "issued_for": first,
                        "kw": [1.0] * 24, "model": settings.lstm_target_model}  # fmt: skip
            self.clients.dynamodb.put_item(TableName=settings.forecasts_table, Item=to_item(forecast))
            data = encode_event(
                HOUR_FORECASTED, HourClosedEvent("h1", hour, str(number), 0.0, day_closed=True)
            )
            records.append(kinesis_event_record(data=data, sequence_number=str(number), partition_key="h1"))
        metadata = {"metrics": {"rmse_by_lead_kw": [0.5] * 24}}  # the model's test error, beside its bundle
        sidecar = settings.models_prefix + metadata_sidecar(settings.lstm_target_model)
        self.clients.s3.put_object(
            Bucket=settings.data_bucket, Key=sidecar, Body=json.dumps(metadata).encode()
        )
        sweep = ["services.accuracy.handler.sweep_handler"]
        with (
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-accuracy", self._env(api)),
        ):
            started = time.monotonic()
            result = api.invoke(
                kinesis_event(records), function_name="wattcast-accuracy", timeout_seconds=120
            )
            elapsed = time.monotonic() - started
        with (
            RuntimeApiInvoker("127.0.0.1", 0) as api,
            container(image, "wattcast-smoke-accuracy-sweep", self._env(api), args=sweep),
        ):
            swept = api.invoke({"sweep": "drift"}, function_name="wattcast-accuracy", timeout_seconds=120)
        scored = self.clients.dynamodb.scan(TableName=settings.accuracy_table)["Items"]
        hour_items = sum(1 for item in scored if item["score_key"]["S"].startswith("hour#"))
        self.check(
            "accuracy scored the hours",
            result.payload == {"batchItemFailures": []} and hour_items == len(hours),
            f"{len(records)} events -> {hour_items} scored hours in {elapsed:.1f} s (cold)",
        )
        self.check(
            "accuracy's drift sweep",
            isinstance(swept.payload, dict) and swept.payload.get("households") == 1,
            str(swept.payload if not swept.failed else swept.describe_error()),
        )

    # ---- helpers

    def _env(self, api: Any) -> dict[str, str]:
        return {"AWS_LAMBDA_RUNTIME_API": api.address, "AWS_ENDPOINT_URL": self.endpoint, **SMOKE_AWS_ENV}

    def _ingest_outputs(self) -> dict[str, int]:
        settings = self.clients.settings
        objects = self.clients.s3.list_objects_v2(Bucket=settings.data_bucket, Prefix=settings.raw_prefix)
        rows = self.clients.dynamodb.scan(TableName=settings.hourly_table, Select="COUNT")["Count"]
        queue = self.clients.sqs.get_queue_url(QueueName=settings.dead_letter_queue)["QueueUrl"]
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return {
            "raw objects": objects.get("KeyCount", 0),
            "hourly rows": rows,
            "dead letters": int(attributes["ApproximateNumberOfMessages"]),
            "hour-closed events": len(self._hourly_event()["Records"]),
        }

    def _hourly_event(self) -> dict[str, Any]:
        from scripts.local.esm.events import kinesis_event, kinesis_event_record, stream_arn

        kinesis = self.clients.kinesis
        stream = self.clients.settings.hourly_stream
        records = []
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for record in kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]:
                records.append(
                    kinesis_event_record(
                        data=record["Data"],
                        sequence_number=record["SequenceNumber"],
                        partition_key=record["PartitionKey"],
                        shard_id=shard["ShardId"],
                        event_source_arn=stream_arn(stream),
                        approximate_arrival=record["ApproximateArrivalTimestamp"],
                    )
                )
        return kinesis_event(records)


def ingest_event() -> dict[str, Any]:
    """50 hours of one household in arrays of 500 readings, and one malformed record."""
    from scripts.local.esm.events import kinesis_event_from_payloads

    payloads = [*readings_payloads("h1", hours=50, per_record=500), b'{"household_id": "h1", "ts": 5}']
    return kinesis_event_from_payloads(payloads, partition_keys=["h1"] * len(payloads))


SINGLE_MODEL_IMAGES = ("forecaster", "forecaster-slim")  # the SageMaker images, run on one bundle
SMOKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def readings_payloads(household: str, *, hours: int, per_record: int) -> list[bytes]:
    """Minute readings from 2010-01-01 00:00 UTC, as JSON arrays of `per_record` readings."""
    import json
    import math
    from datetime import UTC, datetime, timedelta

    from services.core.reading import format_ts

    start = datetime(2010, 1, 1, tzinfo=UTC)
    readings = [
        {
            "household_id": household,
            "ts": format_ts(start + timedelta(minutes=minute)),
            "global_active_power": round(1.2 + math.sin(minute / 240), 3),
            "global_reactive_power": 0.1,
            "voltage": 240.0,
            "global_intensity": 5.0,
            "sub_metering_1": 0.0,
            "sub_metering_2": 1.0,
            "sub_metering_3": float(minute % 19),
        }
        for minute in range(hours * 60)
    ]
    return [json.dumps(readings[i : i + per_record]).encode() for i in range(0, len(readings), per_record)]


@contextmanager
def container(
    image: Image,
    name: str,
    env: dict[str, str],
    args: list[str] | None = None,
    volumes: list[str] | None = None,
) -> Iterator[str]:
    """Run `image` detached on the host network; its log is kept in .tools/containers/logs/."""
    run_engine("rm", "-f", name, capture=True, check=False)
    options = [f"--env={key}={value}" for key, value in env.items()]
    options += [f"--volume={volume}" for volume in volumes or []]
    run_engine(
        "run", "-d", "--network=host", f"--name={name}", *options, image.tag, *(args or []), capture=True
    )
    try:
        yield name
    finally:
        logs = run_engine("logs", name, capture=True, check=False)
        (TOOLS / "logs").mkdir(parents=True, exist_ok=True)
        (TOOLS / "logs" / f"{name}.log").write_text(logs.stdout + logs.stderr)
        run_engine("rm", "-f", "-t", "5", name, capture=True, check=False)


def _stop(name: str) -> tuple[float, int]:
    """SIGTERM the container (SIGKILL after 30 s); returns (seconds, exit code)."""
    started = time.monotonic()
    run_engine("stop", "-t", "30", name, capture=True)
    code = run_engine("inspect", "--format", "{{.State.ExitCode}}", name, capture=True).stdout.strip()
    return time.monotonic() - started, int(code)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_for_ping(port: int, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).status == 200:
                return time.monotonic() - started
        time.sleep(0.5)
    return None


def _post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_smoke(images: list[Image]) -> list[Check]:
    by_name = {image.name: image for image in images}
    for image in images:
        if not image_exists(image.tag):
            raise ContainersError(f"{image.tag} is not built: wattcast containers build {image.name}")
    with tempfile.TemporaryDirectory(prefix="wattcast-smoke-") as work:
        smoke = Smoke(Path(work))
        try:
            smoke.start_moto()
            single = [by_name[n] for n in SINGLE_MODEL_IMAGES if n in by_name]
            bundles = smoke.bundles() if single or "preprocess" in by_name else {}
            for image in single:
                smoke.forecaster_single(image, bundles["model_dir"])
            if {"ingest", "preprocess", "portal", "accuracy"} & set(by_name):
                smoke.ingest(by_name.get("ingest"))
            if "portal" in by_name:
                smoke.portal(by_name["portal"])
            if "accuracy" in by_name:
                smoke.accuracy(by_name["accuracy"])
            if "preprocess" in by_name:
                smoke.preprocess(by_name["preprocess"], by_name.get("forecaster-local"), bundles)
        finally:
            smoke.stop()
    return smoke.checks
