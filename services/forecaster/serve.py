"""Run the forecaster under gunicorn: `wattcast serve` locally, `serve` inside the SageMaker image.

SageMaker's limits drive the defaults: /ping must answer within 2 s (the model loads in a background
thread), invocations within 60 s (the worker timeout), SIGTERM stops gracefully (gunicorn's default).
Multi-model mode runs one process with threads, because the table of loaded models lives in memory;
ONNX Runtime and TensorFlow release the GIL while they compute.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def options_from(settings: Settings, args: argparse.Namespace | None = None) -> ServeOptions:
    def pick(name: str, default: Any) -> Any:
        value = getattr(args, name, None) if args is not None else None
        return default if value is None else value

    multi = bool(pick("multi_model", None) or settings.forecaster_multi_model)
    return ServeOptions(
        multi_model=multi,
        model_dir=pick("model_dir", settings.forecaster_model_dir),
        models_dir=pick("models_dir", settings.forecaster_models_dir),
        host=pick("host", settings.forecaster_host),
        port=pick("port", settings.forecaster_port),
        workers=1 if multi else pick("workers", settings.forecaster_workers),
        threads=settings.forecaster_threads,
        timeout_seconds=settings.forecaster_timeout_seconds,
    )


class ForecasterServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: ServeOptions) -> None:
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

    def load(self) -> Any:
        return create_app(
            self._settings, multi_model=self._options.multi_model, model_dir=self._options.model_dir
        )


def serve(settings: Settings, options: ServeOptions) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ForecasterServer(settings, options).run()
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the forecaster (SageMaker serving contract) under gunicorn"
    )
    parser.add_argument(
        "--model-dir", type=Path, help="single-model mode: the unpacked bundle (/opt/ml/model)"
    )
    parser.add_argument("--multi-model", action="store_true", default=None, help="multi-model mode")
    parser.add_argument("--models-dir", type=Path, help="multi-model mode: where target models are unpacked")
    parser.add_argument("--host", help="address to bind (default 0.0.0.0, as SageMaker needs)")
    parser.add_argument("--port", type=int, help="port (default 8080 or SAGEMAKER_BIND_TO_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes in single-model mode")
    parser.set_defaults(func=lambda args: serve(Settings.from_env(), options_from(Settings.from_env(), args)))
