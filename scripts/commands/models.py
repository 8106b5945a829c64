"""`wattcast models push|status|promote|rollback|retrain`: the bundles in the models prefix (S3) and
the model pointers (SSM) that name each slot's champion."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scripts.commands import given

SLOTS = ("lstm", "prophet-default")
RETRAIN_OPTIONS = (
    "lookback",
    "horizon",
    "units",
    "epochs",
    "max_minutes",
    "validation_days",
    "seed",
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("models", help="model bundles (S3) and their pointers (SSM)")
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    _push(commands)
    status = commands.add_parser("status", help="each slot's champion, previous champions and holdout")
    status.set_defaults(func=run_status)
    promote = commands.add_parser(
        "promote",
        help="score a published bundle and the slot's champion on the recent holdout; point the slot "
        "at it only if it is better (exit 1 when it is not)",
    )
    promote.add_argument("slot", choices=SLOTS)
    promote.add_argument("target", help="the challenger, e.g. lstm/20261201120624.tar.gz")
    promote.add_argument("--force", action="store_true", help="promote even if it is not better (reported)")
    promote.add_argument("--household", action="append", help="score these households only (default all)")
    promote.set_defaults(func=run_promote)
    rollback = commands.add_parser("rollback", help="restore the slot's previous champion")
    rollback.add_argument("slot", choices=SLOTS)
    rollback.set_defaults(func=run_rollback)
    _retrain(commands)


def _push(commands: Any) -> None:
    push = commands.add_parser(
        "push",
        help="upload the LSTM and the default Prophet bundle from the cache (out/models), training "
        "quick ones first where the cache has none; sidecars and pointers too",
    )
    push.add_argument(
        "--cache", type=Path, default=Path("out/models"), help="bundle cache (default out/models)"
    )
    push.add_argument("--data", type=Path, help="UCI file to train on; default: the bundled slice")
    push.add_argument(
        "--train-end", default="2010-02-01", help="first day not trained on (default 2010-02-01)"
    )
    push.set_defaults(func=run_push)


def _retrain(commands: Any) -> None:
    retrain = commands.add_parser(
        "retrain",
        help="train the slot's model on the hourly table before the recent holdout, publish it as a new "
        "version and promote it if it beats the champion there (what the schedule runs)",
    )
    retrain.add_argument("slot", choices=SLOTS)
    retrain.add_argument("--household", action="append", help="stored household (default all); repeatable")
    for name, kind in (("lookback", int), ("horizon", int), ("units", int), ("epochs", int)):
        retrain.add_argument(f"--{name}", type=kind, default=argparse.SUPPRESS, help="LSTM only")
    retrain.add_argument("--max-minutes", type=float, default=argparse.SUPPRESS, help="LSTM training budget")
    retrain.add_argument("--validation-days", type=int, default=argparse.SUPPRESS, help="LSTM only")
    retrain.add_argument("--seed", type=int, default=argparse.SUPPRESS)
    retrain.add_argument("--force", action="store_true", help="promote even if it is not better (reported)")
    retrain.add_argument("--report", type=Path, help="also write the report (JSON) here")
    retrain.set_defaults(func=run_retrain)


def run_push(args: argparse.Namespace) -> int:
    from scripts.data.uci import default_data_path
    from scripts.training.default_models import ensure_models
    from services.core.clients import get_clients

    pushed = ensure_models(
        get_clients(), data=args.data or default_data_path(), train_end=args.train_end, cache=args.cache
    )
    for target, source in pushed.items():
        print(f"{target}: {source}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from scripts.registry.aws import slot_status
    from services.core.clients import get_clients

    print(json.dumps(slot_status(get_clients()), indent=2))
    return 0


def run_promote(args: argparse.Namespace) -> int:
    from scripts.registry.aws import promote_target
    from services.core.clients import get_clients
    from services.core.model_pointer import ModelSlot

    report = promote_target(
        get_clients(), ModelSlot(args.slot), args.target, households=args.household or (), force=args.force
    )
    print(json.dumps(report, indent=2))
    return 0 if report["promoted"] else 1


def run_rollback(args: argparse.Namespace) -> int:
    from scripts.registry.aws import rollback_slot
    from services.core.clients import get_clients
    from services.core.model_pointer import ModelSlot

    print(json.dumps(rollback_slot(get_clients(), ModelSlot(args.slot)), indent=2))
    return 0


def run_retrain(args: argparse.Namespace) -> int:
    import logging

    from scripts.registry.retrain import RetrainOptions, retrain
    from services.core.clients import get_clients
    from services.core.model_pointer import ModelSlot

    logging.getLogger("scripts.training.lstm").setLevel(logging.INFO)
    options = RetrainOptions(
        slot=ModelSlot(args.slot),
        households=tuple(args.household or ()),
        force=args.force,
        **given(args, RETRAIN_OPTIONS),  # type: ignore[arg-type]
    )
    report = retrain(get_clients(), options)
    text = json.dumps(report, indent=2)
    print(text)
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text)
    return 0
