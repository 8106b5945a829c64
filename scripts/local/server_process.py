"""A `wattcast` server as a child process on 127.0.0.1, started and waited for until its health
path answers 200: the forecaster and the household API's gateway in the embedded stack and tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

from services.core.errors import WattcastError


class ServerProcessError(WattcastError):
    """A local server did not start or answer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    name = "server"
    health_path = "/"

    def __init__(self, arguments: list[str], *, port: int, log: Path | None = None) -> None:
        self.port = port
        self.log = log
        self._arguments = arguments
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (the benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start it and wait until the health path answers 200."""
        self._output = self.log.open("ab") if self.log else None
        self._process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", *self._arguments],
            env=dict(os.environ),
            stdout=self._output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerProcessError(
                    f"the {self.name} exited with {self._process.returncode}; see {self.log}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}{self.health_path}", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise ServerProcessError(f"the {self.name} did not answer {self.health_path} within {timeout} s")

    def stop(self) -> int | None:
        """SIGTERM (gunicorn stops gracefully); returns the exit code."""
        code = None
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                code = self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
        elif self._process:
            code = self._process.returncode
        self._process = None
        if self._output:
            self._output.close()
            self._output = None
        return code
