"""The Flask app: SageMaker's serving contract (single and multi-model) and, for local modes, the
runtime API path that boto3 `sagemaker-runtime` calls. Views only adapt HTTP; logic lives elsewhere."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from scripts.local.model_fetch import S3ModelFetcher, TargetModelError, target_folder
from scripts.local.sagemaker_runtime import runtime_error_response
from services.core.bundle_format import JSON
from services.core.clients import AwsClients
from services.core.settings import Settings
from services.forecaster.errors import BadRequestError, ForecasterError, ModelNotReadyError
from services.forecaster.invocation import InvocationRequest, InvocationResponse, invoke
from services.forecaster.loaded_model import LoadedModel
from services.forecaster.registry import Fetcher, ModelRegistry

logger = logging.getLogger(__name__)
CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
TARGET_MODEL = "X-Amzn-SageMaker-Target-Model"
SINGLE_MODEL_NAME = "model"


@dataclass
class ServerState:
    settings: Settings
    registry: ModelRegistry
    multi_model: bool
    ready: threading.Event


def create_app(
    settings: Settings | None = None,
    *,
    multi_model: bool | None = None,
    model_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    load_in_background: bool = True,
) -> Flask:
    settings = settings or Settings.from_env()
    multi = settings.forecaster_multi_model if multi_model is None else multi_model
    if multi and fetcher is None:  # target models not loaded yet come from S3, as SageMaker fetches them
        fetcher = S3ModelFetcher(
            AwsClients(settings), settings.forecaster_models_dir, settings.forecaster_max_bundle_bytes
        )
    registry = ModelRegistry(
        max_models=settings.forecaster_max_models if multi else 1,
        memory_budget_bytes=settings.forecaster_memory_budget_mb * 1024 * 1024,
        uncertainty_samples=settings.prophet_uncertainty_samples,
        fetcher=fetcher,
    )
    state = ServerState(settings, registry, multi, threading.Event())
    app = Flask("wattcast-forecaster")
    app.config["MAX_CONTENT_LENGTH"] = settings.forecaster_max_body_bytes
    app.extensions["forecaster"] = state
    _register_routes(app, state)
    _register_errors(app)
    if multi:
        state.ready.set()
    else:
        _load_single(state, model_dir or settings.forecaster_model_dir, background=load_in_background)
    return app


def _load_single(state: ServerState, model_dir: Path, *, background: bool) -> None:
    def load() -> None:
        try:
            state.registry.load(SINGLE_MODEL_NAME, str(model_dir))
            state.ready.set()
        except ForecasterError:
            logger.exception("the model in %s cannot be loaded; /ping stays unhealthy", model_dir)

    if background:  # /ping must answer within 2 s while a large model loads
        threading.Thread(target=load, name="model-loader", daemon=True).start()
    else:
        load()


def _register_routes(app: Flask, state: ServerState) -> None:
    registry = state.registry

    @app.get("/ping")
    def ping() -> Response:
        if not state.ready.is_set():
            raise ModelNotReadyError("the model is still loading")
        return _json({"status": "healthy", "models_loaded": len(registry)})

    @app.post("/invocations")
    def invocations() -> Response:
        if state.multi_model:
            target = request.headers.get(TARGET_MODEL)
            if not target:
                raise BadRequestError(
                    f"multi-model mode: name the model in {TARGET_MODEL}", field=TARGET_MODEL
                )
            return _invoke(registry.get(target))
        if not state.ready.is_set():
            raise ModelNotReadyError("the model is still loading")
        return _invoke(registry.get(SINGLE_MODEL_NAME))

    @app.post("/models")
    def load_model() -> Response:
        _require_multi(state)
        body = _json_body()
        name, url = body.get("model_name"), body.get("url")
        for field, value in (("model_name", name), ("url", url)):
            if not isinstance(value, str) or not value:
                raise BadRequestError(f"{field} must be a non-empty string", field=field)
        registry.load(str(name), str(url))
        return _json({"message": f"Model {name} loaded"})

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
        return _json(body)

    @app.get("/models/<path:name>")
    def describe_model(name: str) -> Response:
        _require_multi(state)
        model = registry.get(name)
        return _json(
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
        return _json({"message": f"Model {name} unloaded"})

    @app.post("/models/<path:name>/invoke")
    def invoke_model(name: str) -> Response:
        _require_multi(state)
        return _invoke(registry.get(name))

    @app.post("/endpoints/<endpoint>/invocations")
    def runtime_invoke(endpoint: str) -> Response:
        if endpoint != state.settings.forecaster_endpoint:
            raise TargetModelError(f"Endpoint {endpoint} not found.")
        if state.multi_model:
            target = request.headers.get(TARGET_MODEL)
            if not target:
                raise TargetModelError(f"multi-model endpoint: {TARGET_MODEL} is required")
            target_folder(state.settings.forecaster_models_dir, target)  # validates the name
            model = registry.get_or_fetch(target)
        else:
            model = registry.get(SINGLE_MODEL_NAME)
        response = _invoke(model)
        response.headers["x-Amzn-Invoked-Production-Variant"] = "AllTraffic"
        return response


def _require_multi(state: ServerState) -> None:
    if not state.multi_model:
        raise BadRequestError("this endpoint runs a single model; /models needs SAGEMAKER_MULTI_MODEL=true")


def _invoke(model: LoadedModel) -> Response:
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


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ForecasterError)
    def forecaster_error(error: ForecasterError) -> Response:
        if request.path.startswith("/endpoints/"):
            return runtime_error_response(error)
        body = {"message": error.message, **({"field": error.field} if error.field else {})}
        return _json(body, error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 400
        if request.path.startswith("/endpoints/"):
            return runtime_error_response(ForecasterError(error.description or error.name), status=status)
        return _json({"message": error.description or error.name}, status)
