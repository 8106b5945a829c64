"""`wattcast lambdas`: the event source mappings for Lambda container images (docker-compose).

`lambdas init` creates the streams, tables, bucket and queues (the compose one-shot `init`).
`lambdas serve` runs one mapping per function of `scripts.local.mappings.default_mappings`, each
invoking through a local Lambda Runtime API that the function's image polls
(AWS_LAMBDA_RUNTIME_API=<runner host>:<port>), until SIGTERM or Ctrl-C.

Also runnable without the rest of the CLI: `python -m scripts.local.lambda_runner serve ...` (the Lambda
images carry only their own dependencies).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts.local.bootstrap import bootstrap
from scripts.local.esm.checkpoints import CheckpointStore, JsonFileCheckpointStore
from scripts.local.esm.runner import MappingRunner
from scripts.local.lambda_runtime_api import RuntimeApiInvoker
from scripts.local.mappings import default_mappings
from scripts.local.termination import Termination
from services.core.clients import AwsClients
from services.core.errors import WattcastError
from services.core.settings import Settings

logger = logging.getLogger(__name__)

# Where each function's Runtime API listens unless --runtime-api says otherwise (loopback by default;
# docker-compose binds 0.0.0.0 so the function containers reach it).
DEFAULT_PORTS = {"ingest": 9001, "preprocess": 9002}
DEFAULT_HOST = "127.0.0.1"


class RunnerConfigError(WattcastError):
    """A --runtime-api value is malformed or names no function."""


def short_names(settings: Settings) -> dict[str, str]:
    """Function name -> its short name (the key of --runtime-api and DEFAULT_PORTS)."""
    return {settings.ingest_function: "ingest", settings.preprocess_function: "preprocess"}


def parse_runtime_apis(values: list[str], settings: Settings) -> dict[str, tuple[str, int]]:
    """`ingest=0.0.0.0:9001` (short or full function name) -> {function name: (host, port)}."""
    names = short_names(settings)
    addresses = {function: (DEFAULT_HOST, DEFAULT_PORTS[short]) for function, short in names.items()}
    for value in values:
        name, _, address = value.partition("=")
        host, _, port = address.rpartition(":")
        function = next((full for full, short in names.items() if name in (full, short)), None)
        if function is None or not host or not port.isdigit():
            raise RunnerConfigError(
                f"--runtime-api {value!r}: expected FUNCTION=HOST:PORT with FUNCTION one of "
                f"{', '.join(sorted([*names.values(), *names]))}"
            )
        addresses[function] = (host, int(port))
    return addresses


def init_resources(settings: Settings, readings_shards: int, wait_seconds: float) -> None:
    """Bootstrap, retrying while the emulator is still starting (LocalStack takes a few seconds)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            bootstrap(AwsClients(settings), readings_shards=readings_shards)
            return
        except (BotoCoreError, ClientError) as exc:
            if time.monotonic() > deadline:
                raise
            logger.info("AWS endpoint not ready (%s); retrying", exc)
            time.sleep(2.0)


class LambdaRunner:
    """One RuntimeApiInvoker and one MappingRunner per mapping."""

    def __init__(
        self,
        settings: Settings,
        addresses: dict[str, tuple[str, int]],
        checkpoints: CheckpointStore | None = None,
    ) -> None:
        self.settings = settings
        self.clients = AwsClients(settings)
        self.invokers: dict[str, RuntimeApiInvoker] = {}
        self.runners: list[MappingRunner] = []
        region = self.clients.s3.meta.region_name or "us-east-1"
        for mapping in default_mappings(settings):
            if mapping.function_name not in addresses:
                raise RunnerConfigError(f"no --runtime-api address for {mapping.function_name}")
            host, port = addresses[mapping.function_name]
            invoker = RuntimeApiInvoker(host, port, region=region)
            self.invokers[mapping.function_name] = invoker
            self.runners.append(MappingRunner(mapping, invoker, self.clients, settings, checkpoints))

    def start(self) -> None:
        for invoker in self.invokers.values():
            invoker.start()
        for runner in self.runners:
            runner.start()
            address = self.invokers[runner.mapping.function_name].address
            logger.info(
                "%s <- %s: runtime API on %s",
                runner.mapping.function_name,
                runner.mapping.stream_name,
                address,
            )

    def stop(self) -> None:
        for runner in self.runners:
            runner.stop(timeout=10)
        for invoker in self.invokers.values():
            invoker.stop()


def init(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    init_resources(settings, args.readings_shards, args.wait)
    print(
        f"resources ready: streams {settings.readings_stream}, {settings.hourly_stream}; "
        f"bucket {settings.data_bucket}"
    )
    return 0


def serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    addresses = parse_runtime_apis(args.runtime_api or [], settings)
    if args.bootstrap:
        init_resources(settings, args.readings_shards, args.wait)
    checkpoints = JsonFileCheckpointStore.in_directory(args.state_dir) if args.state_dir else None
    runner = LambdaRunner(settings, addresses, checkpoints)
    termination = Termination()
    try:
        runner.start()
        print("lambda runner ready; SIGTERM or Ctrl-C stops it", flush=True)
        termination.wait()
    finally:
        runner.stop()
    return 0


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
        if name == "serve":
            defaults = ", ".join(f"{short}={DEFAULT_HOST}:{port}" for short, port in DEFAULT_PORTS.items())
            command.add_argument(
                "--runtime-api",
                action="append",
                metavar="FUNCTION=HOST:PORT",
                help=f"where a function's Runtime API listens (repeatable; default {defaults})",
            )
            command.add_argument("--bootstrap", action="store_true", help="create the resources first")
            command.add_argument(
                "--state-dir", type=Path, help="keep shard checkpoints in this folder (default: memory)"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.local.lambda_runner")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(["lambdas", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except (WattcastError, BotoCoreError, ClientError) as exc:
        print(f"wattcast lambdas: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
