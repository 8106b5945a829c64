"""`wattcast report`: a household's monthly statement (HTML and PDF), stored where the API links it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a household's monthly statement (HTML and PDF) to S3 and a folder",
        description="Reads the stack the environment points at (else the running local stack).",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--household", help="the household id")
    who.add_argument("--all", action="store_true", help="every household the households table holds")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--out", type=Path, default=Path("out/statements"), help="where to copy the files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scripts.local.statements import StatementRequest, write_statements

    request = StatementRequest(household_id=args.household, month=args.month, out=args.out)
    written = write_statements(request)
    for one in written:
        print(f"{one.household_id} {one.month}: {one.pdf} and {one.html} in {one.seconds:.2f} s")
    print(f"{len(written)} written; the API links each at /households/<id>/statements/{args.month}")
    return 0 if written else 1
