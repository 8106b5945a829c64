"""Local tokens for the household API: RS256, signed by a key kept in the stack directory, shaped
like a Cognito ID token (the household id in `custom:household_id`, operators in `cognito:groups`).
API Gateway's JWT authorizer checks the same things on AWS: signature, issuer, audience, expiry."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.core.errors import WattcastError
from services.core.settings import Settings

ISSUER = "https://wattcast.local/issuer"
AUDIENCE = "wattcast-portal-local"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 0


class TokenError(WattcastError):
    """A token is missing, malformed, forged or expired."""


def key_path(settings: Settings) -> Path:
    return settings.stack_dir / "portal" / "signing-key.pem"


def signing_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The stack's key, made on first use (owner-readable only). Processes that start together (the
    gateway's workers, `wattcast portal token`) agree on one key: the first link into place wins."""
    path = key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.touch(mode=0o600)
        draft.write_bytes(pem)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise TokenError(f"{path} is not an RSA key")
    return loaded


@dataclass(frozen=True)
class TokenRequest:
    household_id: str | None = None
    operator: bool = False
    ttl_seconds: int = 3600
    subject: str | None = None


def issue(settings: Settings, request: TokenRequest, *, now: float | None = None) -> str:
    if request.household_id is None and not request.operator:
        raise TokenError("a token names a household, or is an operator's")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": request.subject or str(uuid.uuid4()),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + request.ttl_seconds,
        "token_use": "id",
    }
    if request.household_id is not None:
        claims[settings.portal_household_claim] = request.household_id
    if request.operator:
        claims["cognito:groups"] = [settings.portal_operator_group]
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


class Verifier:
    def __init__(self, settings: Settings) -> None:
        self._public = signing_key(settings).public_key()

    def claims(self, authorization: str | None) -> dict[str, Any]:
        if not authorization or not authorization.startswith("Bearer "):
            raise TokenError("no bearer token")
        try:
            return jwt.decode(
                authorization.removeprefix("Bearer ").strip(),
                self._public,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
