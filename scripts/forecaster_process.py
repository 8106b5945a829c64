"""The forecaster as a local process (gunicorn, multi-model) for the embedded stack and tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from services.core.errors import WattcastError


class ForecasterProcessError(WattcastError):
    """The local forecaster did not start or answer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ForecasterProcess:
    """`wattcast serve --multi-model` on 127.0.0.1; target models come from S3 (the stack's emulator)."""

    def __init__(self, models_dir: Path, port: int | None = None, log: Path | None = None) -> None:
        self.models_dir = models_dir
        self.port = port or free_port()
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        command = [
            sys.executable,
            "-m",
            "scripts.cli",
            "serve",
            "--multi-model",
            "--models-dir",
            str(self.models_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self._process = subprocess.Popen(
            command, env=dict(os.environ), stdout=output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ForecasterProcessError(
                    f"the forecaster exited with {self._process.returncode}; see {self.log}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise ForecasterProcessError(f"the forecaster did not answer /ping within {timeout} s")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
