"""Run the forecaster under gunicorn: `wattcast serve` locally, `serve` inside the SageMaker image.

SageMaker's limits drive the defaults: /ping must answer within 2 s (the model loads in a background
thread), invocations within 60 s (the worker timeout), SIGTERM stops gracefully (gunicorn's default).
Multi-model mode runs one process with threads, because the table of loaded models lives in memory;
ONNX Runtime and TensorFlow release the GIL while they compute.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from services.core.settings import Settings
from services.forecaster.app import create_app

GRACEFUL_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class ServeOptions:
    multi_model: bool
    model_dir: Path
    models_dir: Path
    host: str
    port: int
    workers: int
    threads: int
    timeout_seconds: int


def options_from(settings: Settings, **overrides: Any) -> ServeOptions:
    """Serving options from the settings; an override that is None keeps the setting."""
    given = {name: value for name, value in overrides.items() if value is not None}
    multi = bool(given.pop("multi_model", None) or settings.forecaster_multi_model)
    options = ServeOptions(
        multi_model=multi,
        model_dir=settings.forecaster_model_dir,
        models_dir=settings.forecaster_models_dir,
        host=settings.forecaster_host,
        port=settings.forecaster_port,
        workers=settings.forecaster_workers,
        threads=settings.forecaster_threads,
        timeout_seconds=settings.forecaster_timeout_seconds,
    )
    options = dataclasses.replace(options, **given)
    return dataclasses.replace(options, workers=1) if multi else options


AppFactory = Callable[..., Flask]  # create_app's signature: (settings, *, multi_model, model_dir)


class ForecasterServer(BaseApplication):  # type: ignore[misc]
    def __init__(
        self, settings: Settings, options: ServeOptions, app_factory: AppFactory = create_app
    ) -> None:
        self._app_factory = app_factory
        self._settings = settings.replace(
            forecaster_multi_model=options.multi_model, forecaster_models_dir=options.models_dir
        )
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        options = self._options
        config = {
            "bind": f"{options.host}:{options.port}",
            "workers": options.workers,
            "worker_class": "gthread",
            "threads": options.threads,
            "timeout": options.timeout_seconds,
            "graceful_timeout": GRACEFUL_TIMEOUT_SECONDS,
            "keepalive": 75,  # longer than SageMaker's idle connection timeout
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "preload_app": False,  # each worker loads its model after the fork: TensorFlow is not fork-safe
        }
        for key, value in config.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25 opens one in ~/.gunicorn/,
            self.cfg.set("control_socket_disable", True)  # shared by every server of the user: unused

    def load(self) -> Any:
        return self._app_factory(
            self._settings, multi_model=self._options.multi_model, model_dir=self._options.model_dir
        )


def serve(settings: Settings, options: ServeOptions, app_factory: AppFactory = create_app) -> int:
    """Serve until SIGTERM. Locally, `app_factory` adds the runtime path (scripts/local)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ForecasterServer(settings, options, app_factory).run()
    return 0
