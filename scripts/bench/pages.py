"""`wattcast bench pages`: what the household's view costs. The household page loaded in Debian's
chromium (a new browser context each time: nothing cached) from the local gateway over in-memory
stores, timed to its numbers and to its charts; and a monthly statement (HTML and PDF) generated per
household from the same stores."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench.portal import MEMORY_HANDLER
from scripts.bench.portal_memory_api import SEED_ENV
from scripts.bench.portal_seed import SeededHousehold, household, load_seed_file, write_seed_file
from scripts.data.simulate import household_ids
from scripts.data.uci import default_data_path, load_uci
from scripts.local.gateway.tokens import TokenRequest, issue
from scripts.local.portal_process import PortalProcess
from services.core.errors import WattcastError
from services.core.settings import Settings
from services.portal.requests import Month
from services.portal.statements import generate

STATEMENT_MONTH = Month(2010, 2)  # the seeded households' month
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


class PagesBenchError(WattcastError):
    """No chromium to load the page with."""


def pages_figures(households: int, loads: int) -> dict[str, Any]:
    chromium = os.environ.get("WATTCAST_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise PagesBenchError("no chromium: apt-get install chromium (or set WATTCAST_CHROMIUM)")
    frame = load_uci(default_data_path())
    seeded = [household(h, frame) for h in household_ids(households)]
    with tempfile.TemporaryDirectory(prefix="wattcast-pages-") as folder:
        seed = Path(folder) / "seed.json"
        write_seed_file(seed, seeded)
        statements = _statement_seconds(seed, seeded)
        page = _page_seconds(chromium, seed, Path(folder), seeded[0].household_id, loads)
    return {"households": households, "page_loads": loads, "page": page, "statement": statements}


def _statement_seconds(seed: Path, seeded: list[SeededHousehold]) -> dict[str, Any]:
    stores = load_seed_file(seed)
    generate(stores.portal, seeded[0].household_id, STATEMENT_MONTH)  # imports and fonts, once
    seconds, sizes = [], []
    for one in seeded:
        generated = generate(stores.portal, one.household_id, STATEMENT_MONTH)
        seconds.append(generated.seconds)
        sizes.append(len(generated.pdf))
    return {
        "month": str(STATEMENT_MONTH),
        **_spread(seconds, "seconds_per_household"),
        "pdf_kib_median": round(statistics.median(sizes) / 1024, 1),
    }


def _page_seconds(chromium: str, seed: Path, folder: Path, household_id: str, loads: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    os.environ[SEED_ENV] = str(seed)
    settings = Settings.from_env(stack_dir=folder / "stack")
    os.environ["WATTCAST_STACK_DIR"] = str(settings.stack_dir)  # the gateway verifies with this key
    token = issue(settings, TokenRequest(household_id=household_id, ttl_seconds=3600))
    portal = PortalProcess(workers=2, log=folder / "portal.log", handler=MEMORY_HANDLER)
    portal.start()
    numbers, charts = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for load in range(loads + 1):  # the first load warms the workers up and is not counted
                shown, drawn = _load_once(browser, f"{portal.url}/#token={token}")
                if load:
                    numbers.append(shown)
                    charts.append(drawn)
            browser.close()
    finally:
        portal.stop()
    return {**_spread(numbers, "numbers_seconds"), **_spread(charts, "charts_seconds")}


def _load_once(browser: Any, url: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#summary-month-kwh[data-value]", timeout=60_000)
    shown = time.perf_counter() - started
    page.wait_for_selector("#chart-month canvas", timeout=60_000)
    page.wait_for_selector("#chart-today canvas", timeout=60_000)
    drawn = time.perf_counter() - started
    context.close()
    return shown, drawn


def _spread(values: list[float], name: str) -> dict[str, float]:
    ordered = sorted(values)
    return {
        f"{name}_median": round(statistics.median(ordered), 3),
        f"{name}_p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        f"{name}_max": round(ordered[-1], 3),
    }
