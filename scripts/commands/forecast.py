"""`wattcast forecast show`: a household's latest stored forecast and month projection."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("forecast", help="read stored forecasts")
    commands = parser.add_subparsers(dest="forecast_command", required=True, metavar="ACTION")
    show = commands.add_parser("show", help="the latest LSTM forecast and month projection of a household")
    show.add_argument("--household", required=True)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    from scripts.stores.forecasts import format_latest, latest
    from services.core.clients import get_clients

    view = latest(get_clients(), args.household)
    print(json.dumps(view, indent=2) if args.json else format_latest(view))
    return 0 if view["lstm"] or view["month"] else 1
