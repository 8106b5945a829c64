"""`wattcast stack up|down|status|env`: an EmbeddedStack in a background process, found again through
a state file in the stack folder."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from scripts.local.emulator import DEFAULT_REGION, EMULATOR_CREDENTIALS, use_emulator_environment
from scripts.local.esm.status import read_status, status_path
from scripts.local.mappings import default_mappings
from scripts.local.metrics_collector import collected, format_metrics, metrics_file
from scripts.local.stack import EmbeddedStack
from scripts.local.termination import Termination
from services.core.clients import reset_clients
from services.core.errors import WattcastError
from services.core.settings import Settings

STOP_WAIT_SECONDS = 20.0


class StackError(WattcastError):
    """The embedded stack cannot start, stop or be found."""


def state_file(settings: Settings) -> Path:
    return settings.stack_dir / "stack.json"


def read_state(settings: Settings) -> dict[str, Any] | None:
    """The running stack's state, or None when none runs (a stale file is ignored)."""
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


def stack_environment(state: dict[str, Any]) -> dict[str, str]:
    """The variables that point boto3, the CLI and curl at a running stack."""
    env = {
        "AWS_ENDPOINT_URL": state["endpoint"],
        "AWS_DEFAULT_REGION": state["region"],
        **EMULATOR_CREDENTIALS,
    }
    if state.get("external"):
        env = {"AWS_ENDPOINT_URL": state["endpoint"]}
    if state.get("forecaster"):
        env["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = state["forecaster"]
    if state.get("portal"):
        env["WATTCAST_PORTAL_URL"] = state["portal"]
    if state.get("alerts_topic_arn"):
        env["WATTCAST_ALERTS_TOPIC_ARN"] = state["alerts_topic_arn"]
    if state.get("operations_topic_arn"):
        env["WATTCAST_OPERATIONS_TOPIC_ARN"] = state["operations_topic_arn"]
    return env


def env_lines(state: dict[str, Any]) -> list[str]:
    return [f"export {name}={value}" for name, value in stack_environment(state).items()]


def wait_until_drained(settings: Settings, *, idle_seconds: float = 6.0, timeout: float = 900.0) -> None:
    """Block until the running stack's mappings have nothing in flight and their counters have not
    moved for `idle_seconds` (their status files, published every 2 s, are the only window on them)."""
    files = [status_path(settings.stack_dir, m.function_name) for m in default_mappings(settings)]
    deadline = time.monotonic() + timeout
    last: Any = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        statuses = [read_status(path) for path in files]
        shards = [shard for status in statuses if status for shard in status.get("shards", {}).values()]
        signature = [
            (s.get("records_delivered"), s.get("batches_ok"), s.get("batches_failed")) for s in shards
        ]
        busy = any(status is None for status in statuses) or any(s.get("in_flight") for s in shards)
        if busy or signature != last:
            last, since = signature, time.monotonic()
        elif time.monotonic() - since >= idle_seconds:
            return
        time.sleep(0.5)
    raise StackError(f"the stack's mappings were still busy after {timeout:.0f} s")


def localstack_endpoint() -> str:
    """LocalStack's edge endpoint, resolved from LOCALSTACK_HOST the way LocalStack's own client does."""
    from localstack_client.config import get_service_endpoint

    endpoint: str | None = get_service_endpoint("kinesis")
    if not endpoint:
        raise StackError("localstack-client could not resolve LocalStack's endpoint; set LOCALSTACK_HOST")
    return endpoint


def use_localstack() -> None:
    use_emulator_environment(localstack_endpoint())


def check_external_endpoint() -> None:
    """With AWS_ENDPOINT_URL set, the stack uses that emulator instead of starting one: it must answer.
    (A shell that ran `eval "$(wattcast stack env)"` keeps a stopped stack's address.)"""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and not _reachable(endpoint):
        raise StackError(
            f"AWS_ENDPOINT_URL={endpoint} does not answer. If it is a stopped stack's, run\n"
            "  unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME\n"
            "and `wattcast stack up` again; otherwise start that emulator first."
        )


def start_in_background(settings: Settings, *, port: int, localstack: bool, wait_seconds: float) -> Path:
    """Start `stack up --foreground` detached and wait until it is ready; returns its log file."""
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    log = settings.stack_dir / "stack.log"
    command = [sys.executable, "-m", "scripts.cli", "stack", "up", "--foreground", "--port", str(port)]
    if localstack:
        command.append("--localstack")
    with log.open("ab") as out:
        subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        state = read_state(settings)
        if state and state.get("ready"):
            return log
        time.sleep(0.2)
    raise StackError(f"the stack did not become ready in {wait_seconds}s; see {log}")


def serve_foreground(settings: Settings, *, port: int) -> None:
    """Run a stack in this process until SIGTERM or Ctrl-C, with its state file written meanwhile."""
    stack = EmbeddedStack(settings, port=port, publish_status=True)
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
            "portal": stack.portal.url if stack.portal else None,
            "alerts_topic_arn": os.environ.get("WATTCAST_ALERTS_TOPIC_ARN"),
            "operations_topic_arn": os.environ.get("WATTCAST_OPERATIONS_TOPIC_ARN"),
        }
        settings.stack_dir.mkdir(parents=True, exist_ok=True)
        state_file(settings).write_text(json.dumps(state))
        print(f"stack ready on {endpoint}; Ctrl-C or `wattcast stack down` stops it", flush=True)
        termination.wait()
    finally:
        stack.stop()
        state_file(settings).unlink(missing_ok=True)


def stop(settings: Settings) -> int | None:
    """Stop the running stack (SIGTERM, then SIGKILL); returns its pid, or None if none ran."""
    state = read_state(settings)
    if not state:
        return None
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    state_file(settings).unlink(missing_ok=True)
    return pid


def status_report(settings: Settings, state: dict[str, Any]) -> dict[str, Any]:
    files = [status_path(settings.stack_dir, m.function_name) for m in default_mappings(settings)]
    mappings = [status for status in map(read_status, files) if status is not None]
    return {
        "stack": state,
        "emulator_reachable": _reachable(state["endpoint"]),
        "mappings": mappings,
        "metrics": [dataclasses.asdict(s) for s in collected(metrics_file(settings.stack_dir))],
    }


def format_status(report: dict[str, Any]) -> str:
    state = report["stack"]
    lines = [f"stack pid {state['pid']} on {state['endpoint']} (reachable: {report['emulator_reachable']})"]
    if state.get("forecaster"):
        lines.append(f"forecaster on {state['forecaster']}")
    if state.get("portal"):
        lines.append(f"household API on {state['portal']} (tokens: wattcast portal token --household ID)")
    mappings = map(format_mapping_status, report["mappings"])
    return "\n".join([*lines, *mappings, *format_metrics(report.get("metrics", []))])


def format_mapping_status(mapping: dict[str, Any]) -> str:
    lines = [f"mapping {mapping['function_name']} <- {mapping['stream_name']} ({mapping['state']})"]
    for shard_id, shard in sorted(mapping.get("shards", {}).items()):
        lines.append(
            f"  {shard_id}: {shard['state']}, iterator age {shard['iterator_age_ms']} ms, "
            f"records {shard['records_delivered']:,} (discarded {shard['records_discarded']:,}), "
            f"batches ok {shard['batches_ok']:,} failed {shard['batches_failed']:,}"
        )
        if shard.get("in_flight"):
            batch = shard["in_flight"]
            lines.append(
                f"    in flight: {batch['records']:,} records from {batch['first_sequence_number']}, "
                f"invoked {batch['seconds']} s ago"
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


def use_local_stack_unless_pointed() -> None:
    """The running local stack when the environment names no endpoint and one runs; else the
    environment as it is (AWS, or an emulator it points at)."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return
    state = read_state(Settings.from_env())
    if state is not None:
        os.environ.update(stack_environment(state))
        reset_clients()
