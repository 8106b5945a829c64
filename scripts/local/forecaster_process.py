"""The forecaster as a local process (gunicorn, multi-model) for the embedded stack and tests."""

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


class ForecasterProcessError(WattcastError):
    """The local forecaster did not start or answer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ForecasterProcess:
    """`wattcast serve` on 127.0.0.1: multi-model (target models from S3, the stack's emulator) when
    given `models_dir`, single-model when given `model_dir`."""

    def __init__(
        self,
        *,
        models_dir: Path | None = None,
        model_dir: Path | None = None,
        workers: int | None = None,
        port: int | None = None,
        log: Path | None = None,
    ) -> None:
        if (models_dir is None) == (model_dir is None):
            raise ForecasterProcessError("give either models_dir (multi-model) or model_dir (single model)")
        mode = (
            ["--multi-model", "--models-dir", str(models_dir)]
            if models_dir
            else ["--model-dir", str(model_dir)]
        )
        self.port = port or free_port()
        self.log = log
        self._arguments = [*mode, "--host", "127.0.0.1", "--port", str(self.port)]
        if workers is not None:
            self._arguments += ["--workers", str(workers)]
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start it and wait until /ping answers 200."""
        self._output = self.log.open("ab") if self.log else None
        self._process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve", *self._arguments],
            env=dict(os.environ),
            stdout=self._output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
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
