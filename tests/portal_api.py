"""The household API's in-memory fixture (two days of one household, its forecasts and a projection)
and a caller that sends a request through the local gateway's event, as API Gateway would."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from scripts.local.gateway.http_api import http_api_event
from scripts.local.lambda_context import LocalLambdaContext
from scripts.local.portal_memory import MemoryStores
from services.core.hourly import HourlyRow
from services.core.reading import MEASURES, format_ts
from services.portal import api

H = timedelta(hours=1)
FEB = datetime(2010, 2, 1, tzinfo=UTC)
CLAIM = "custom:household_id"


def row(hour: datetime, kw: float) -> HourlyRow:
    means: dict[str, float | None] = dict.fromkeys(MEASURES, 0.0)
    means |= {
        "global_active_power": kw,
        "voltage": 240.0,
        "sub_metering_1": 1.0,
        "sub_metering_2": 2.0,
        "sub_metering_3": 5.0,
    }  # Wh per minute: 0.06, 0.12 and 0.3 kWh per hour
    return HourlyRow("h1", hour, 60, means)


def seeded_stores() -> MemoryStores:
    fakes = MemoryStores()
    # Feb 1 and 2 measured at 1 kW (off-peak 22-06 Paris = 21-05 UTC in winter), hour 48 still open.
    fakes.hours.rows_by_household["h1"] = [row(FEB + i * H, 1.0) for i in range(49)]
    fakes.clocks.latest["h1"] = FEB + 48 * H + timedelta(minutes=30)
    fakes.clocks.open_hours["h1"] = frozenset({FEB + 48 * H})
    for i in range(24, 48):
        ts = format_ts(FEB + (i + 1) * H)
        fakes.forecasts.items.setdefault("h1", []).append(
            {
                "forecast_key": f"lstm#{ts}",
                "issued_for": ts,
                "origin": format_ts(FEB + i * H),
                "model": "lstm",
                "kw": [0.9 + j / 100 for j in range(24)],
                "kw_p10": [0.5] * 24,
                "kw_p90": [1.5] * 24,
            }
        )
    fakes.forecasts.items["h1"].append(
        {
            "forecast_key": "month#2010-02#2010-02-03",
            "as_of": "2010-02-03",
            "month": "2010-02",
            "forecast": [
                {"date": f"2010-02-{d:02d}", "kwh": 24.0, "kwh_lower": 20.0, "kwh_upper": 28.0}
                for d in range(3, 29)
            ],
            "remaining_kwh_samples": [26 * 20.0, 26 * 24.0, 26 * 28.0, 26 * 24.0, 26 * 24.0],
        }
    )
    return fakes


def respond(
    method: str,
    path: str,
    *,
    household: str | None = "h1",
    query: str = "",
    body: Any = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The function's answer to a request as API Gateway would pass it (claims {}: no authorizer)."""
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    wsgi_path = (
        unquote(path).encode("utf-8", "surrogateescape").decode("latin-1")
    )  # as a WSGI server passes it
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": wsgi_path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()},
    }
    if claims is None:
        claims = {"sub": "user-1", **({CLAIM: household} if household else {})}
    answer: dict[str, Any] = api.app.resolve(
        http_api_event(environ, raw, claims or None), LocalLambdaContext("wattcast-portal", 30)
    )
    return answer


def call(method: str, path: str, **request: Any) -> tuple[int, Any]:
    """Status and body (JSON decoded) of `respond`."""
    answer = respond(method, path, **request)
    if not answer.get("body"):
        return answer["statusCode"], None
    json_body = answer["headers"]["Content-Type"].startswith("application/json")
    return answer["statusCode"], json.loads(answer["body"]) if json_body else answer["body"]
