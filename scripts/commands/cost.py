"""`wattcast cost [--households N ...]` and `wattcast cost measure`: the monthly AWS cost for N
households, from the measured usage file and the dated price file."""

from __future__ import annotations

import argparse
import functools
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from scripts.commands import given

MEASURE_OPTIONS = ("households", "days", "readings_per_record", "start", "bad_share", "out", "forecaster")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="the monthly AWS cost for N households (measured usage x dated public prices)",
        description="Prints one line per item (USD a month), the total and the figure per household. "
        "`wattcast cost measure` refreshes the usage file on a replay through the embedded stack.",
    )
    parser.set_defaults(func=run)
    option = functools.partial(parser.add_argument, default=argparse.SUPPRESS)
    option("--households", type=int, help="households priced (required unless measuring)")
    option("--usage", type=Path, help="usage file (default scripts/cost/usage.json)")
    option("--prices", type=Path, help="price file (default scripts/cost/prices.toml)")
    option(
        "--projection-route",
        choices=("endpoint", "batch"),
        help="month projections (the projection_route setting): per request on the multi-model endpoint "
        "as each day closes (endpoint, default) or the nightly SageMaker Processing job (batch)",
    )
    option("--kinesis-mode", choices=("on-demand", "provisioned"), help="stream capacity (default on-demand)")
    option(
        "--lambda-duration",
        choices=("cpu+latency", "emulator"),
        help="Lambda seconds: measured handler CPU plus typical AWS call latency (default), or the wall "
        "time measured against the emulator (an upper bound)",
    )
    option("--readings-per-hour", type=float, help="readings a meter sends an hour (default 60)")
    option("--readings-per-record", type=int, help="readings per Kinesis record (default 1)")
    option("--json", action="store_true", help="print the report as JSON")
    commands = parser.add_subparsers(dest="cost_command", metavar="ACTION")
    measure = commands.add_parser(
        "measure", help="measure the usage file on a replay through the embedded stack (a few minutes)"
    )
    measure.set_defaults(func=run_measure)
    measure_option = functools.partial(measure.add_argument, default=argparse.SUPPRESS)
    measure_option("--households", type=int, help="households replayed (default 10)")
    measure_option("--days", type=float, help="days replayed (default 4)")
    measure_option(
        "--per-record", dest="readings_per_record", type=int, help="readings per record (default 1)"
    )
    measure_option("--start", help="first replayed day (default 2010-01-04)")
    measure_option("--bad-share", type=float, help="share of malformed records (default 2%%)")
    measure_option("--out", type=Path, help="usage file written (default scripts/cost/usage.json)")
    measure_option(
        "--no-forecaster",
        dest="forecaster",
        action="store_false",
        help="keep the forecaster figures of the existing usage file instead of measuring them",
    )


def run(args: argparse.Namespace) -> int:
    from scripts.cost.model import CostOptions, monthly_cost
    from scripts.cost.prices import load_prices
    from scripts.cost.report import format_report, report_json
    from scripts.cost.usage import load_usage

    if not hasattr(args, "households"):
        raise SystemExit("wattcast cost: --households N is required (or `wattcast cost measure`)")
    options = CostOptions(**given(args, tuple(f.name for f in fields(CostOptions))))  # type: ignore[arg-type]
    report = monthly_cost(options, load_usage(options.usage), load_prices(options.prices))
    print(json.dumps(report_json(report), indent=2) if options.json else format_report(report))
    return 0


def run_measure(args: argparse.Namespace) -> int:
    from scripts.cost.measure import MeasureOptions, measure
    from scripts.cost.usage import load_usage

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one JSON line per batch otherwise
    options = MeasureOptions(**given(args, MEASURE_OPTIONS))  # type: ignore[arg-type]
    previous = None if options.forecaster else load_usage(options.out).forecaster
    usage = measure(options, previous)
    print(f"{options.out}: measured {usage.measured_at} by `{usage.produced_by}`")
    for name, function in usage.functions.items():
        print(
            f"  {name:<11} per {function.per:<14} invocations {function.invocations:.6g}, handler s "
            f"{function.handler_seconds:.6g}, WRU {function.dynamodb_write_units:.6g}, "
            f"RRU {function.dynamodb_read_units:.6g}"
        )
    print(f"  forecaster  {usage.forecaster}")
    return 0
