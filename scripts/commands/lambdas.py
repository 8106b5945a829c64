"""`wattcast lambdas init|serve`: docker-compose's runner (the event source mappings that invoke the
Lambda images through their Runtime API) and its one-shot resource creation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Where each function's Runtime API listens by default (kept here so --help needs no import).
DEFAULT_ADDRESSES = "ingest=127.0.0.1:9001, preprocess=127.0.0.1:9002, alerts=127.0.0.1:9003"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lambdas", help="event source mappings for the Lambda images (Runtime API), as docker-compose runs"
    )
    commands = parser.add_subparsers(dest="lambdas_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("init", init, "create the streams, tables, bucket and queues, then exit"),
        ("serve", serve, "poll the streams and invoke the functions through their Runtime APIs"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--readings-shards", type=int, default=2, help="shards of the readings stream")
        command.add_argument(
            "--wait", type=float, default=60.0, help="seconds to retry while the AWS endpoint starts"
        )
        command.set_defaults(func=func)
    serving = commands.choices["serve"]
    serving.add_argument(
        "--runtime-api",
        action="append",
        metavar="FUNCTION=HOST:PORT",
        help=f"where a function's Runtime API listens (repeatable; default {DEFAULT_ADDRESSES})",
    )
    serving.add_argument("--bootstrap", action="store_true", help="create the resources first")
    serving.add_argument(
        "--state-dir", type=Path, help="keep shard checkpoints in this folder (default: memory)"
    )


def init(args: argparse.Namespace) -> int:
    from scripts.local.lambda_runner import init_resources
    from services.core.settings import Settings

    settings = Settings.from_env()
    init_resources(settings, args.readings_shards, args.wait)
    print(
        f"resources ready: streams {settings.readings_stream}, {settings.hourly_stream}; "
        f"bucket {settings.data_bucket}"
    )
    return 0


def serve(args: argparse.Namespace) -> int:
    from scripts.local.esm.checkpoints import JsonFileCheckpointStore
    from scripts.local.lambda_runner import init_resources, parse_runtime_apis, run_until_terminated
    from services.core.settings import Settings

    settings = Settings.from_env()
    addresses = parse_runtime_apis(args.runtime_api or [], settings)
    if args.bootstrap:
        init_resources(settings, args.readings_shards, args.wait)
    checkpoints = JsonFileCheckpointStore.in_directory(args.state_dir) if args.state_dir else None
    run_until_terminated(settings, addresses, checkpoints)
    return 0
