"""`wattcast`: the one entry point of the laptop tooling (commands in scripts/commands/)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from scripts.commands import COMMAND_MODULES
from services.core.errors import WattcastError

QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "werkzeug", "tensorflow", "tf2onnx", "absl", "cmdstanpy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wattcast",
        description="Forecast household electricity use from smart-meter streams on AWS.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter; errors still show
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)  # "plotly failed": we plot with matplotlib
    try:
        return int(args.func(args))
    except WattcastError as exc:
        print(f"wattcast: error: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"wattcast: AWS error: {exc}", file=sys.stderr)
        if not os.environ.get("AWS_ENDPOINT_URL"):
            print(
                "  (AWS_ENDPOINT_URL is not set: for the embedded stack run `wattcast stack up` and\n"
                '   `eval "$(wattcast stack env)"`)',
                file=sys.stderr,
            )
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
