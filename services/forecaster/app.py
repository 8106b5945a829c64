"""The Flask app: SageMaker's serving contract, single and multi-model. Views only adapt HTTP; the
logic is in the registry (loaded models) and `invocation` (one call through a bundle's hooks)."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from services.core.bundle_format import JSON
from services.core.emf import ServiceMetrics, invocation_metrics
from services.core.metrics import FORECASTER
from services.core.settings import Settings
from services.forecaster.errors import BadRequestError, ForecasterError, ModelNotReadyError
from services.forecaster.invocation import InvocationRequest, InvocationResponse, invoke
from services.forecaster.loaded_model import LoadedModel
from services.forecaster.registry import Fetcher, ModelRegistry

logger = logging.getLogger(__name__)
CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
TARGET_MODEL = "X-Amzn-SageMaker-Target-Model"
SINGLE_MODEL_NAME = "model"
LOAD_WAIT_MARGIN_SECONDS = 5.0  # an invocation that waits for the model still answers in time


@dataclass
class ModelLoad:
    """The single model's load: /ping is healthy once it succeeded; an invocation that arrives while
    it runs waits for it (SageMaker routes to every worker once any worker's /ping is 200)."""

    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    def finish(self, error: str | None = None) -> None:
        self.error = error
        self.done.set()

    @property
    def ready(self) -> bool:
        return self.done.is_set() and self.error is None

    def wait(self, timeout: float) -> bool:
        return self.done.wait(timeout) and self.error is None


@dataclass
class ServerState:
    settings: Settings
    registry: ModelRegistry
    multi_model: bool
    load: ModelLoad


def server_state() -> ServerState:
    """The state of the app handling the current request (blueprints reach it through here)."""
    state: ServerState = current_app.extensions["forecaster"]
    return state


def create_app(
    settings: Settings | None = None,
    *,
    multi_model: bool | None = None,
    model_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    load_in_background: bool = True,
) -> Flask:
    """`fetcher` fetches target models that are not loaded yet (the local runtime path); on SageMaker
    the platform loads them through POST /models."""
    settings = settings or Settings.from_env()
    multi = settings.forecaster_multi_model if multi_model is None else multi_model
    registry = ModelRegistry(
        max_models=settings.forecaster_max_models if multi else 1,
        memory_budget_bytes=settings.forecaster_memory_budget_mb * 1024 * 1024,
        uncertainty_samples=settings.prophet_uncertainty_samples,
        fetcher=fetcher,
    )
    state = ServerState(settings, registry, multi, ModelLoad())
    app = Flask("wattcast-forecaster")
    app.config["MAX_CONTENT_LENGTH"] = settings.forecaster_max_body_bytes
    app.extensions["forecaster"] = state
    _register_routes(app, state)
    _register_errors(app)
    _register_metrics(app)
    if multi:
        state.load.finish()
    else:
        _load_single(state, model_dir or settings.forecaster_model_dir, background=load_in_background)
    return app


def _load_single(state: ServerState, model_dir: Path, *, background: bool) -> None:
    def load() -> None:
        try:
            state.registry.load(SINGLE_MODEL_NAME, str(model_dir))
        except ForecasterError as exc:
            logger.exception("the model in %s cannot be loaded; /ping stays unhealthy", model_dir)
            state.load.finish(exc.message)
            return
        state.load.finish()

    if background:  # /ping must answer within 2 s while a large model loads
        threading.Thread(target=load, name="model-loader", daemon=True).start()
    else:
        load()


def _register_routes(app: Flask, state: ServerState) -> None:
    registry = state.registry

    @app.get("/ping")
    def ping() -> Response:
        if not state.load.ready:
            raise ModelNotReadyError(state.load.error or "the model is still loading")
        return json_response({"status": "healthy", "models_loaded": len(registry)})

    @app.post("/invocations")
    def invocations() -> Response:
        if state.multi_model:
            target = request.headers.get(TARGET_MODEL)
            if not target:
                raise BadRequestError(
                    f"multi-model mode: name the model in {TARGET_MODEL}", field=TARGET_MODEL
                )
            return invoke_response(registry.get(target))
        return invoke_response(single_model(state))

    @app.post("/models")
    def load_model() -> Response:
        _require_multi(state)
        body = _json_body()
        name, url = body.get("model_name"), body.get("url")
        for field_name, value in (("model_name", name), ("url", url)):
            if not isinstance(value, str) or not value:
                raise BadRequestError(f"{field_name} must be a non-empty string", field=field_name)
        registry.load(str(name), str(url))
        return json_response({"message": f"Model {name} loaded"})

    @app.get("/models")
    def list_models() -> Response:
        _require_multi(state)
        max_results = request.args.get("max_results", "100")
        if not max_results.isdigit():
            raise BadRequestError("max_results must be a positive integer", field="max_results")
        page, token = registry.list(request.args.get("next_page_token"), int(max_results))
        body: dict[str, Any] = {"models": [{"modelName": m.name, "modelUrl": m.url} for m in page]}
        if token:
            body["nextPageToken"] = token
        return json_response(body)

    @app.get("/models/<path:name>")
    def describe_model(name: str) -> Response:
        _require_multi(state)
        model = registry.get(name)
        return json_response(
            {
                "modelName": model.name,
                "modelUrl": model.url,
                "flavour": model.flavour.value,
                "runtime": model.runtime_name,
                "memoryBytes": model.memory_bytes,
            }
        )

    @app.delete("/models/<path:name>")
    def unload_model(name: str) -> Response:
        _require_multi(state)
        registry.unload(name)
        return json_response({"message": f"Model {name} unloaded"})

    @app.post("/models/<path:name>/invoke")
    def invoke_model(name: str) -> Response:
        _require_multi(state)
        return invoke_response(registry.get(name))


def single_model(state: ServerState) -> LoadedModel:
    """The single model, waiting for its load if it is still running."""
    wait = max(0.0, state.settings.forecaster_timeout_seconds - LOAD_WAIT_MARGIN_SECONDS)
    if not state.load.wait(wait):
        raise ModelNotReadyError(state.load.error or "the model is still loading")
    return state.registry.get(SINGLE_MODEL_NAME)


def _require_multi(state: ServerState) -> None:
    if not state.multi_model:
        raise BadRequestError("this endpoint runs a single model; /models needs SAGEMAKER_MULTI_MODEL=true")


def invoke_response(model: LoadedModel) -> Response:
    """Invoke `model` with the current request and answer what its bundle answered."""
    result = invoke(
        model,
        InvocationRequest(
            body=request.get_data(cache=False),
            content_type=request.headers.get("Content-Type", ""),
            accept=request.headers.get("Accept", JSON),
            custom_attributes=request.headers.get(CUSTOM_ATTRIBUTES),
        ),
    )
    return _to_response(result)


def _to_response(result: InvocationResponse) -> Response:
    response = Response(result.body, status=200, content_type=result.content_type)
    if result.custom_attributes:
        response.headers[CUSTOM_ATTRIBUTES] = result.custom_attributes
    return response


def _json_body() -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except ValueError as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequestError("body must be a JSON object")
    return body


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def error_body(error: ForecasterError) -> dict[str, Any]:
    return {"message": error.message, **({"field": error.field} if error.field else {})}


def _register_metrics(app: Flask) -> None:
    """Every request but SageMaker's health checks counts its status; invocations their time."""

    @app.before_request
    def start_clock() -> None:
        g.metrics_started = time.monotonic()

    @app.after_request
    def count_request(response: Response) -> Response:
        if request.path != "/ping":
            seconds = time.monotonic() - g.get("metrics_started", time.monotonic())
            with invocation_metrics(FORECASTER) as metrics:
                record_request(metrics, request.path, response.status_code, seconds)
        return response


def record_request(metrics: ServiceMetrics, path: str, status: int, seconds: float) -> None:
    metrics.add("Invocation4xx", int(400 <= status < 500))
    metrics.add("Invocation5xx", int(status >= 500))
    if is_invocation(path):
        metrics.add("InvocationLatency", seconds * 1000)


def is_invocation(path: str) -> bool:
    """/invocations, /models/{name}/invoke, and locally the runtime path /endpoints/{name}/invocations."""
    return path.endswith("/invocations") or (path.startswith("/models/") and path.endswith("/invoke"))


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ForecasterError)
    def forecaster_error(error: ForecasterError) -> Response:
        return json_response(error_body(error), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return json_response({"message": error.description or error.name}, error.code or 400)
