"""The household API: Powertools' HTTP API resolver, one thin view per route of openapi.yaml.

Views parse what the request names, check the principal reaches the household, and hand over to
`views`. Typed errors become their status with a JSON message; a failing dependency becomes 503.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from services.core.errors import DependencyError
from services.core.settings import get_settings
from services.portal import fleet, household_settings, pages, requests, views
from services.portal.access import Principal, principal_of
from services.portal.errors import BadRequestError, PortalError
from services.portal.tariffs import TariffError, tariff_catalogue
from services.portal.views import PortalPorts

logger = Logger(service="wattcast-portal", child=True)  # ids and statuses only: never bodies or claims
app = APIGatewayHttpResolver()
_ports: list[PortalPorts] = []


def use_ports(ports: PortalPorts) -> None:
    """The handler module installs the AWS ports; tests install their own."""
    _ports[:] = [ports]


def _principal() -> Principal:
    settings = get_settings()
    claims = app.current_event.request_context.authorizer.jwt_claim
    return principal_of(
        claims, household_claim=settings.portal_household_claim, operator_group=settings.portal_operator_group
    )


def _household(household_id: str) -> tuple[str, PortalPorts]:
    """The validated id, once the caller's token reaches it."""
    principal = _principal()
    household = requests.household_id(household_id)
    principal.check_reaches(household)
    return household, _ports[0]


def _operator() -> PortalPorts:
    _principal().check_operator()
    return _ports[0]


@app.get("/households/<household_id>/summary")
def summary(household_id: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    return views.summary(ports, household)


@app.get("/households/<household_id>/hours")
def hours(household_id: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    event = app.current_event
    first, end = requests.hour_range(
        event.get_query_string_value("from"),
        event.get_query_string_value("to"),
        get_settings().portal_max_range_hours,
    )
    return views.hours(ports, household, first, end)


@app.get("/households/<household_id>/month/<month>")
def month(household_id: str, month: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    return views.month(ports, household, requests.month(month))


@app.get("/households/<household_id>/settings")
def get_settings_view(household_id: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    return {"household_id": household, **views.settings_of(ports, household).as_json()}


@app.put("/households/<household_id>/settings")
def put_settings(household_id: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    try:
        body = app.current_event.json_body
    except ValueError:
        raise BadRequestError("the body must be JSON") from None
    chosen = household_settings.parse(body)
    ports.settings.put(household, chosen.as_json())
    return {"household_id": household, **chosen.as_json()}


@app.get("/households/<household_id>/alerts")
def list_alerts(household_id: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    return {"household_id": household, "alerts": [a.as_json() for a in ports.alerts.alerts(household)]}


@app.get("/households/<household_id>/statements/<month>")
def statement(household_id: str, month: str) -> dict[str, Any]:
    household, ports = _household(household_id)
    return views.statement_links(
        ports, household, requests.month(month), get_settings().statement_link_seconds
    )


@app.get("/tariffs")
def tariffs() -> dict[str, Any]:
    _principal()
    return {"tariffs": tariff_catalogue()}


@app.get("/fleet/households")
def fleet_households() -> dict[str, Any]:
    ports = _operator()
    event = app.current_event
    limit = requests.page_limit(event.get_query_string_value("limit"))
    after = requests.optional_household_id(event.get_query_string_value("after"))
    return fleet.fleet_page(ports, limit, after)


@app.get("/fleet/pipeline")
def fleet_pipeline() -> dict[str, Any]:
    return fleet.pipeline(_operator(), get_settings(), datetime.now(UTC))


@app.get("/")
def household_page() -> Response[str]:
    return _asset(pages.HOUSEHOLD_PAGE)


@app.get("/operator")
def operator_page() -> Response[str]:
    return _asset(pages.OPERATOR_PAGE)


@app.get("/app/<file>")
def page_asset(file: str) -> Response[str]:
    return _asset(file)


@app.get("/page-config")
def page_config() -> dict[str, str | None]:
    return pages.page_config(get_settings())


def _asset(name: str) -> Response[str]:
    """The file, or 304 when the browser holds this version (it revalidates each load: no-cache)."""
    found = pages.asset(name)
    headers = {**pages.SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": found.etag}
    if app.current_event.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, content_type=found.content_type, body="", headers=headers)
    return Response(status_code=200, content_type=found.content_type, body=found.body, headers=headers)


def _error(status: int, message: str) -> Response[str]:
    body = json.dumps({"message": message})
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def refused(error: PortalError | TariffError) -> Response[str]:
    status = error.status if isinstance(error, PortalError) else 400
    logger.info("refused", extra={"status": status, "reason": str(error)})
    return _error(status, str(error))


def unavailable(error: DependencyError) -> Response[str]:
    logger.error("a dependency failed", extra={"cause": str(error)})
    return _error(503, "a storage dependency is unavailable; try again shortly")


@app.not_found
def no_route(_: Exception) -> Response[str]:
    event = app.current_event
    return _error(404, f"no route {event.http_method} {event.path[:200]}")


app.exception_handler(PortalError)(refused)
app.exception_handler(TariffError)(refused)
app.exception_handler(DependencyError)(unavailable)
