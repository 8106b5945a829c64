"""`wattcast forecast show`: a household's latest stored forecast and month projection.
`wattcast forecast project`: the nightly month projections (the batch route) against the stack."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("forecast", help="read stored forecasts")
    commands = parser.add_subparsers(dest="forecast_command", required=True, metavar="ACTION")
    show = commands.add_parser("show", help="the latest LSTM forecast and month projection of a household")
    show.add_argument("--household", required=True)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)
    project = commands.add_parser(
        "project",
        help="the nightly month projections (the batch route): every household whose day before --as-of "
        "closed, through its own Prophet bundle else the default, into the forecasts table",
    )
    project.add_argument(
        "--as-of", required=True, type=_date, help="YYYY-MM-DD: project from the days before it"
    )
    project.add_argument("--household", action="append", help="only this household (repeatable)")
    project.set_defaults(func=run_project)


def run_show(args: argparse.Namespace) -> int:
    from scripts.stores.forecasts import format_latest, latest
    from services.core.clients import get_clients

    view = latest(get_clients(), args.household)
    print(json.dumps(view, indent=2) if args.json else format_latest(view))
    return 0 if view["lstm"] or view["month"] else 1


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def run_project(args: argparse.Namespace) -> int:
    from scripts.local.stack_control import use_local_stack_unless_pointed
    from services.core.clients import get_clients
    from services.projections.__main__ import night_ports
    from services.projections.job import project_night

    use_local_stack_unless_pointed()
    clients = get_clients()
    outcome = project_night(
        args.as_of, night_ports(clients, clients.settings), clients.settings, args.household
    )
    print(json.dumps(outcome.summary(), indent=2))
    for household_id, reason in sorted(outcome.failed.items()):
        print(f"  {household_id}: {reason}")
    return 1 if outcome.failed else 0
