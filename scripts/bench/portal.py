"""The household API's summary under load: households stored in the embedded stack's tables, the
local HTTP API (JWT authorizer + the API's Lambda under gunicorn) on loopback, and wrk in a second
process for a bounded time, asking for random households' summaries with an operator's token."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scripts.bench.dynalite import running_dynalite
from scripts.bench.portal_memory_api import SEED_ENV
from scripts.bench.portal_seed import household, write_seed_file, write_to_tables
from scripts.data.simulate import household_ids
from scripts.data.uci import default_data_path, load_uci
from scripts.local.gateway.tokens import TokenRequest, issue
from scripts.local.portal_process import PortalProcess
from scripts.local.stack import EmbeddedStack
from services.core.errors import WattcastError

WARM_UP_SECONDS = 10
MEMORY_HANDLER = "scripts.bench.portal_memory_api.handler"
WRK_SCRIPT = """
math.randomseed(os.time())
local households = {%s}
request = function()
  local id = households[math.random(#households)]
  return wrk.format("GET", "/households/" .. id .. "/summary", {["Authorization"] = "Bearer %s"})
end
"""


class BenchError(WattcastError):
    """The load tool is missing or its output could not be read."""


@dataclass(frozen=True)
class PortalBenchOptions:
    households: int = 100
    seconds: int = 30
    connections: int = 4
    threads: int = 2
    workers: int = 2
    store: str = "emulator"  # "dynalite": DynamoDB there; "memory": the API's own cost, no store


def portal_figures(options: PortalBenchOptions) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed: apt-get install wrk")
    if options.store == "dynalite":
        with running_dynalite():
            return _figures(wrk, options)
    return _figures(wrk, options)


def _figures(wrk: str, options: PortalBenchOptions) -> dict[str, Any]:
    frame = load_uci(default_data_path())
    ids = household_ids(options.households)
    seeded = [household(h, frame) for h in ids]
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False, forecaster=False, portal=False)
        assert stack.clients is not None
        started = time.monotonic()
        handler = None
        if options.store == "memory":
            seed = stack.clients.settings.stack_dir / "portal-bench-seed.json"
            write_seed_file(seed, seeded)
            os.environ[SEED_ENV] = str(seed)
            handler = MEMORY_HANDLER
        else:
            for one in seeded:
                write_to_tables(stack.clients, one, frame)
        seeding = time.monotonic() - started
        log = stack.clients.settings.stack_dir / "portal-bench.log"
        portal = PortalProcess(workers=options.workers, log=log, handler=handler)
        portal.start()
        try:
            token = issue(stack.clients.settings, TokenRequest(operator=True, ttl_seconds=3600))
            warm_up = replace(options, seconds=WARM_UP_SECONDS)
            with contextlib.suppress(BenchError):  # each worker loads its function first
                _run_wrk(wrk, portal.url, ids, token, warm_up)
            figures = _run_wrk(wrk, portal.url, ids, token, options)
        finally:
            portal.stop()
    finally:
        stack.stop()
    return {
        "store": options.store,
        "households": options.households,
        "hours_stored": sum(len(one.rows) for one in seeded),
        "seeding_seconds": round(seeding, 1),
        "gunicorn_workers": options.workers,
        "wrk": {"threads": options.threads, "connections": options.connections, "seconds": options.seconds},
        **figures,
    }


def _run_wrk(wrk: str, url: str, ids: list[str], token: str, options: PortalBenchOptions) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "summary.lua"
        script.write_text(WRK_SCRIPT % (", ".join(f'"{i}"' for i in ids), token))
        command = [
            wrk,
            f"-t{options.threads}",
            f"-c{options.connections}",
            f"-d{options.seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=options.seconds + 60
        ).stdout
    return parse_wrk(output)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    """p50/p75/p90/p99 in ms, requests per second, requests and non-2xx answers from wrk's report."""
    percentiles = {
        f"p{p}_ms": round(float(value) * UNITS[unit], 2)
        for p, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if len(percentiles) != 4 or rate is None or total is None:
        raise BenchError(f"could not read wrk's report:\n{output[:2000]}")
    return {
        **percentiles,
        "requests_per_s": float(rate.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }
