"""The household's and the operator's pages in a real browser (Playwright driving Debian's chromium)
over the embedded stack with data the pipeline stored: the numbers on the page are the API's, the
charts draw, the settings form saves, another household is refused, and nothing logs an error.
Screenshots are kept in out/browser/. `make test-browser`; skipped, with the reason, without chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from scripts.local.gateway import tokens
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.stack import EmbeddedStack
from tests.conftest import FAKE_CREDENTIALS
from tests.functional.test_pipeline_e2e import send, start_pipeline

pytestmark = pytest.mark.browser
ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "browser"
# Without these, chromium dials Google's hosts at start, and this machine's closed network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("WATTCAST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: apt-get install chromium (or set WATTCAST_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=30_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(
    moto_server: str, sample_bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedStack]:
    """Four days of three households through the pipeline, the household API on loopback."""
    monkeypatch = pytest.MonkeyPatch()
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    for name, fake in FAKE_CREDENTIALS.items():  # a module's fixture runs before the autouse one
        monkeypatch.setenv(name, fake)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    stack = start_pipeline(sample_bundles, tmp_path_factory.mktemp("browser"), monkeypatch)
    try:
        send(stack, "2010-01-04", days=4)
        yield stack
    finally:
        stack.stop()
        monkeypatch.undo()


def token(stack: EmbeddedStack, household: str | None = None) -> str:
    assert stack.clients is not None
    request = tokens.TokenRequest(household_id=household, operator=household is None)
    return tokens.issue(stack.clients.settings, request)


def api(stack: EmbeddedStack, path: str, household: str | None) -> Any:
    """The API's answer with the household's token (None: an operator's)."""
    assert stack.portal is not None
    request = urllib.request.Request(
        stack.portal.url + path, headers={"Authorization": f"Bearer {token(stack, household)}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page that records console errors and failed requests; the test asserts none happened."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # A failed request is logged by the browser too; those are judged by their response below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    def on_response(response: Any) -> None:
        expected = response.status == 404 and "/statements/" in response.url  # none generated yet
        if response.status >= 400 and not expected:
            problems.append(f"{response.status} {response.url}")

    opened.on("console", on_console)
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    opened.on("response", on_response)
    opened.problems = problems
    yield opened
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(ARTEFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def open_household(
    page: Any, stack: EmbeddedStack, household: str, *, as_household: str | None = None
) -> None:
    assert stack.portal is not None
    query = "" if as_household is None else f"?household={household}"
    page.goto(f"{stack.portal.url}/{query}#token={token(stack, as_household or household)}")


def value(page: Any, selector: str) -> float:
    page.wait_for_selector(f"{selector}[data-value]", timeout=30_000)
    return float(page.get_attribute(selector, "data-value"))


def test_the_household_page_shows_the_numbers_the_api_gives(page: Any, stack: EmbeddedStack) -> None:
    open_household(page, stack, "h000")
    summary = api(stack, "/households/h000/summary", "h000")
    assert value(page, "#summary-last-kw") == pytest.approx(summary["last_hour"]["kw"])
    assert value(page, "#summary-month-kwh") == pytest.approx(summary["month"]["to_date_kwh"])
    assert value(page, "#summary-projected-cost") == pytest.approx(
        summary["month"]["projected_cost"]["median"]
    )
    month = api(stack, f"/households/h000/month/{summary['month']['month']}", "h000")
    for meter in ("kitchen", "laundry", "water_heater_and_air_conditioning", "rest"):
        shown = value(page, f"#sub-meters [data-meter='{meter}']")
        assert shown == pytest.approx(month["sub_meters_kwh"][meter]), meter
    assert "token" not in page.url  # the token left the address bar
    assert page.problems == []


def drawn_pixels(page: Any, container: str) -> int:
    """Pixels a chart's canvas has painted (uPlot draws on a canvas)."""
    page.wait_for_selector(f"{container} canvas", timeout=30_000)
    return int(
        page.eval_on_selector(
            f"{container} canvas",
            """canvas => {
                const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
                return painted;
            }""",
        )
    )


def test_the_charts_render(page: Any, stack: EmbeddedStack) -> None:
    open_household(page, stack, "h001")
    for chart in ("#chart-today", "#chart-month"):
        assert drawn_pixels(page, chart) > 2_000, chart
    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the charts follow their container
    page.wait_for_timeout(500)
    width = page.eval_on_selector("#chart-today canvas", "c => c.getBoundingClientRect().width")
    assert 200 < width <= 375
    page.screenshot(path=str(ARTEFACTS / "household-375.png"), full_page=True)
    assert page.problems == []


def test_the_settings_form_saves_a_budget_and_the_next_summary_reflects_it(
    page: Any, stack: EmbeddedStack
) -> None:
    open_household(page, stack, "h002")
    page.wait_for_selector("#settings-form[data-loaded]", timeout=30_000)  # the stored settings are in
    page.fill("#budget-amount", "12.5")
    page.select_option("#budget-unit", "kWh")
    page.click("#settings-save")
    expect(page.locator("#settings-message")).to_contain_text("Saved")
    summary = api(stack, "/households/h002/summary", "h002")
    assert summary["budget"]["budget"] == {"amount": 12.5, "unit": "kWh"}
    assert summary["budget"]["status"] == "over_budget"  # the month projects far beyond 12.5 kWh
    expect(page.locator("#budget-status")).to_have_attribute("data-status", "over_budget")
    assert page.problems == []


def test_another_household_s_page_is_refused(page: Any, stack: EmbeddedStack) -> None:
    open_household(page, stack, "h000", as_household="h001")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("does not reach")
    assert page.query_selector("#summary-month-kwh[data-value]") is None


def test_the_operator_page_shows_the_fleet_and_the_pipeline(page: Any, stack: EmbeddedStack) -> None:
    assert stack.portal is not None
    page.goto(f"{stack.portal.url}/operator#token={token(stack)}")
    page.wait_for_selector("#fleet-table tbody tr", timeout=30_000)
    rows = page.eval_on_selector_all("#fleet-table tbody tr", "rows => rows.map(r => r.dataset.household)")
    assert rows == ["h000", "h001", "h002"]
    fleet = api(stack, "/fleet/households", None)
    for household in fleet["households"]:
        row = f"#fleet-table tr[data-household='{household['household_id']}']"
        mae = page.eval_on_selector(row, "r => r.querySelectorAll('td')[3].dataset.value")
        assert float(mae) == household["forecast_error"]["mae_kw"]
    page.wait_for_selector("#pipeline-table tbody tr", timeout=30_000)
    shown = page.eval_on_selector_all("#pipeline-table tbody tr", "rows => rows.map(r => r.dataset.function)")
    assert shown == ["wattcast-ingest", "wattcast-preprocess", "wattcast-alerts", "wattcast-statements"]
    expect(page.locator("#problems")).to_have_attribute("data-count", "0")
    assert page.problems == []


def test_the_statement_renders_to_png_pages(
    stack: EmbeddedStack, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF's pages as pictures (pdftoppm), for the README; its text is checked in the functional suite."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("no pdftoppm: apt-get install poppler-utils")
    from services.core.clients import reset_clients
    from services.portal.statement_handler import statements_handler

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    reset_clients()

    answer = statements_handler(
        {"month": "2010-01", "household_id": "h000"}, LocalLambdaContext("wattcast-statements")
    )
    assert answer == {"month": "2010-01", "written": 1, "nothing_stored": []}
    links = api(stack, "/households/h000/statements/2010-01", "h000")
    pdf = tmp_path / "statement.pdf"
    with urllib.request.urlopen(links["pdf_url"], timeout=30) as response:
        pdf.write_bytes(response.read())
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "statement")], check=True)
    pages = sorted(tmp_path.glob("statement-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 10_000 for p in pages)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for png in pages:
        shutil.copy(png, ARTEFACTS / png.name)
