"""`wattcast demo` (make demo): the whole system in the embedded mode, with no Docker.

Starts the stack in the background (the emulator, the forecaster, the household API and the event
source mappings) and leaves it running; trains default bundles if none are cached (on the data
before the replay, so what follows is out of sample); replays households of real data (meters that
upload an hour of minutes per record, with malformed records and duplicates); drains the Lambdas;
prints a per-household table, writes plots and one household's monthly statement, and ends with the
household's and the operator's pages (with tokens), the household API's address and a curl line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from scripts.data.replay import ReplayOptions, ReplaySummary, format_summary, replay
from scripts.data.uci import default_data_path, utc_timestamp
from scripts.local.gateway.tokens import TokenRequest, issue
from scripts.local.stack_control import (
    StackError,
    read_state,
    stack_environment,
    start_in_background,
    wait_until_drained,
)
from scripts.local.statements import StatementCommandError, StatementRequest, write_statements
from scripts.monitoring.report import format_report, monitor_report
from scripts.stores.forecasts import forecast_items, latest
from scripts.stores.readings import dead_letters, hourly_rows
from scripts.training.default_models import DEFAULT_CACHE, ensure_models
from services.accuracy.aws import DynamoAccuracyStore, S3Baselines
from services.accuracy.handler import aws_ports
from services.accuracy.sweep import sweep_fleet
from services.core.clients import AwsClients, reset_clients
from services.core.month_projection import projection_request
from services.core.reading import format_ts
from services.core.settings import Settings
from services.portal.requests import HOUR, Month

DEMO_INGEST_BATCH_RECORDS = 100
PAGE_TOKEN_SECONDS = 8 * 3600
STACK_START_SECONDS = 180.0


@dataclass(frozen=True)
class DemoOptions:
    households: int = 5
    days: float = 10.0
    start: str = "2010-02-01"  # models train before it
    data: Path | None = None  # default: the bundled slice of real data
    bad_share: float = 0.02
    duplicate_share: float = 0.01
    out: Path = Path("out/demo")
    models: Path = DEFAULT_CACHE
    seed: int = 0


def run_demo(args: DemoOptions) -> bool:
    """Run it; True when every reading, dead letter, forecast and projection is where it should be.

    The demo drives a background stack (`wattcast stack up`, started here unless one runs) and leaves
    it running, so the household API it ends with keeps answering; `wattcast stack down` stops it."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one JSON line per batch otherwise
    # The demo's meters send an hour of minutes per record: 100 records (6,000 readings) per batch keep
    # one ingest call well inside its 60 s timeout against the emulator on a busy 2-core machine.
    os.environ.setdefault("WATTCAST_INGEST_BATCH_SIZE", str(DEMO_INGEST_BATCH_RECORDS))
    started = time.monotonic()
    data = args.data or default_data_path()
    state = _running_stack(Settings.from_env())
    print(
        f"stack: moto on {state['endpoint']}, forecaster on {state['forecaster']}, "
        f"household API on {state['portal']}; ingest, preprocess, alerts, statements and accuracy mapped"
    )
    clients = AwsClients(Settings.from_env())
    cached = ensure_models(clients, data=data, train_end=args.start, cache=args.models)
    for target, source in cached.items():
        print(f"model {target}: {source}")
    options = ReplayOptions(
        households=args.households,
        days=args.days,
        start=args.start,
        data=data,
        seed=args.seed,
        readings_per_record=60,
        bad_share=args.bad_share,
        duplicate_share=args.duplicate_share,
    )
    sent = replay(options, clients)
    print(format_summary(sent))
    print("draining the streams through ingest, preprocess, alerts and statements ...", flush=True)
    wait_until_drained(clients.settings)
    ok = print_table(clients, sent)
    print_monitor(clients)
    print_plots(clients, sent, args.out)
    print(f"plots in {args.out.resolve()}\ndemo finished in {time.monotonic() - started:.1f} s")
    household = sorted(sent.readings_by_household)[0]
    print_statement(
        household,
        Month.of(utc_timestamp(args.start).to_pydatetime() + timedelta(days=args.days) - HOUR),
        args.out,
    )
    print_api(clients, state, household)
    return ok


def _running_stack(settings: Settings) -> dict[str, Any]:
    """The running stack's state (started in the background if none runs), with this process's
    environment pointed at it."""
    state = read_state(settings)
    if state is None:
        start_in_background(settings, port=0, localstack=False, wait_seconds=STACK_START_SECONDS)
        state = read_state(settings)
    if state is None or not state.get("portal"):
        raise StackError(f"no stack with a household API runs; see {settings.stack_dir / 'stack.log'}")
    os.environ.update(stack_environment(state))
    reset_clients()
    return state


def print_monitor(clients: AwsClients) -> None:
    """What `wattcast monitor` shows: production error against the models' test error (after the
    fleet's drift sweep, which runs daily on its own)."""
    sweep_fleet(aws_ports(), clients.settings, time.time())
    report = monitor_report(
        DynamoAccuracyStore(clients), S3Baselines(clients), clients.settings.accuracy_window_days
    )
    print("\n".join(["", "wattcast monitor:", *format_report(report), ""]))


def print_statement(household: str, month: Month, out: Path) -> None:
    """One monthly statement, as `wattcast report` writes it (the month replayed so far)."""
    try:
        written = write_statements(StatementRequest(month=str(month), household_id=household, out=out))
    except StatementCommandError as exc:
        print(f"no statement: {exc}")
        return
    for one in written:
        print(f"statement of {household} for {month}: {one.pdf.resolve()} (and .html), {one.seconds:.2f} s")


def print_api(clients: AwsClients, state: dict[str, Any], household: str) -> None:
    """The household's page with a token, the operator's, and a request that works against the API
    (the stack keeps running)."""
    summary = f"{state['portal']}/households/{household}/summary"
    command = wattcast_command()
    household_token = issue(
        clients.settings, TokenRequest(household_id=household, ttl_seconds=PAGE_TOKEN_SECONDS)
    )
    operator_token = issue(clients.settings, TokenRequest(operator=True, ttl_seconds=PAGE_TOKEN_SECONDS))
    print(
        f"\nthe household's page (signed in for 8 hours): {state['portal']}/#token={household_token}\n"
        f"the operator's page: {state['portal']}/operator#token={operator_token}\n"
        f"household API: {state['portal']} (contract: services/portal/openapi.yaml)\n"
        f'  curl -s -H "Authorization: Bearer $({command} portal token --household {household})" {summary}\n'
        f'the stack keeps running: `{command} stack status`, `eval "$({command} stack env)"`; '
        f"`{command} stack down` stops it"
    )


def wattcast_command() -> str:
    """How this shell reaches `wattcast`: by name when it is on PATH, else the virtualenv's script
    (make demo runs it from .venv/bin without activating the environment)."""
    if shutil.which("wattcast"):
        return "wattcast"
    script = Path(sys.executable).with_name("wattcast")
    if not script.exists():
        return f"{sys.executable} -m scripts.cli"
    with contextlib.suppress(ValueError):
        return str(script.relative_to(Path.cwd()))
    return str(script)


def print_table(clients: AwsClients, sent: ReplaySummary) -> bool:
    # A retried batch sends its dead letters again (at least once): count each rejected record once.
    unique = {(letter["record_id"], letter["index_in_record"]): letter for letter in dead_letters(clients)}
    quarantined = Counter(letter["partition_key"] for letter in unique.values())
    print(
        f"\n{'household':<9} {'readings':>8} {'bad':>4} {'last hour (UTC)':>21} {'kW':>5} "
        f"{'next hour':>9} {'forecasts':>9} {'month to date':>13} {'projected month kWh (80%)':>27}"
    )
    ok = True
    for household in sorted(sent.readings_by_household):
        rows = hourly_rows(clients, household)
        stored = sum(row.minutes for row in rows)
        view = latest(clients, household)
        good = (
            stored == sent.readings_by_household[household]
            and quarantined[household] == sent.malformed_by_household[household]
        )
        ok &= good and view["lstm"] is not None and view["month"] is not None
        last = rows[-1]
        power = last.means["global_active_power"]
        next_hour = f"{view['lstm']['kw'][0]:.2f}" if view["lstm"] else "-"
        count = len(forecast_items(clients, household, "lstm"))
        month = view["month"]
        to_date = f"{month['actual_to_date_kwh']:.1f}" if month else "-"
        projected = (
            f"{month['projected_month_kwh']:.0f} ({month['projected_month_kwh_lower']:.0f}-"
            f"{month['projected_month_kwh_upper']:.0f})"
            if month
            else "-"
        )
        print(
            f"{household:<9} {stored:>8,} {quarantined[household]:>4} {format_ts(last.hour):>21} "
            f"{(power or 0):>5.2f} {next_hour:>9} {count:>9} {to_date:>13} {projected:>27}"
        )
    print(
        "\nevery good reading stored once, every malformed record quarantined, "
        "forecasts and projections stored"
        if ok
        else "\nMISMATCH: see the table"
    )
    return ok


def print_plots(clients: AwsClients, sent: ReplaySummary, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    households = sorted(sent.readings_by_household)
    figure, axes = plt.subplots(len(households), 1, figsize=(13, 2.6 * len(households)), squeeze=False)
    for axis, household in zip(axes[:, 0], households, strict=True):
        rows = hourly_rows(clients, household)
        forecasts = sorted(forecast_items(clients, household, "lstm"), key=lambda f: f["issued_for"])
        axis.plot(
            [r.hour for r in rows],
            [r.means["global_active_power"] for r in rows],
            color="black",
            lw=0.9,
            label="actual hourly mean",
        )
        axis.plot(
            [utc_timestamp(f["issued_for"]) for f in forecasts],
            [f["kw"][0] for f in forecasts],
            color="tab:orange",
            lw=0.9,
            label="next-hour forecast (LSTM)",
        )
        axis.set_ylabel(f"{household} kW")
    axes[0, 0].legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(out / "forecast_vs_actual.png", dpi=90)
    plt.close(figure)
    _prophet_plot(clients, households[0], out)


def _prophet_plot(clients: AwsClients, household: str, out: Path) -> None:
    """The forecaster's own PNG answer (forecast + components) for the first household's month."""
    rows = hourly_rows(clients, household)
    as_of = (rows[-1].hour - timedelta(hours=rows[-1].hour.hour)).date()
    request = projection_request(household, as_of, rows)
    runtime = clients.client("sagemaker-runtime")
    response = runtime.invoke_endpoint(
        EndpointName=clients.settings.forecaster_endpoint,
        TargetModel=clients.settings.prophet_default_model,
        ContentType="application/json",
        Accept="image/png",
        Body=json.dumps(request),
    )
    (out / "prophet_month.png").write_bytes(response["Body"].read())
