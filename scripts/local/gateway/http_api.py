"""A WSGI app playing API Gateway's HTTP API in front of the household API's Lambda: the JWT
authorizer (401 `{"message":"Unauthorized"}` as AWS answers), then a payload-format-2.0 event to the
function, whose response becomes the HTTP response. A function error is a 500, as on AWS."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from scripts.local.esm.invokers import Invoker
from scripts.local.gateway.routes import PublicRoutes
from scripts.local.gateway.tokens import TokenError, Verifier

logger = logging.getLogger(__name__)
HEALTH_PATH = "/_local/health"  # the local gateway's own; API Gateway has no such route
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpApi:
    def __init__(
        self,
        invoker: Invoker,
        verifier: Verifier,
        *,
        function_name: str,
        timeout_seconds: float,
        public_routes: PublicRoutes | None = None,
    ):
        self._invoker = invoker
        self._public = public_routes or PublicRoutes(())
        self._verifier = verifier
        self._function_name = function_name
        self._timeout = timeout_seconds

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self.respond(environ)
        start_response(f"{status} {REASONS.get(status, '')}".strip(), headers)
        return [body]

    def respond(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return _json(200, {"status": "ok"})
        claims: dict[str, Any] | None = None
        if not self._public.allows(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")):
            try:
                claims = self._verifier.claims(environ.get("HTTP_AUTHORIZATION"))
            except TokenError:
                return _json(401, {"message": "Unauthorized"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return _json(413, {"message": "Request Entity Too Large"})
        body = environ["wsgi.input"].read(length) if length else b""
        event = http_api_event(environ, body, claims)
        result = self._invoker.invoke(event, function_name=self._function_name, timeout_seconds=self._timeout)
        if result.failed or not isinstance(result.payload, dict):
            logger.warning("the household API function failed: %s", result.describe_error())
            return _json(500, {"message": "Internal Server Error"})
        return _response(result.payload)


def http_api_event(environ: dict[str, Any], body: bytes, claims: dict[str, Any] | None) -> dict[str, Any]:
    """The event API Gateway sends; a route without an authorizer (claims None) carries none."""
    query = environ.get("QUERY_STRING", "")
    parameters: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters.setdefault(name, []).append(value)
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    now = time.time()
    text = body.decode("utf-8", "strict") if _utf8(body) else None
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        **({"queryStringParameters": {k: ",".join(v) for k, v in parameters.items()}} if parameters else {}),
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            **(
                {}
                if claims is None
                else {
                    "authorizer": {
                        "jwt": {"claims": _claims_as_api_gateway_passes_them(claims), "scopes": None}
                    }
                }
            ),
            "domainName": headers.get("host", "localhost"),
            "http": {
                "method": environ.get("REQUEST_METHOD", "GET"),
                "path": path,
                "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"),
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        **(
            {"body": text, "isBase64Encoded": False}
            if text is not None
            else {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
        ),
    }


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _claims_as_api_gateway_passes_them(claims: dict[str, Any]) -> dict[str, str]:
    """HTTP API hands claims to the function as strings; a list becomes `[a b]`."""
    return {
        name: "[" + " ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
        for name, value in claims.items()
    }


def _response(payload: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    status = int(payload.get("statusCode", 200))
    raw = payload.get("body") or ""
    body = base64.b64decode(raw) if payload.get("isBase64Encoded") else str(raw).encode()
    headers = [(str(k), str(v)) for k, v in (payload.get("headers") or {}).items()]
    for cookie in payload.get("cookies") or []:
        headers.append(("Set-Cookie", str(cookie)))
    return status, headers, body


def _json(status: int, body: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(body).encode()
