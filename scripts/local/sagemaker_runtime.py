"""Errors on the runtime API path (`POST /endpoints/{name}/invocations`) in SageMaker Runtime's form,
so boto3 `sagemaker-runtime` raises here exactly what it raises against AWS."""

from __future__ import annotations

import json

from flask import Response

from scripts.local.model_fetch import TargetModelError
from services.forecaster.errors import ForecasterError, ModelNotReadyError

MODEL_ERROR_STATUS = 424


def runtime_error_response(error: ForecasterError, status: int | None = None) -> Response:
    """ValidationError for a bad call, ModelNotReadyException while loading, ModelError for what the
    container answered (with its status and message, as `OriginalStatusCode` / `OriginalMessage`)."""
    if isinstance(error, TargetModelError) or status is not None:
        return _error("ValidationError", 400, {"Message": error.message})
    if isinstance(error, ModelNotReadyError):
        return _error("ModelNotReadyException", 429, {"Message": error.message})
    original = json.dumps({"message": error.message, **({"field": error.field} if error.field else {})})
    return _error(
        "ModelError",
        MODEL_ERROR_STATUS,
        {
            "Message": f'Received client error ({error.status}) from primary with message "{original}".',
            "OriginalStatusCode": error.status,
            "OriginalMessage": original,
            "LogStreamArn": "local/wattcast-forecaster",
        },
    )


def _error(code: str, status: int, body: dict[str, object]) -> Response:
    response = Response(json.dumps({"__type": code, **body}), status=status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = code
    return response
