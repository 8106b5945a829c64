"""The event source mappings for Lambda container images (docker-compose's runner).

One mapping per function of `scripts.local.mappings.default_mappings`, each invoking through a local
Lambda Runtime API that the function's image polls (AWS_LAMBDA_RUNTIME_API=<runner host>:<port>).
`wattcast lambdas init|serve` runs it.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from scripts.local.bootstrap import bootstrap
from scripts.local.esm.checkpoints import CheckpointStore
from scripts.local.esm.runner import MappingRunner
from scripts.local.lambda_runtime_api import RuntimeApiInvoker
from scripts.local.mappings import default_mappings
from scripts.local.termination import Termination
from services.core.clients import AwsClients
from services.core.errors import WattcastError
from services.core.retry import Backoff
from services.core.settings import Settings

logger = logging.getLogger(__name__)

# Where each function's Runtime API listens unless --runtime-api says otherwise (loopback by default;
# docker-compose binds 0.0.0.0 so the function containers reach it).
DEFAULT_PORTS = {"ingest": 9001, "preprocess": 9002, "alerts": 9003, "statements": 9005, "accuracy": 9006}
DEFAULT_HOST = "127.0.0.1"


class RunnerConfigError(WattcastError):
    """A --runtime-api value is malformed or names no function, or the AWS endpoint never answered."""


def short_names(settings: Settings) -> dict[str, str]:
    """Function name -> its short name (the key of --runtime-api and DEFAULT_PORTS)."""
    return {
        settings.ingest_function: "ingest",
        settings.preprocess_function: "preprocess",
        settings.alerts_function: "alerts",
        settings.statements_function: "statements",
        settings.accuracy_function: "accuracy",
    }


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


EMULATOR_START_BACKOFF = Backoff(first_delay=2.0, max_delay=2.0, max_attempts=10_000, jitter=False)


def init_resources(
    settings: Settings, readings_shards: int, wait_seconds: float, backoff: Backoff = EMULATOR_START_BACKOFF
) -> None:
    """Bootstrap, retrying while the emulator is still starting (LocalStack takes a few seconds)."""
    failure: Exception | None = None
    for _ in backoff.attempts(deadline=backoff.clock() + wait_seconds):
        try:
            bootstrap(AwsClients(settings), readings_shards=readings_shards)
            return
        except (BotoCoreError, ClientError) as exc:
            logger.info("AWS endpoint not ready (%s); retrying", exc)
            failure = exc
    raise RunnerConfigError(f"the AWS endpoint did not answer within {wait_seconds:.0f} s: {failure}")


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


def run_until_terminated(
    settings: Settings, addresses: dict[str, tuple[str, int]], checkpoints: CheckpointStore | None
) -> None:
    """Serve the mappings until SIGTERM or Ctrl-C."""
    runner = LambdaRunner(settings, addresses, checkpoints)
    termination = Termination()
    try:
        runner.start()
        print("lambda runner ready; SIGTERM or Ctrl-C stops it", flush=True)
        termination.wait()
    finally:
        runner.stop()
