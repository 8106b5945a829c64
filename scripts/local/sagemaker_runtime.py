"""The SageMaker Runtime API path, for local modes only: `POST /endpoints/{name}/invocations` with the
`X-Amzn-SageMaker-Target-Model` header, answered in SageMaker Runtime's error form, so boto3
`sagemaker-runtime` (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) raises here what it raises against AWS.

On AWS, SageMaker itself plays this part (routing, fetching target models from S3, wrapping the
container's errors); the production container never mounts this blueprint. `create_local_app` is the
forecaster with it: `wattcast serve`, the embedded stack and docker-compose run that.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from scripts.local.model_fetch import S3ModelFetcher, TargetModelError, target_folder
from services.core.clients import AwsClients
from services.core.settings import Settings
from services.forecaster.app import (
    SINGLE_MODEL_NAME,
    TARGET_MODEL,
    create_app,
    error_body,
    invoke_response,
    server_state,
)
from services.forecaster.errors import ForecasterError, ModelNotReadyError

MODEL_ERROR_STATUS = 424
PRODUCTION_VARIANT = "AllTraffic"


def create_local_app(
    settings: Settings | None = None, *, multi_model: bool | None = None, model_dir: Path | None = None
) -> Flask:
    """The forecaster plus the runtime path; in multi-model mode, missing targets come from S3."""
    settings = settings or Settings.from_env()
    multi = settings.forecaster_multi_model if multi_model is None else multi_model
    fetcher = (
        S3ModelFetcher(
            AwsClients(settings), settings.forecaster_models_dir, settings.forecaster_max_bundle_bytes
        )
        if multi
        else None
    )
    app = create_app(settings, multi_model=multi, model_dir=model_dir, fetcher=fetcher)
    app.register_blueprint(runtime_blueprint())
    return app


def runtime_blueprint() -> Blueprint:
    blueprint = Blueprint("sagemaker_runtime", __name__)

    @blueprint.post("/endpoints/<endpoint>/invocations")
    def runtime_invoke(endpoint: str) -> Response:
        state = server_state()
        if endpoint != state.settings.forecaster_endpoint:
            raise TargetModelError(f"Endpoint {endpoint} not found.")
        if state.multi_model:
            target = request.headers.get(TARGET_MODEL)
            if not target:
                raise TargetModelError(f"multi-model endpoint: {TARGET_MODEL} is required")
            target_folder(state.settings.forecaster_models_dir, target)  # validates the name
            model = state.registry.get_or_fetch(target)
        else:
            model = state.registry.get(SINGLE_MODEL_NAME)
        response = invoke_response(model)
        response.headers["x-Amzn-Invoked-Production-Variant"] = PRODUCTION_VARIANT
        return response

    @blueprint.errorhandler(ForecasterError)
    def forecaster_error(error: ForecasterError) -> Response:
        return runtime_error_response(error)

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _error("ValidationError", 400, {"Message": error.description or error.name})

    return blueprint


def runtime_error_response(error: ForecasterError) -> Response:
    """ValidationError for a bad call, ModelNotReadyException while loading, ModelError for what the
    container answered (with its status and message, as `OriginalStatusCode` / `OriginalMessage`)."""
    if isinstance(error, TargetModelError):
        return _error("ValidationError", 400, {"Message": error.message})
    if isinstance(error, ModelNotReadyError):
        return _error("ModelNotReadyException", 429, {"Message": error.message})
    original = json.dumps(error_body(error))
    kind = "client" if error.status < 500 else "server"
    return _error(
        "ModelError",
        MODEL_ERROR_STATUS,
        {
            "Message": f'Received {kind} error ({error.status}) from primary with message "{original}".',
            "OriginalStatusCode": error.status,
            "OriginalMessage": original,
            "LogStreamArn": "local/wattcast-forecaster",
        },
    )


def _error(code: str, status: int, body: dict[str, object]) -> Response:
    response = Response(json.dumps({"__type": code, **body}), status=status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = code
    return response
