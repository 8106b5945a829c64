"""`wattcast bench projections`: what one household's month projection costs on each route.

- endpoint: the forecaster's HTTP server in multi-model mode, as SageMaker drives it for a model not
  loaded (the 23:00 case: each household's model is asked for once a day) — load (POST /models with
  the unpacked bundle), invoke, unload — the server's CPU seconds read from /proc;
- batch: the nightly projections' own path (services/projections.bundles.NightBundles): unpack,
  load, answer, drop, in one process.

Both run the same bundle code on the same requests, so the answers are checked equal. Each household
gets its own copy of the bundle (the sample Prophet bundle, or `--bundle` a trained one).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.local.forecaster_process import ForecasterProcess
from scripts.training.samples import sample_prophet_bundle
from services.core.errors import WattcastError
from services.core.settings import Settings
from services.forecaster.bundles import unpack_bundle
from services.projections.bundles import NightBundles

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProjectionBenchError(WattcastError):
    """The server refused a call the bench makes, or the routes answered differently."""


@dataclass(frozen=True)
class RouteFigures:
    households: int
    seconds: float
    cpu_seconds: float

    def summary(self) -> dict[str, float]:
        return {
            "households": self.households,
            "ms_per_household": round(1000 * self.seconds / self.households, 1),
            "cpu_ms_per_household": round(1000 * self.cpu_seconds / self.households, 1),
        }


def request_for(household_id: str) -> dict[str, Any]:
    """Day 15 of January 2010 with 14 measured days, as preprocess asks after the 14th closes."""
    days = [{"date": f"2010-01-{d:02d}", "kwh": round(24.0 + (d % 7), 4)} for d in range(1, 15)]
    return {"household_id": household_id, "as_of": "2010-01-15", "days": days}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children now alive (gunicorn's master and its workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(process_cpu_seconds(int(child)) for child in children)


class ArchiveBundles:
    """Each household's own bundle from its archive (what S3Bundles does with the models prefix)."""

    def __init__(self, archives: dict[str, Path]) -> None:
        self._archives = archives

    def default_target(self) -> str:
        return "prophet/default.tar.gz"

    def fetch(self, target: str, destination: Path) -> Path | None:
        archive = self._archives.get(target)
        return unpack_bundle(archive, destination, 10**9) if archive else None


def batch_route(archives: dict[str, Path], work: Path) -> tuple[RouteFigures, dict[str, Any]]:
    settings = Settings()
    bundles = NightBundles(ArchiveBundles(archives), settings, workdir=work)
    answers = {}
    cpu, started = time.process_time(), time.perf_counter()
    for target in archives:
        household_id = target.removeprefix("prophet/").removesuffix(".tar.gz")
        answers[household_id], _ = bundles.project(household_id, request_for(household_id))
    figures = RouteFigures(len(archives), time.perf_counter() - started, time.process_time() - cpu)
    return figures, answers


def endpoint_route(archives: dict[str, Path], work: Path) -> tuple[RouteFigures, dict[str, Any]]:
    folders = {t: unpack_bundle(a, work / "unpacked" / t, 10**9) for t, a in archives.items()}
    server = ForecasterProcess(models_dir=work / "models", workers=1)
    server.start()
    try:
        assert server.pid is not None
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        answers = {}
        cpu, started = process_cpu_seconds(server.pid), time.perf_counter()
        for target, folder in folders.items():
            household_id = target.removeprefix("prophet/").removesuffix(".tar.gz")
            _call(connection, "POST", "/models", {"model_name": target, "url": str(folder)})
            answers[household_id] = _call(
                connection, "POST", f"/models/{target}/invoke", request_for(household_id)
            )
            _call(connection, "DELETE", f"/models/{target}", None)
        seconds = time.perf_counter() - started
        figures = RouteFigures(len(folders), seconds, process_cpu_seconds(server.pid) - cpu)
    finally:
        server.stop()
    return figures, answers


def _call(connection: http.client.HTTPConnection, method: str, path: str, body: Any) -> Any:
    payload = None if body is None else json.dumps(body).encode()
    connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise ProjectionBenchError(f"{method} {path} answered {response.status}: {data[:200]!r}")
    return json.loads(data)


def projection_routes(households: int, bundle: Path | None = None) -> dict[str, Any]:
    """Both routes on `households` copies of one Prophet bundle; their answers must be equal."""
    with tempfile.TemporaryDirectory(prefix="wattcast-bench-projections-") as tmp:
        work = Path(tmp)
        source = bundle or sample_prophet_bundle(work / "sample.tar.gz")
        archives = {}
        for n in range(households):
            target = f"prophet/h{n:05d}.tar.gz"
            archives[target] = work / "archives" / f"h{n:05d}.tar.gz"
            archives[target].parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, archives[target])
        batch, batch_answers = batch_route(archives, work / "batch")
        endpoint, endpoint_answers = endpoint_route(archives, work / "endpoint")
    if batch_answers != endpoint_answers:
        raise ProjectionBenchError("the two routes answered differently for the same bundles and requests")
    return {"endpoint": endpoint.summary(), "batch": batch.summary(), "answers_equal": True}
