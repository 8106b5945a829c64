"""`wattcast models push`: put the models the pipeline asks for where the endpoint fetches them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("models", help="model bundles in the models prefix (S3)")
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    push = commands.add_parser(
        "push",
        help="upload the LSTM and the default Prophet bundle from the cache (out/models), training "
        "quick ones first where the cache has none",
    )
    push.add_argument(
        "--cache", type=Path, default=Path("out/models"), help="bundle cache (default out/models)"
    )
    push.add_argument("--data", type=Path, help="UCI file to train on; default: the bundled slice")
    push.add_argument(
        "--train-end", default="2010-02-01", help="first day not trained on (default 2010-02-01)"
    )
    push.set_defaults(func=run_push)


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
