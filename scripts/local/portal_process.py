"""The household API's local gateway as a process (`wattcast portal serve`) for the embedded stack."""

from __future__ import annotations

from pathlib import Path

from scripts.local.gateway.http_api import HEALTH_PATH
from scripts.local.server_process import ServerProcess, free_port


class PortalProcess(ServerProcess):
    name = "household API"
    health_path = HEALTH_PATH

    def __init__(
        self,
        *,
        port: int | None = None,
        workers: int | None = None,
        log: Path | None = None,
        handler: str | None = None,
    ) -> None:
        port = port or free_port()
        arguments = ["portal", "serve", "--host", "127.0.0.1", "--port", str(port)]
        if workers is not None:
            arguments += ["--workers", str(workers)]
        if handler is not None:
            arguments += ["--handler", handler]
        super().__init__(arguments, port=port, log=log)
