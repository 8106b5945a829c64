"""dynalite (a DynamoDB on LevelDB, from the npm registry) on loopback, for the benchmarks that read
DynamoDB harder than moto's Query (which walks the whole table) lets them measure. `make bench`
installs it (`npm install --prefix .tools/dynalite dynalite@3.2.2`). DynamoDB alone goes to it,
through boto3's AWS_ENDPOINT_URL_DYNAMODB; every other service stays on the stack's emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.local.server_process import free_port
from services.core.errors import WattcastError

INSTALLED = Path(".tools/dynalite/node_modules/.bin/dynalite")


class DynaliteError(WattcastError):
    """dynalite is not installed or did not start."""


def dynalite_command() -> Path:
    found = INSTALLED if INSTALLED.exists() else (Path(p) if (p := shutil.which("dynalite")) else None)
    if found is None:
        raise DynaliteError("dynalite is not installed: npm install --prefix .tools/dynalite dynalite@3.2.2")
    return found


@contextmanager
def running_dynalite(timeout: float = 30.0) -> Iterator[str]:
    """Start it (in memory), point this process's boto3 DynamoDB at it, stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [str(dynalite_command()), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(endpoint, process, timeout)
        previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        try:
            yield endpoint
        finally:
            if previous is None:
                os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
            else:
                os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(endpoint: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DynaliteError(f"dynalite exited with {process.returncode}")
        try:
            urllib.request.urlopen(endpoint, timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (400 to a bare GET)
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise DynaliteError(f"dynalite did not answer on {endpoint} within {timeout} s")
