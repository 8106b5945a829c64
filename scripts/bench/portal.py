"""The household API's summary under load: households stored in the embedded stack's tables, the
local HTTP API (JWT authorizer + the API's Lambda under gunicorn) on loopback, and wrk in a second
process for a bounded time, asking for random households' summaries with an operator's token."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.data.simulate import household_ids
from scripts.data.uci import default_data_path, load_uci
from scripts.evaluation.bills import store_hours
from scripts.local.gateway.tokens import TokenRequest, issue
from scripts.local.portal_process import PortalProcess
from scripts.local.stack import EmbeddedStack
from services.core.clients import AwsClients
from services.core.errors import WattcastError
from services.core.items import to_item
from services.core.reading import format_ts

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
    connections: int = 16
    threads: int = 2
    workers: int = 2


def portal_figures(options: PortalBenchOptions) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed: apt-get install wrk")
    frame = load_uci(default_data_path())
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False, forecaster=False, portal=False)
        assert stack.clients is not None
        ids = household_ids(options.households)
        started = time.monotonic()
        hours = sum(_store_household(stack.clients, household, frame) for household in ids)
        seeded = time.monotonic() - started
        portal = PortalProcess(
            workers=options.workers, log=stack.clients.settings.stack_dir / "portal-bench.log"
        )
        portal.start()
        try:
            token = issue(stack.clients.settings, TokenRequest(operator=True, ttl_seconds=3600))
            figures = _run_wrk(wrk, portal.url, ids, token, options)
        finally:
            portal.stop()
    finally:
        stack.stop()
    return {
        "households": options.households,
        "hours_stored": hours,
        "seeding_seconds": round(seeded, 1),
        "gunicorn_workers": options.workers,
        "wrk": {"threads": options.threads, "connections": options.connections, "seconds": options.seconds},
        **figures,
    }


def _store_household(clients: AwsClients, household_id: str, frame: pd.DataFrame) -> int:
    """The bundled slice's hours (January and February 2010), a next-hours forecast from the last
    hour, a February projection as of its last day, and the household's clock."""
    stored = store_hours(clients, household_id, frame)
    last = pd.DatetimeIndex(frame.index).max().floor("h").to_pydatetime()
    rng = np.random.default_rng(len(household_id))
    lstm = {
        "household_id": household_id,
        "forecast_key": f"lstm#{format_ts(last + timedelta(hours=1))}",
        "kind": "lstm",
        "issued_for": format_ts(last + timedelta(hours=1)),
        "origin": format_ts(last),
        "kw": [1.0] * 24,
        "kw_p10": [0.4] * 24,
        "kw_p50": [0.9] * 24,
        "kw_p90": [2.0] * 24,
        "model": "bench",
    }
    as_of = last.date().isoformat()
    month = {
        "household_id": household_id,
        "forecast_key": f"month#{last:%Y-%m}#{as_of}",
        "kind": "month",
        "as_of": as_of,
        "month": f"{last:%Y-%m}",
        "actual_to_date_kwh": 600.0,
        "projected_month_kwh": 630.0,
        "projected_month_kwh_lower": 620.0,
        "projected_month_kwh_upper": 640.0,
        "forecast": [{"date": as_of, "kwh": 30.0, "kwh_lower": 20.0, "kwh_upper": 40.0}],
        "remaining_kwh_samples": [round(float(v), 3) for v in rng.normal(30, 5, 300)],
        "model": "bench",
    }
    for item in (lstm, month):
        clients.dynamodb.put_item(TableName=clients.settings.forecasts_table, Item=to_item(item))
    clock: dict[str, Any] = {
        "household_id": {"S": household_id},
        "latest": {"S": format_ts(last + timedelta(minutes=59))},
        "open_hours": {"SS": [format_ts(last)]},
        "version": {"N": "1"},
    }
    clients.dynamodb.put_item(TableName=clients.settings.households_table, Item=clock)
    return stored


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
