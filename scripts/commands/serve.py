"""`wattcast serve`: the forecaster (SageMaker serving contract) under gunicorn, on this machine, with
the local SageMaker Runtime path (`/endpoints/{name}/invocations`) that boto3 can call."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scripts.local.sagemaker_runtime import create_local_app
    from services.core.settings import Settings
    from services.forecaster.serve import options_from, serve

    settings = Settings.from_env()
    options = options_from(
        settings,
        multi_model=args.multi_model,
        model_dir=args.model_dir,
        models_dir=args.models_dir,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return serve(settings, options, create_local_app)
