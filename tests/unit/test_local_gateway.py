"""The local HTTP API: its JWT authorizer answers 401 for a missing, expired, forged or foreign token
(as API Gateway does), passes claims as API Gateway does, and a function error is a 500."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from scripts.local.esm.invokers import InvocationResult
from scripts.local.gateway import tokens
from scripts.local.gateway.http_api import HttpApi
from services.core.settings import Settings


class Recorder:
    def __init__(self, result: InvocationResult | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = result or InvocationResult(
            payload={"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}
        )

    def invoke(
        self, event: dict[str, Any], *, function_name: str, timeout_seconds: float
    ) -> InvocationResult:
        self.events.append(event)
        return self.result


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(stack_dir=tmp_path)


def request(
    app: HttpApi, token: str | None, path: str = "/households/h1/summary", query: str = ""
) -> tuple[int, Any]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    status, _, body = app.respond(environ)
    return status, json.loads(body)


def test_a_valid_token_reaches_the_function_with_its_claims_as_strings(settings) -> None:
    recorder = Recorder()
    app = HttpApi(recorder, tokens.Verifier(settings), function_name="portal", timeout_seconds=5)
    token = tokens.issue(settings, tokens.TokenRequest("h1", operator=True, subject="me"))
    assert request(app, token, query="from=a&from=b&to=c") == (200, {})
    [event] = recorder.events
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["custom:household_id"] == "h1" and claims["sub"] == "me"
    assert claims["cognito:groups"] == "[operators]" and isinstance(claims["exp"], str)
    assert event["queryStringParameters"] == {"from": "a,b", "to": "c"}
    assert event["rawPath"] == "/households/h1/summary" and event["version"] == "2.0"


def test_missing_expired_forged_and_foreign_tokens_are_401(settings) -> None:
    recorder = Recorder()
    app = HttpApi(recorder, tokens.Verifier(settings), function_name="portal", timeout_seconds=5)
    expired = tokens.issue(settings, tokens.TokenRequest("h1", ttl_seconds=60), now=time.time() - 120)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {
        "sub": "x",
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "exp": int(time.time()) + 60,
        "custom:household_id": "h1",
    }
    forged = jwt.encode(claims, other_key, algorithm="RS256")
    foreign = jwt.encode(claims | {"aud": "another-app"}, tokens.signing_key(settings), algorithm="RS256")
    unsigned = jwt.encode(claims, "", algorithm="none")
    valid = tokens.issue(settings, tokens.TokenRequest("h1"))
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    for token in (None, "", "not-a-jwt", expired, forged, foreign, unsigned, tampered):
        assert request(app, token) == (401, {"message": "Unauthorized"}), token
    assert recorder.events == []


def test_a_function_error_is_a_500_with_a_message(settings) -> None:
    failing = Recorder(InvocationResult.unhandled("KeyError", "boom"))
    app = HttpApi(failing, tokens.Verifier(settings), function_name="portal", timeout_seconds=5)
    assert request(app, tokens.issue(settings, tokens.TokenRequest("h1"))) == (
        500,
        {"message": "Internal Server Error"},
    )


def test_the_signing_key_is_made_once_and_kept_private(settings) -> None:
    first = tokens.signing_key(settings)
    path = tokens.key_path(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert tokens.signing_key(settings).private_numbers() == first.private_numbers()
