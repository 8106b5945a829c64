"""The AWS emulator of the local modes: one moto server on 127.0.0.1, and the fake credentials and
region that go with it. The embedded stack, the image smoke tests and the test suite start it here."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)
EMULATOR_CREDENTIALS: Mapping[str, str] = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"


@dataclass
class MotoEmulator:
    """moto's threaded server on loopback (port 0: a free one)."""

    port: int = 0
    endpoint: str | None = None
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        logger.info("moto server on %s", self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def use_emulator_environment(endpoint: str) -> None:
    """Point this process's boto3 at `endpoint`, with fake credentials and a region unless set."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    for name, value in EMULATOR_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
