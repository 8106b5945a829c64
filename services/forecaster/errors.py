"""Typed errors of the forecaster, each with the HTTP status the container contract gives it."""

from __future__ import annotations

from services.core.errors import WattcastError


class ForecasterError(WattcastError):
    status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequestError(ForecasterError):
    status = 400


class BundleError(BadRequestError):
    """A model bundle is unsafe, malformed or of no known flavour."""


class ModelInputError(BadRequestError):
    """The bundle's handler refused the request body with one of its BAD_INPUT errors (its message
    says why)."""


class ModelNotFoundError(ForecasterError):
    status = 404


class NotAcceptableError(ForecasterError):
    status = 406


class ModelAlreadyLoadedError(ForecasterError):
    status = 409


class UnsupportedMediaTypeError(ForecasterError):
    status = 415


class InsufficientMemoryError(ForecasterError):
    status = 507


class ModelFailureError(ForecasterError):
    """The bundle's code failed with an error it does not declare as bad input: a bug in the bundle,
    not in the caller's request (answered 500; SageMaker Runtime callers see a ModelError)."""

    status = 500


class ModelNotReadyError(ForecasterError):
    status = 503
