"""Build and smoke-run Wattcast's images with podman (or a running Docker engine).

`python -m scripts.devtools.containers base`  debootstrap a Debian bookworm base with python3 (for hosts
                                     that cannot pull images), imported as localhost/wattcast-base:bookworm
`python -m scripts.devtools.containers build` build every image from docker/ (`--base` picks the base image)
`python -m scripts.devtools.containers smoke` run each image once and check what it answers

Podman is configured through a project-local containers.conf (runc, raised ulimits, host network),
unless CONTAINERS_CONF is set already.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "containers"
BASE_TAG = "localhost/wattcast-base:bookworm"
DEFAULT_BASE = "python:3.11-slim-bookworm"  # the Dockerfiles' own default
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
netns = "host"

[engine]
runtime = "runc"
"""


@dataclass(frozen=True)
class Image:
    name: str
    dockerfile: Path
    needs: Path  # the image is built only when this source file exists

    @property
    def tag(self) -> str:
        return f"localhost/wattcast-{self.name}:dev"


IMAGES = (
    Image("ingest", REPO / "docker/ingest.Dockerfile", REPO / "services/ingest/handler.py"),
    Image("preprocess", REPO / "docker/preprocess.Dockerfile", REPO / "services/preprocess/handler.py"),
    Image("forecaster", REPO / "docker/forecaster.Dockerfile", REPO / "services/forecaster/serve.py"),
)


class ContainersError(RuntimeError):
    """The container engine is missing or a build or run failed."""


# ---- the engine -----------------------------------------------------------------------------------


def engine() -> str | None:
    """podman if installed, else docker if its daemon answers, else None."""
    podman = shutil.which("podman")
    if podman:
        return podman
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0:
        return docker
    return None


def engine_env() -> dict[str, str]:
    """The environment for engine commands: podman reads the project's containers.conf."""
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env:
        conf = TOOLS / "containers.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        if not conf.exists() or conf.read_text() != CONTAINERS_CONF:
            conf.write_text(CONTAINERS_CONF)
        env["CONTAINERS_CONF"] = str(conf)
    return env


def require_engine() -> str:
    found = engine()
    if found is None:
        raise ContainersError("no container engine: install podman (apt-get install podman runc) or Docker")
    return found


def run_engine(*args: str, capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [require_engine(), *args]
    result = subprocess.run(command, env=engine_env(), text=True, capture_output=capture, check=False)
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:]
        raise ContainersError(f"`{' '.join(command[:4])} ...` exited {result.returncode}: {detail}")
    return result


def image_exists(tag: str) -> bool:
    return run_engine("image", "exists", tag, check=False).returncode == 0


def image_size_mb(tag: str) -> float:
    size = run_engine("image", "inspect", "--format", "{{.Size}}", tag, capture=True).stdout
    return int(size.strip()) / 1e6


# ---- base: a debootstrapped bookworm with python3 -------------------------------------------------


def make_base(tag: str = BASE_TAG, mirror: str = DEBIAN_MIRROR, suite: str = "bookworm") -> float:
    """Debootstrap `suite` (minbase + python3, venv, CA certificates) and import it; returns seconds."""
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise ContainersError(f"{tool} is needed for the base image (apt-get install debootstrap)")
    started = time.monotonic()
    root = TOOLS / f"rootfs-{suite}"
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    include = "--include=" + ",".join(BASE_PACKAGES)
    subprocess.run(["debootstrap", "--variant=minbase", include, suite, str(root), mirror], check=True)
    trust_host_cas(root)
    for leftover in ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "var/log"):
        shutil.rmtree(root / leftover, ignore_errors=True)
        (root / leftover).mkdir(parents=True, exist_ok=True)
    archive = TOOLS / f"rootfs-{suite}.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(archive), "."], check=True)
    changes = [
        "ENV LANG=C.UTF-8",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        # Debian's pip trusts only its own certifi bundle; point it at the system's (with the host CAs).
        "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        'CMD ["/bin/bash"]',
    ]
    run_engine("import", *(arg for change in changes for arg in ("--change", change)), str(archive), tag)
    archive.unlink()
    shutil.rmtree(root, ignore_errors=True)
    return time.monotonic() - started


def trust_host_cas(root: Path) -> list[str]:
    """Copy the host's extra CA certificates into the root file system and rebuild its bundle."""
    target = root / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    copied = [path.name for path in sorted(HOST_CA_DIR.glob("*.crt"))]
    for name in copied:
        shutil.copy2(HOST_CA_DIR / name, target / name)
    if not copied and HOST_CA_BUNDLE.exists():  # no extra CAs listed: trust the host's whole bundle
        shutil.copy2(HOST_CA_BUNDLE, target / "host-bundle.crt")
        copied = ["host-bundle.crt"]
    subprocess.run(["chroot", str(root), "update-ca-certificates"], check=True, capture_output=True)
    return copied


# ---- build ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    image: Image
    seconds: float
    size_mb: float


def build(images: list[Image], base: str, *, no_cache: bool = False) -> list[Built]:
    built = []
    for image in images:
        started = time.monotonic()
        run_engine(
            "build",
            "--network=host",
            *(["--no-cache"] if no_cache else []),
            "--build-arg",
            f"BASE_IMAGE={base}",
            "-f",
            str(image.dockerfile),
            "-t",
            image.tag,
            str(REPO),
        )
        built.append(Built(image, time.monotonic() - started, image_size_mb(image.tag)))
        print(f"built {image.tag} in {built[-1].seconds:.0f} s, {built[-1].size_mb:,.0f} MB", flush=True)
    return built


def selected(names: list[str] | None) -> list[Image]:
    chosen = [image for image in IMAGES if not names or image.name in names]
    for image in chosen:
        if not image.needs.exists():
            print(f"skipping {image.name}: {image.needs.relative_to(REPO)} does not exist yet")
    return [image for image in chosen if image.needs.exists()]


# ---- smoke: run each image once and check its answers --------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class Smoke:
    """A moto server on 127.0.0.1 with Wattcast's resources, sample bundles, and the images under test.

    Chain: forecaster (single model: /ping, /invocations, SIGTERM) -> ingest (a real Kinesis batch of
    50 hours of readings + a malformed record, writing to moto) -> preprocess (the hour-closed events
    ingest published, calling the forecaster in multi-model mode, which fetches the bundles from S3).
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.checks: list[Check] = []
        self.endpoint = ""
        self._server: Any = None

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        return ok

    # ---- fixtures

    def start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from scripts.local.bootstrap import bootstrap
        from services.core.clients import AwsClients, reset_clients
        from services.core.settings import Settings

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        os.environ.update({"AWS_ENDPOINT_URL": self.endpoint, **SMOKE_AWS_ENV})
        reset_clients()
        self.clients = AwsClients(Settings.from_env())
        bootstrap(self.clients, readings_shards=1)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

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

        from scripts.bench.forecaster import lstm_body

        port = 8080 if _port_free(8080) else _free_port()
        name = "wattcast-smoke-forecaster"
        env = {"SAGEMAKER_BIND_TO_PORT": str(port)}
        with container(image, name, env, ["serve"], volumes=[f"{model_dir}:/opt/ml/model:ro"]):
            seconds = _wait_for_ping(port, 180)
            self.check("forecaster /ping", seconds is not None, f"200 after {seconds or 0:.1f} s on :{port}")
            if seconds is None:
                return
            status, body = _post(port, "/invocations", lstm_body(2, 48))
            forecasts = [len(p["forecast"]) for p in json.loads(body)["predictions"]] if status == 200 else []
            self.check(
                "forecaster /invocations", forecasts == [24, 24], f"HTTP {status}, horizons {forecasts}"
            )
            stopped, code = _stop(name)
            self.check("forecaster SIGTERM", code == 0 and stopped < 25, f"exit {code} after {stopped:.1f} s")

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
        assert forecaster is not None, "the preprocess smoke needs the forecaster image"
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
            raise ContainersError(
                f"{image.tag} is not built: python -m scripts.devtools.containers build {image.name}"
            )
    with tempfile.TemporaryDirectory(prefix="wattcast-smoke-") as work:
        smoke = Smoke(Path(work))
        try:
            smoke.start_moto()
            bundles = smoke.bundles() if {"forecaster", "preprocess"} & set(by_name) else {}
            if "forecaster" in by_name:
                smoke.forecaster_single(by_name["forecaster"], bundles["model_dir"])
            if {"ingest", "preprocess"} & set(by_name):
                smoke.ingest(by_name.get("ingest"))
            if "preprocess" in by_name:
                smoke.preprocess(by_name["preprocess"], by_name.get("forecaster"), bundles)
        finally:
            smoke.stop()
    return smoke.checks


# ---- the command line -----------------------------------------------------------------------------


def _base(args: argparse.Namespace) -> int:
    tag = args.tag or f"localhost/wattcast-base:{args.suite}"
    seconds = make_base(tag, args.mirror, args.suite)
    print(f"base image {tag}: {seconds:.0f} s, {image_size_mb(tag):,.0f} MB")
    return 0


def _build(args: argparse.Namespace) -> int:
    if args.base == BASE_TAG and not image_exists(BASE_TAG):
        print(f"{BASE_TAG} is missing: making it first (python -m scripts.devtools.containers base)")
        make_base()
    built = build(selected(args.images), args.base, no_cache=args.no_cache)
    print(f"\n{'image':<36} {'build s':>8} {'size MB':>9}")
    for item in built:
        print(f"{item.image.tag:<36} {item.seconds:>8.0f} {item.size_mb:>9,.0f}")
    return 0


def _smoke(args: argparse.Namespace) -> int:
    images = selected(args.images)
    checks = run_smoke(images)
    print(f"\n{sum(c.ok for c in checks)} of {len(checks)} checks passed")
    return 0 if checks and all(check.ok for check in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.devtools.containers", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    base = commands.add_parser("base", help="debootstrap bookworm + python3 and import it as a base image")
    base.add_argument("--suite", default="bookworm", help="Debian release (bookworm: Python 3.11.2)")
    base.add_argument("--tag", help="default localhost/wattcast-base:SUITE")
    base.add_argument("--mirror", default=DEBIAN_MIRROR)
    base.set_defaults(func=_base)
    names = [image.name for image in IMAGES]
    build_parser = commands.add_parser("build", help="build the images (report seconds and sizes)")
    build_parser.add_argument("images", nargs="*", choices=[*names, []], metavar="IMAGE", help=str(names))
    build_parser.add_argument(
        "--base",
        default=BASE_TAG,
        help=f"BASE_IMAGE build argument (default {BASE_TAG}; real: {DEFAULT_BASE})",
    )
    build_parser.add_argument("--no-cache", action="store_true")
    build_parser.set_defaults(func=_build)
    smoke = commands.add_parser("smoke", help="run each built image once and check its answers")
    smoke.add_argument("images", nargs="*", choices=[*names, []], metavar="IMAGE", help=str(names))
    smoke.set_defaults(func=_smoke)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ContainersError, subprocess.CalledProcessError) as exc:
        print(f"containers: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
