"""`wattcast bench ingest|forecaster|pipeline|load|projections|portal|pages`: benchmarks printing figures."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks that print figures")
    commands = parser.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    ingest = commands.add_parser("ingest", help="ingest handler throughput and AWS calls per 1,000 readings")
    ingest.add_argument("--households", type=int, default=20)
    ingest.add_argument("--hours", type=int, default=12)
    ingest.add_argument("--batch-size", type=int, default=500)
    ingest.add_argument(
        "--bad-share", type=float, default=0.02, help="share of malformed records (default 2%%)"
    )
    ingest.add_argument("--json", action="store_true", help="print the figures as JSON")
    ingest.set_defaults(func=run_ingest)
    forecaster = commands.add_parser(
        "forecaster", help="forecaster latency, throughput, Prophet load and memory"
    )
    forecaster.add_argument("--hours", type=int, default=48, help="hours per instance in requests")
    forecaster.add_argument("--repeat", type=int, default=2000, help="forecasts per latency measurement")
    forecaster.add_argument(
        "--prophet-models", type=int, default=30, help="Prophet models loaded to measure memory"
    )
    forecaster.add_argument(
        "--lstm-bundle",
        type=Path,
        help="a trained LSTM bundle (e.g. out/lstm/model.tar.gz) instead of the sample one",
    )
    forecaster.set_defaults(func=run_forecaster)
    pipeline = commands.add_parser(
        "pipeline", help="end-to-end latency, forecasts/s, AWS calls per 1,000 readings"
    )
    pipeline.add_argument("--households", type=int, default=10)
    pipeline.add_argument("--days", type=float, default=4.0)
    pipeline.add_argument(
        "--per-record",
        type=int,
        nargs="+",
        default=None,
        help="readings per record, per run (flood: 60 1; steady pace: the first value, default 1)",
    )
    pipeline.add_argument(
        "--pace",
        type=float,
        nargs="+",
        metavar="READINGS_PER_S",
        help="steady pace instead of a flood: one run per pace (households seeded with history), "
        "then the capacity where the p95 passes 2 s",
    )
    pipeline.add_argument(
        "--hours", type=int, default=6, help="steady pace: hours streamed per household (default 6)"
    )
    pipeline.set_defaults(func=run_pipeline)
    load = commands.add_parser(
        "load",
        help="the streaming path for a fleet, AWS stubbed and against the emulator: readings/s, "
        "forecasts/s, CPU s per household-hour, AWS calls per reading",
    )
    load.add_argument("--households", type=int, default=1000)
    load.add_argument("--hours", type=int, default=3, help="hours streamed per household")
    load.add_argument("--warm-hours", type=int, default=48, help="history seeded per household")
    load.add_argument("--per-record", type=int, default=60, help="readings per record")
    load.add_argument("--mode", choices=("stubbed", "emulator"), nargs="+", default=["stubbed", "emulator"])
    load.add_argument(
        "--pace",
        type=float,
        metavar="READINGS_PER_S",
        help="against the emulator, publish at this steady pace instead of a flood (the stubbed run "
        "has no clock: it is unchanged)",
    )
    load.set_defaults(func=run_load)
    projections = commands.add_parser(
        "projections",
        help="one household's month projection on each route: the multi-model endpoint (load, invoke, "
        "unload) and the nightly job's in-process path; ms and CPU ms per household",
    )
    projections.add_argument("--households", type=int, default=50)
    projections.add_argument(
        "--bundle", type=Path, help="a Prophet model.tar.gz (default: the sample bundle)"
    )
    projections.set_defaults(func=run_projections)
    portal = commands.add_parser("portal", help="the household API's summary under wrk: p50, p99, requests/s")
    portal.add_argument("--households", type=int, default=100)
    portal.add_argument("--seconds", type=int, default=30, help="how long wrk runs")
    portal.add_argument(
        "--connections", type=int, default=4, help="wrk connections (the emulator serves one call at a time)"
    )
    portal.add_argument("--workers", type=int, default=2, help="gunicorn workers of the local API")
    portal.add_argument(
        "--store",
        choices=("emulator", "dynalite", "memory"),
        default="emulator",
        help="the tables in the stack's emulator (moto, default), in dynalite (npm), or in memory",
    )
    portal.set_defaults(func=run_portal)
    pages = commands.add_parser(
        "pages", help="the household page's load time in chromium, and a statement's generation time"
    )
    pages.add_argument("--households", type=int, default=20, help="households seeded (one statement each)")
    pages.add_argument(
        "--loads", type=int, default=10, help="page loads timed, each in a new browser context"
    )
    pages.set_defaults(func=run_pages)


def _quiet_lambdas() -> None:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one JSON line per batch otherwise


def run_ingest(args: argparse.Namespace) -> int:
    from scripts.bench.ingest import format_ingest, measure_ingest

    _quiet_lambdas()
    figures = measure_ingest(args.households, args.hours, args.batch_size, args.bad_share)
    print(json.dumps(asdict(figures), indent=2) if args.json else format_ingest(figures, args.households))
    return 0


def run_forecaster(args: argparse.Namespace) -> int:
    from scripts.bench.forecaster import forecaster_figures

    figures = forecaster_figures(args.hours, args.repeat, args.prophet_models, lstm_bundle=args.lstm_bundle)
    print(json.dumps(figures, indent=2))
    return 0


def run_pipeline(args: argparse.Namespace) -> int:
    from scripts.bench.pipeline import PacedOptions, paced_figures, pipeline_figures

    _quiet_lambdas()
    if args.pace:
        if min(args.pace) <= 0 or args.hours < 1:
            raise SystemExit("--pace must be positive and --hours at least 1")
        per_record = args.per_record[0] if args.per_record else 1
        options = PacedOptions(households=args.households, hours=args.hours, per_record=per_record)
        print(json.dumps(paced_figures(options, tuple(args.pace)), indent=2))
        return 0
    per_records = tuple(args.per_record or (60, 1))
    print(json.dumps(pipeline_figures(args.households, args.days, per_records), indent=2))
    return 0


def run_load(args: argparse.Namespace) -> int:
    from scripts.bench.load import LoadOptions, load_figures

    if min(args.households, args.hours, args.per_record) < 1 or args.warm_hours < 0:
        raise SystemExit("--households, --hours and --per-record must be at least 1")
    if args.pace is not None and not 0 < args.pace < float("inf"):
        raise SystemExit("--pace must be a positive number of readings per second")
    _quiet_lambdas()
    options = LoadOptions(args.households, args.hours, args.warm_hours, args.per_record, pace=args.pace)
    print(json.dumps(load_figures(options, tuple(args.mode)), indent=2))
    return 0


def run_projections(args: argparse.Namespace) -> int:
    from scripts.bench.projections import projection_routes

    if args.households < 1:
        raise SystemExit("--households must be at least 1")
    print(json.dumps(projection_routes(args.households, args.bundle), indent=2))
    return 0


def run_portal(args: argparse.Namespace) -> int:
    from scripts.bench.portal import PortalBenchOptions, portal_figures

    _quiet_lambdas()
    options = PortalBenchOptions(
        households=args.households,
        seconds=args.seconds,
        connections=args.connections,
        workers=args.workers,
        store=args.store,
    )
    print(json.dumps(portal_figures(options), indent=2))
    return 0


def run_pages(args: argparse.Namespace) -> int:
    from scripts.bench.pages import pages_figures

    if args.households < 1 or args.loads < 1:
        raise SystemExit("--households and --loads must be at least 1")
    _quiet_lambdas()
    print(json.dumps(pages_figures(args.households, args.loads), indent=2))
    return 0
