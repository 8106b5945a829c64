"""`wattcast portal serve`: the local HTTP API under gunicorn. The function runs in each worker
(embedded mode) or in the portal image behind a Lambda Runtime API (docker-compose)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication

from scripts.local.esm.invokers import InProcessInvoker, Invoker
from scripts.local.gateway.http_api import HttpApi
from scripts.local.gateway.routes import PublicRoutes
from scripts.local.gateway.tokens import Verifier, signing_key
from scripts.local.lambda_runtime_api import RuntimeApiInvoker
from services.core.settings import Settings

API_HANDLER = "services.portal.handler.api_handler"
FUNCTION_TIMEOUT_SECONDS = 29.0  # API Gateway's integration timeout


@dataclass(frozen=True)
class GatewayOptions:
    host: str = "127.0.0.1"
    port: int = 8090
    workers: int = 2
    runtime_api: tuple[str, int] | None = None  # serve a function polling this Runtime API instead
    handler: str = API_HANDLER  # the function run in the workers (the benchmark swaps its store)


class GatewayServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: GatewayOptions) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        workers = 1 if self._options.runtime_api else self._options.workers  # one Runtime API
        config = {
            "bind": f"{self._options.host}:{self._options.port}",
            "workers": workers,
            "worker_class": "gthread",
            # In-process, a worker is one Lambda execution environment: one request at a time, as on
            # AWS (Powertools' resolver keeps the current event on the app: two threads would swap
            # queries). Behind a Runtime API the function container serialises them itself.
            "threads": 8 if self._options.runtime_api else 1,
            "timeout": int(FUNCTION_TIMEOUT_SECONDS) + 1,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        for key, value in config.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        invoker: Invoker
        if self._options.runtime_api:
            host, port = self._options.runtime_api
            invoker = RuntimeApiInvoker(host, port).start()
        else:
            invoker = InProcessInvoker(self._options.handler)
        return HttpApi(
            invoker,
            Verifier(self._settings),
            function_name="wattcast-portal",
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
            public_routes=PublicRoutes.of_contract(),
        )


def serve(settings: Settings, options: GatewayOptions) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signing_key(settings)  # made before the workers fork, so that they all verify with it
    GatewayServer(settings, options).run()
    return 0
