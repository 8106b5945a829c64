"""Typed errors of the household API; the API's boundary turns each into its HTTP status."""

from __future__ import annotations

from services.core.errors import WattcastError


class PortalError(WattcastError):
    """A request the API refuses; `status` is the HTTP status it answers with."""

    status = 400


class BadRequestError(PortalError):
    """A malformed id, date, range or body."""


class UnauthorizedError(PortalError):
    """No valid token: the caller is unknown."""

    status = 401


class ForbiddenError(PortalError):
    """A valid token that does not reach this household."""

    status = 403


class NotFoundError(PortalError):
    """Nothing is stored for what was asked."""

    status = 404
