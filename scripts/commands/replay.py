"""`wattcast replay`: publish simulated households of real data into the readings stream."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("replay", help="publish real (or simulated) meter readings into Kinesis")
    parser.add_argument("--households", type=int, default=5, help="households to simulate (default 5)")
    parser.add_argument("--days", type=float, default=3.0, help="days of minutes to send (default 3)")
    parser.add_argument("--start", help="first minute, ISO date/time (default: first midnight in the data)")
    parser.add_argument(
        "--data", type=Path, help="UCI file (.txt, .zip, .txt.gz); default: the bundled slice"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated households and faults")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="simulated minutes per second (0 = max speed)"
    )
    parser.add_argument("--per-record", type=int, default=1, help="readings per record (a JSON array if > 1)")
    parser.add_argument("--aggregate", action="store_true", help="KPL-aggregate records per household")
    parser.add_argument("--bad-share", type=float, default=0.0, help="share of extra malformed records, 0..1")
    parser.add_argument(
        "--duplicate-share", type=float, default=0.0, help="share of records sent twice, 0..1"
    )
    parser.add_argument(
        "--late-share", type=float, default=0.0, help="share of records sent one step late, 0..1"
    )
    parser.add_argument("--stream", help="stream name (default: settings, WATTCAST_READINGS_STREAM)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scripts.data.replay import ReplayOptions, format_summary, replay

    options = ReplayOptions(
        households=args.households,
        days=args.days,
        start=args.start,
        data=args.data,
        seed=args.seed,
        rate=args.rate,
        readings_per_record=args.per_record,
        aggregate=args.aggregate,
        bad_share=args.bad_share,
        duplicate_share=args.duplicate_share,
        late_share=args.late_share,
        stream=args.stream,
        progress=not args.no_progress,
    )
    summary = replay(options)
    print(json.dumps(summary.to_json(), indent=2) if args.json else format_summary(summary))
    return 0 if summary.failed == 0 else 1
