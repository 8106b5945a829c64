"""`wattcast bench forecaster`: serving figures of the forecaster with the sample bundles.

LSTM forecast latency (p50/p99) at batch 1 and 64, in-process (the invocation path without HTTP)
with ONNX Runtime and with the SavedModel, and over HTTP through gunicorn; forecasts/s with batching;
Prophet rest-of-month request time; cold load of a target model; memory per loaded Prophet model.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from scripts.local.forecaster_process import ForecasterProcess
from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle
from services.core import features
from services.forecaster.bundles import unpack_bundle
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import load_model
from services.forecaster.runtimes import SavedModelRuntime


def synthetic_lstm_request(batch: int, hours: int) -> bytes:
    rng = np.random.default_rng(batch)
    instances = [
        {
            "household_id": f"h{n}",
            "hours": [
                {
                    "ts": features.hour_ts(352_000 + i),
                    "global_active_power": round(float(rng.uniform(0.2, 3)), 3),
                    "global_reactive_power": 0.1,
                    "voltage": 240.0,
                    "global_intensity": 5.0,
                    "sub_metering_1": 0.0,
                    "sub_metering_2": 1.0,
                    "sub_metering_3": 6.0,
                }
                for i in range(hours)
            ],
        }
        for n in range(batch)
    ]
    return json.dumps({"instances": instances}).encode()


def timings_ms(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    for _ in range(min(20, repeat)):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
    }


def in_process(root: Path, hours: int, repeat: int) -> dict[str, Any]:
    model = load_model("lstm", root)
    figures: dict[str, Any] = {}
    for runtime_name in ("onnxruntime", "tensorflow"):
        if runtime_name == "tensorflow":
            if not (root / "1").is_dir():
                continue
            model.runtime = SavedModelRuntime(root / "1")
        for batch in (1, 64):
            request = InvocationRequest(synthetic_lstm_request(batch, hours))
            figures[f"{runtime_name}_batch{batch}"] = timings_ms(
                partial(invoke, model, request), repeat // batch + 20
            )
    return figures


def over_http(root: Path, hours: int, repeat: int) -> dict[str, Any]:
    server = ForecasterProcess(model_dir=root, workers=2)
    server.start()
    try:
        figures: dict[str, Any] = {}
        for batch in (1, 64):
            body = synthetic_lstm_request(batch, hours)
            connection = http.client.HTTPConnection("127.0.0.1", server.port)
            figures[f"batch{batch}"] = timings_ms(partial(_post, connection, body), repeat // batch + 20)
        figures["forecasts_per_s_batch64_2_clients"] = _throughput(
            server.port, synthetic_lstm_request(64, hours), 64
        )
        return figures
    finally:
        server.stop()


def _post(connection: http.client.HTTPConnection, body: bytes) -> bytes:
    connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {data[:200]!r}")
    return data


def _throughput(port: int, body: bytes, batch: int, seconds: float = 5.0) -> float:
    def client() -> int:
        connection, done, deadline = (
            http.client.HTTPConnection("127.0.0.1", port),
            0,
            time.monotonic() + seconds,
        )
        while time.monotonic() < deadline:
            _post(connection, body)
            done += batch
        return done

    with ThreadPoolExecutor(2) as pool:
        total = sum(pool.map(lambda _: client(), range(2)))
    return round(total / seconds)


PROPHET_BODY = json.dumps(
    {
        "household_id": "h",
        "as_of": "2010-02-15",
        "days": [{"date": f"2010-02-{d:02d}", "kwh": 30.0} for d in range(1, 15)],
    }
).encode()

COLD_LOAD = """
import sys, time
started = time.perf_counter()
from pathlib import Path
from services.forecaster.bundles import unpack_bundle
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import load_model
model = load_model("p", unpack_bundle(Path(sys.argv[1]), Path(sys.argv[2]), 10**9))
invoke(model, InvocationRequest(sys.argv[3].encode()))
print(time.perf_counter() - started)
"""


def prophet_figures(archive: Path, work: Path, models: int) -> dict[str, Any]:
    """Request time, cold load (fresh process: imports, unpack, load, first answer), memory per model."""
    cold = subprocess.run(
        [sys.executable, "-c", COLD_LOAD, str(archive), str(work / "cold"), PROPHET_BODY.decode()],
        capture_output=True,
        text=True,
        check=True,
    )
    root = unpack_bundle(archive, work / "prophet", 10**9)
    model = load_model("p0", root)
    request = timings_ms(lambda: invoke(model, InvocationRequest(PROPHET_BODY)), 60)
    started = time.perf_counter()
    load_model("p1", root)
    warm_load_ms = (time.perf_counter() - started) * 1000
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [load_model(f"h{n}", root) for n in range(models)]
    per_model_mb = (tracemalloc.get_traced_memory()[0] - before) / len(kept) / 2**20
    tracemalloc.stop()
    return {
        "request": request,
        "uncertainty_samples": model.runtime.uncertainty_samples,
        "samples_sweep": samples_sweep(model),
        "cold_load_first_answer_s": round(float(cold.stdout.strip().splitlines()[-1]), 2),
        "warm_load_ms": round(warm_load_ms, 1),
        "memory_per_model_mb": round(per_model_mb, 3),
    }


def samples_sweep(model: Any, repeats: int = 20) -> dict[str, dict[str, float]]:
    """Request time against Monte Carlo noise: how much the projected month's upper bound moves
    between requests with the same days (coefficient of variation, %) for each number of samples.
    The bundle seeds its sampling from the request, so each repeat names another household."""
    chosen = model.runtime.uncertainty_samples
    sweep = {}
    for samples in (100, 300, 1000):
        model.runtime.uncertainty_samples = samples
        uppers, started = [], time.perf_counter()
        for repeat in range(repeats):
            body = json.dumps({**json.loads(PROPHET_BODY), "household_id": f"h{repeat}"}).encode()
            answer = json.loads(invoke(model, InvocationRequest(body)).body)
            uppers.append(answer["projected_month_kwh_upper"])
        sweep[str(samples)] = {
            "request_ms": round((time.perf_counter() - started) * 1000 / repeats, 1),
            "upper_bound_cv_pct": round(100 * float(np.std(uppers) / np.mean(uppers)), 2),
        }
    model.runtime.uncertainty_samples = chosen
    return sweep


def forecaster_figures(
    hours: int = 48, repeat: int = 2000, prophet_models: int = 30, lstm_bundle: Path | None = None
) -> dict[str, Any]:
    """Every serving figure of the sample bundles, or of `lstm_bundle` for the LSTM (what
    `wattcast bench forecaster` prints). Requests carry at least the bundle's lookback of hours."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = lstm_bundle or sample_lstm_bundle(work / "lstm.tar.gz")
        root = unpack_bundle(archive, work / "lstm", 2 * 10**9)
        metadata = load_model("lstm", root).metadata
        hours = max(hours, int(metadata["lookback"]))
        return {
            "lstm": {
                "bundle": str(lstm_bundle or "sample"),
                "lookback": metadata["lookback"],
                "members": sorted(metadata.get("members", {"lstm": {}})),
                "channels": len(metadata["channels"]),
                "request_hours": hours,
            },
            "in_process": in_process(root, hours, repeat),
            "http_gunicorn_2_workers": over_http(root, hours, repeat),
            "prophet": prophet_figures(sample_prophet_bundle(work / "prophet.tar.gz"), work, prophet_models),
        }
