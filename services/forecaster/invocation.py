"""One invocation of a loaded model through its bundle's hooks; pure of HTTP."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from services.core.bundle_format import JSON, PNG
from services.forecaster.errors import (
    ForecasterError,
    ModelFailureError,
    ModelInputError,
    NotAcceptableError,
    UnsupportedMediaTypeError,
)
from services.forecaster.loaded_model import LoadedModel
from services.forecaster.runtimes import predict_rest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvocationRequest:
    body: bytes
    content_type: str = JSON
    accept: str = JSON
    custom_attributes: str | None = None


@dataclass(frozen=True)
class InvocationResponse:
    body: bytes
    content_type: str
    custom_attributes: str | None = None


@dataclass(frozen=True)
class Context:
    """The TensorFlow Serving container's handler context, plus the loaded model for our runtimes."""

    model_name: str
    model_version: str
    method: str
    rest_uri: str | None
    grpc_uri: str | None
    custom_attributes: str | None
    request_content_type: str
    accept_header: str
    content_length: int
    model: Any
    metadata: dict[str, Any]
    model_dir: str
    members: dict[str, Any]


def negotiate(model: LoadedModel, request: InvocationRequest) -> str:
    """The content type to answer with; 415 and 406 as the container contract has them."""
    if media_type(request.content_type) != JSON:
        raise UnsupportedMediaTypeError(f"Content-Type must be {JSON}, got {request.content_type or 'none'}")
    wanted = [media_type(part) for part in (request.accept or "*/*").split(",")]
    for kind in wanted:
        if kind in ("*/*", "application/*", JSON):
            return JSON
        if kind in (PNG, "image/*") and PNG in model.accepts:
            return PNG
    raise NotAcceptableError(f"this model answers {', '.join(model.accepts)}; Accept was {request.accept}")


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def invoke(model: LoadedModel, request: InvocationRequest) -> InvocationResponse:
    answer_type = negotiate(model, request)
    context = Context(
        model_name=model.name,
        model_version=str(model.metadata.get("version", "1")),
        method="predict",
        rest_uri=None,
        grpc_uri=None,
        custom_attributes=request.custom_attributes,
        request_content_type=JSON,
        accept_header=answer_type,
        content_length=len(request.body),
        model=model.runtime,
        metadata=model.metadata,
        model_dir=str(model.root),
        members=model.members,
    )
    try:
        result = _run_hooks(model, request.body, context)
    except ForecasterError:
        raise
    except model.hooks.bad_input as exc:
        raise ModelInputError(str(exc).strip("'\"") or type(exc).__name__) from exc
    except Exception as exc:
        logger.exception("model %s failed on a request it accepted", model.name)
        raise ModelFailureError(f"model {model.name} failed: {type(exc).__name__}: {exc}") from exc
    return _response(result, answer_type, request.custom_attributes)


def _run_hooks(model: LoadedModel, body: bytes, context: Context) -> Any:
    hooks = model.hooks
    if hooks.handler is not None:
        return hooks.handler(io.BytesIO(body), context)
    if hooks.input_handler is not None and hooks.output_handler is not None:
        predict_request = hooks.input_handler(io.BytesIO(body), context)
        return hooks.output_handler(predict_rest(model.runtime, predict_request), context)
    return predict_rest(model.runtime, body).content, JSON  # no inference.py: TensorFlow Serving's REST API


def _response(result: Any, answer_type: str, request_attributes: str | None) -> InvocationResponse:
    """The handler's answer; its custom attributes, else the request's (a caller's trace id comes back)."""
    if not isinstance(result, tuple) or len(result) not in (2, 3):
        raise ModelFailureError(
            "the bundle's handler must return (content, content_type[, custom_attributes])"
        )
    content, content_type, *rest = result
    body = content.encode() if isinstance(content, str) else bytes(content)
    return InvocationResponse(body, str(content_type or answer_type), rest[0] if rest else request_attributes)
