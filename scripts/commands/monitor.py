"""`wattcast monitor`: production forecast error, fleet and household, against the models' test error."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "monitor",
        help="production forecast error (fleet, households, months) beside the models' test error",
        description="Reads the accuracy table of the stack the environment points at (else the running "
        "local stack).",
    )
    parser.add_argument("--household", action="append", help="only this household (repeatable)")
    parser.add_argument("--days", type=int, help="window in days (default: the accuracy_window_days setting)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scripts.local.stack_control import use_local_stack_unless_pointed
    from scripts.monitoring.report import format_report, monitor_report
    from services.accuracy.aws import DynamoAccuracyStore, S3Baselines
    from services.core.clients import get_clients

    use_local_stack_unless_pointed()
    clients = get_clients()
    window = args.days or clients.settings.accuracy_window_days
    if window < 1:
        raise SystemExit("--days must be >= 1")
    report = monitor_report(DynamoAccuracyStore(clients), S3Baselines(clients), window, args.household)
    print(json.dumps(report.as_json(), indent=2) if args.json else "\n".join(format_report(report)))
    return 0
