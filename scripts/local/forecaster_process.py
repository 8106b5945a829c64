"""The forecaster as a local process (gunicorn, multi-model) for the embedded stack and tests."""

from __future__ import annotations

from pathlib import Path

from scripts.local.server_process import ServerProcess, ServerProcessError, free_port

ForecasterProcessError = ServerProcessError
__all__ = ["ForecasterProcess", "ForecasterProcessError", "free_port"]


class ForecasterProcess(ServerProcess):
    """`wattcast serve` on 127.0.0.1: multi-model (target models from S3, the stack's emulator) when
    given `models_dir`, single-model when given `model_dir`."""

    name = "forecaster"
    health_path = "/ping"

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
            raise ServerProcessError("give either models_dir (multi-model) or model_dir (single model)")
        mode = (
            ["--multi-model", "--models-dir", str(models_dir)]
            if models_dir
            else ["--model-dir", str(model_dir)]
        )
        port = port or free_port()
        arguments = ["serve", *mode, "--host", "127.0.0.1", "--port", str(port)]
        if workers is not None:
            arguments += ["--workers", str(workers)]
        super().__init__(arguments, port=port, log=log)
