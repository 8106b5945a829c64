"""`wattcast demo` (make demo): the embedded stack end to end, with no Docker.

Starts the emulator and the mappings, replays households of real data with malformed records and
duplicates, drains the streams through the ingest handler, prints a per-household summary and checks
it against what was sent: every good reading stored once, every malformed record in the dead letters.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.inspect_stores import dead_letters, hour_closed_events, hourly_rows
from scripts.replay import ReplayOptions, ReplaySummary, format_summary, replay
from scripts.stack import EmbeddedStack
from services.core.clients import AwsClients


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the embedded system end to end and print a summary")
    parser.add_argument("--households", type=int, default=5)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--data", type=Path, help="UCI file; default: the bundled slice of real data")
    parser.add_argument(
        "--bad-share", type=float, default=0.02, help="share of malformed records (default 2%%)"
    )
    parser.add_argument(
        "--duplicate-share", type=float, default=0.01, help="share of duplicates (default 1%%)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one JSON line per batch otherwise
    started = time.monotonic()
    stack = EmbeddedStack()
    try:
        endpoint = stack.start()
        print(f"embedded stack on {endpoint} (moto server, ingest mapping running in-process)")
        options = ReplayOptions(
            households=args.households,
            days=args.days,
            data=args.data,
            seed=args.seed,
            bad_share=args.bad_share,
            duplicate_share=args.duplicate_share,
        )
        sent = replay(options, stack.clients)
        print(format_summary(sent))
        print("draining the streams through the ingest handler ...", flush=True)
        stack.run_until_idle(idle_seconds=1.0, timeout=600)
        assert stack.clients is not None
        ok = print_household_summary(stack.clients, sent)
    finally:
        stack.stop()
    print(f"demo finished in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


def print_household_summary(clients: AwsClients, sent: ReplaySummary) -> bool:
    rows = hourly_rows(clients)
    accepted: Counter[str] = Counter()
    hours: Counter[str] = Counter()
    for row in rows:
        accepted[row.household_id] += row.minutes
        hours[row.household_id] += 1
    quarantined = Counter(letter["partition_key"] for letter in dead_letters(clients))
    closed = Counter(event["household_id"] for event in hour_closed_events(clients))
    print(
        f"\n{'household':<10} {'accepted':>9} {'expected':>9} {'quarantined':>12} {'injected':>9} "
        f"{'hours':>6} {'closed':>7}"
    )
    ok = True
    for household in sorted(sent.readings_by_household):
        expected, injected = sent.readings_by_household[household], sent.malformed_by_household[household]
        good = accepted[household] == expected and quarantined[household] == injected
        ok &= good
        print(
            f"{household:<10} {accepted[household]:>9,} {expected:>9,} {quarantined[household]:>12,} "
            f"{injected:>9,} {hours[household]:>6,} {closed[household]:>7,}  {'ok' if good else 'MISMATCH'}"
        )
    print(
        "\nevery good reading stored exactly once, every malformed record quarantined with its reason"
        if ok
        else "\nMISMATCH between what was sent and what was stored",
        file=sys.stdout if ok else sys.stderr,
    )
    return ok
