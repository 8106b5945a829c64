"""`wattcast demo` (make demo): the whole system in the embedded mode, with no Docker."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the embedded system end to end and print a summary")
    parser.set_defaults(func=run)
    option = functools.partial(parser.add_argument, default=argparse.SUPPRESS)
    option("--households", type=int, help="households replayed (default 5)")
    option("--days", type=float, help="days replayed (default 10)")
    option("--start", help="first replayed day, default 2010-02-01; models train before it")
    option("--data", type=Path, help="UCI file; default: the bundled slice of real data")
    option("--bad-share", type=float, help="share of malformed records (default 2%%)")
    option("--duplicate-share", type=float, help="share of duplicates (default 1%%)")
    option("--out", type=Path, help="where plots go (default out/demo)")
    option("--models", type=Path, help="bundle cache (default out/models)")
    option("--seed", type=int, help="seed of the households and faults (default 0)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from scripts.commands import given
    from scripts.local.demo import DemoOptions, run_demo

    options = DemoOptions(**given(args, tuple(f.name for f in fields(DemoOptions))))  # type: ignore[arg-type]
    return 0 if run_demo(options) else 1
