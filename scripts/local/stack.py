"""The embedded stack: an AWS emulator on 127.0.0.1 (moto server), Wattcast's resources, and the
local event source mappings calling the Lambda handlers in-process.

`wattcast stack up` starts it in the background and prints the environment to use it;
`stack status` shows resources and each mapping's iterator age and last error; `stack down` stops it.
With `AWS_ENDPOINT_URL` already set (LocalStack, another emulator), no emulator is started: the
resources are created there and the mappings poll it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from scripts.local.bootstrap import bootstrap
from scripts.local.esm.checkpoints import JsonFileCheckpointStore
from scripts.local.esm.invokers import InProcessInvoker
from scripts.local.esm.runner import MappingRunner
from scripts.local.esm.status import read_status, status_path
from scripts.local.forecaster_process import ForecasterProcess
from scripts.local.mappings import EventSourceMapping, default_mappings
from scripts.local.termination import Termination
from services.core.clients import AwsClients, reset_clients
from services.core.errors import WattcastError
from services.core.settings import Settings

logger = logging.getLogger(__name__)
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"


class StackError(WattcastError):
    """The embedded stack cannot start, stop or be found."""


class EmbeddedStack:
    """Emulator + resources + mappings in this process. Used by `stack up`, the demo and tests."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        port: int = 0,
        readings_shards: int = 2,
        publish_status: bool = False,
    ) -> None:
        self._settings = settings
        self._publish_status = publish_status
        self._port = port
        self._readings_shards = readings_shards
        self._server: Any = None
        self.endpoint: str | None = None
        self.runners: list[MappingRunner] = []
        self.clients: AwsClients | None = None
        self.forecaster: ForecasterProcess | None = None

    def start(self, *, mappings: bool = True, forecaster: bool = True) -> str:
        """Start (or find) the emulator, create the resources, start the forecaster and the mappings."""
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL") or self._start_emulator()
        reset_clients()
        settings = self._settings or Settings.from_env()
        self.clients = AwsClients(settings)
        bootstrap(self.clients, readings_shards=self._readings_shards)
        if forecaster:
            self.start_forecaster()
        if mappings:
            self.start_mappings(default_mappings(settings))
        return self.endpoint

    def start_forecaster(self) -> str:
        """The forecaster on loopback; boto3's sagemaker-runtime is pointed at it."""
        assert self.clients is not None
        stack_dir = self.clients.settings.stack_dir
        stack_dir.mkdir(parents=True, exist_ok=True)
        if self.forecaster is None:
            self.forecaster = ForecasterProcess(
                models_dir=stack_dir / "models", log=stack_dir / "forecaster.log"
            )
        self.forecaster.start()
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = self.forecaster.url
        reset_clients()
        return self.forecaster.url

    def stop_forecaster(self) -> None:
        if self.forecaster is not None:
            self.forecaster.stop()

    def _start_emulator(self) -> str:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        for name, value in EMULATOR_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
            os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
        logger.info("moto server on %s", endpoint)
        return endpoint

    def start_mappings(self, mappings: list[EventSourceMapping]) -> None:
        assert self.clients is not None
        settings = self.clients.settings
        store = JsonFileCheckpointStore.in_directory(settings.stack_dir) if self._server is None else None
        for mapping in mappings:
            runner = MappingRunner(
                mapping,
                InProcessInvoker(mapping.handler),
                self.clients,
                settings,
                checkpoint_store=store,
                status_file=status_path(settings.stack_dir, mapping.function_name)
                if self._publish_status
                else None,
            )
            runner.start()
            self.runners.append(runner)

    def run_until_idle(self, idle_seconds: float = 1.0, timeout: float = 300.0) -> None:
        """Block until every mapping has caught up with its stream."""
        deadline = time.monotonic() + timeout
        for _ in range(2):  # ingest feeds the hourly stream: check everything twice
            for runner in self.runners:
                runner.run_until_idle(
                    idle_seconds=idle_seconds, timeout=max(1.0, deadline - time.monotonic())
                )

    def status(self) -> list[dict[str, Any]]:
        return [runner.status() for runner in self.runners]

    def stop(self) -> None:
        for runner in self.runners:
            runner.stop(timeout=10)
        self.runners.clear()
        self.stop_forecaster()
        self.forecaster = None
        os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", None)
        if self._server is not None:
            self._server.stop()
            self._server = None
            os.environ.pop("AWS_ENDPOINT_URL", None)
        reset_clients()


# ---- the CLI: a background process that owns an EmbeddedStack -------------------------------------


def state_file(settings: Settings) -> Path:
    return settings.stack_dir / "stack.json"


def read_state(settings: Settings) -> dict[str, Any] | None:
    path = state_file(settings)
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    return state if _alive(int(state.get("pid", 0))) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def env_lines(state: dict[str, Any]) -> list[str]:
    env = {
        "AWS_ENDPOINT_URL": state["endpoint"],
        "AWS_DEFAULT_REGION": state["region"],
        **EMULATOR_CREDENTIALS,
    }
    if state.get("external"):
        env = {"AWS_ENDPOINT_URL": state["endpoint"]}
    if state.get("forecaster"):
        env["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = state["forecaster"]
    return [f"export {name}={value}" for name, value in env.items()]


def localstack_endpoint() -> str:
    """LocalStack's edge endpoint, resolved from LOCALSTACK_HOST the way LocalStack's own client does."""
    from localstack_client.config import get_service_endpoint

    endpoint: str | None = get_service_endpoint("kinesis")
    if not endpoint:
        raise StackError("localstack-client could not resolve LocalStack's endpoint; set LOCALSTACK_HOST")
    return endpoint


def up(args: argparse.Namespace) -> int:
    if args.localstack:
        os.environ["AWS_ENDPOINT_URL"] = localstack_endpoint()
        for name, value in EMULATOR_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    settings = Settings.from_env()
    state = read_state(settings)
    if state:
        print(f"stack already running (pid {state['pid']}) on {state['endpoint']}")
        print("\n".join(env_lines(state)))
        return 0
    if args.foreground:
        return _serve_foreground(settings, args)
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    log = settings.stack_dir / "stack.log"
    command = [sys.executable, "-m", "scripts.cli", "stack", "up", "--foreground", "--port", str(args.port)]
    if args.localstack:
        command.append("--localstack")
    with log.open("ab") as out:
        subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        state = read_state(settings)
        if state and state.get("ready"):
            print(f"stack up (pid {state['pid']}) on {state['endpoint']}; logs in {log}")
            print('Use it from this shell with:\n  eval "$(wattcast stack env)"')
            return 0
        time.sleep(0.2)
    raise StackError(f"the stack did not become ready in {args.wait}s; see {log}")


def _serve_foreground(settings: Settings, args: argparse.Namespace) -> int:
    stack = EmbeddedStack(settings, port=args.port, publish_status=True)
    termination = Termination()
    external = "AWS_ENDPOINT_URL" in os.environ
    try:
        endpoint = stack.start()
        state = {
            "pid": os.getpid(),
            "endpoint": endpoint,
            "region": os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
            "external": external,
            "ready": True,
            "started_at": time.time(),
            "forecaster": stack.forecaster.url if stack.forecaster else None,
        }
        settings.stack_dir.mkdir(parents=True, exist_ok=True)
        state_file(settings).write_text(json.dumps(state))
        print(f"stack ready on {endpoint}; Ctrl-C or `wattcast stack down` stops it", flush=True)
        termination.wait()
    finally:
        stack.stop()
        state_file(settings).unlink(missing_ok=True)
    return 0


def down(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    state = read_state(settings)
    if not state:
        print("no stack is running")
        return 0
    os.kill(int(state["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _alive(int(state["pid"])) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(int(state["pid"])):
        os.kill(int(state["pid"]), signal.SIGKILL)
    state_file(settings).unlink(missing_ok=True)
    print(f"stack (pid {state['pid']}) stopped")
    return 0


def status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    state = read_state(settings)
    if not state:
        print("no stack is running (start one with `wattcast stack up`)")
        return 1
    files = [status_path(settings.stack_dir, m.function_name) for m in default_mappings(settings)]
    mappings = [status for status in map(read_status, files) if status is not None]
    report = {"stack": state, "emulator_reachable": _reachable(state["endpoint"]), "mappings": mappings}
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"stack pid {state['pid']} on {state['endpoint']} (reachable: {report['emulator_reachable']})")
    for mapping in mappings:
        print(format_mapping_status(mapping))
    return 0


def format_mapping_status(mapping: dict[str, Any]) -> str:
    lines = [f"mapping {mapping['function_name']} <- {mapping['stream_name']} ({mapping['state']})"]
    for shard_id, shard in sorted(mapping.get("shards", {}).items()):
        lines.append(
            f"  {shard_id}: {shard['state']}, iterator age {shard['iterator_age_ms']} ms, "
            f"records {shard['records_delivered']:,} (discarded {shard['records_discarded']:,}), "
            f"batches ok {shard['batches_ok']:,} failed {shard['batches_failed']:,}"
        )
        if shard.get("last_error"):
            lines.append(f"    last error at {shard['last_error_at']}: {shard['last_error']}")
    return "\n".join(lines)


def _reachable(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint, timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def env(args: argparse.Namespace) -> int:
    state = read_state(Settings.from_env())
    if not state:
        print("# no stack is running", file=sys.stderr)
        return 1
    print("\n".join(env_lines(state)))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("stack", help="the embedded AWS stack (moto) with the local mappings")
    commands = parser.add_subparsers(dest="stack_command", required=True, metavar="ACTION")
    start = commands.add_parser("up", help="start the emulator, create the resources, run the mappings")
    start.add_argument("--foreground", action="store_true", help="run in this process until Ctrl-C")
    start.add_argument("--port", type=int, default=0, help="emulator port (default: a free one)")
    start.add_argument("--wait", type=float, default=60.0, help="seconds to wait for readiness")
    start.add_argument(
        "--localstack",
        action="store_true",
        help="use a running LocalStack (endpoint from LOCALSTACK_HOST, as localstack-client resolves it)",
    )
    start.set_defaults(func=up)
    commands.add_parser("down", help="stop the stack").set_defaults(func=down)
    show = commands.add_parser("status", help="resources and each mapping's iterator age and last error")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=status)
    commands.add_parser("env", help="print the environment variables that point at the stack").set_defaults(
        func=env
    )
