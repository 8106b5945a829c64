"""The AWS emulator of the local modes: one moto server on 127.0.0.1 (a child process), and the fake
credentials and region that go with it. The embedded stack, the image smoke tests and the test suite
start it here."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scripts.local.server_process import free_port
from services.core.errors import WattcastError

logger = logging.getLogger(__name__)
EMULATOR_CREDENTIALS: Mapping[str, str] = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0


class EmulatorError(WattcastError):
    """The moto server did not start or answer."""


@dataclass
class MotoEmulator:
    """moto's server as a child process on loopback (port 0: a free one), its DynamoDB Query reading
    only the asked partition (scripts/local/moto_server.py).

    Its own process, not a thread of ours: the Lambdas and the mappings run as threads of the embedded
    stack, and a DynamoDB Query in moto is Python work (it walks and copies the table's items), so a
    server thread would queue behind them for the interpreter lock and they behind it.
    """

    port: int = 0
    log: Path | None = None
    endpoint: str | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> str:
        port = self.port or free_port()
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [sys.executable, "-m", "scripts.local.moto_server", "--host", LOOPBACK, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if self.log and not isinstance(output, int):
            output.close()  # the child holds its own descriptor
        self.endpoint = f"http://{LOOPBACK}:{port}"
        self._wait_until_it_answers(timeout)
        logger.info("moto server on %s (pid %s)", self.endpoint, self._process.pid)
        return self.endpoint

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _wait_until_it_answers(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(
                    f"the moto server exited with {self._process.returncode}" + self._see_log()
                )
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/config", timeout=2) as answer:
                    if 200 <= answer.status < 300:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise EmulatorError(
            f"the moto server did not answer on {self.endpoint} within {timeout} s" + self._see_log()
        )

    def _see_log(self) -> str:
        return f"; see {self.log}" if self.log else ""

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


def use_emulator_environment(endpoint: str) -> None:
    """Point this process's boto3 at `endpoint`, with fake credentials and a region unless set."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    for name, value in EMULATOR_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
