"""Read stored forecasts back (for `wattcast forecast show`, the demo, the tests and the benchmarks)."""

from __future__ import annotations

from typing import Any

from services.core.clients import AwsClients
from services.core.items import from_item


def forecast_items(
    clients: AwsClients, household_id: str, kind: str, *, latest_only: bool = False
) -> list[dict[str, Any]]:
    """Items of one kind ("lstm" or "month") for a household, newest first."""
    request: dict[str, Any] = {
        "TableName": clients.settings.forecasts_table,
        "KeyConditionExpression": "household_id = :h AND begins_with(forecast_key, :k)",
        "ExpressionAttributeValues": {":h": {"S": household_id}, ":k": {"S": f"{kind}#"}},
        "ScanIndexForward": False,
    }
    if latest_only:
        request["Limit"] = 1
    items: list[dict[str, Any]] = []
    while True:
        page = clients.dynamodb.query(**request)
        items += [from_item(item) for item in page["Items"]]
        if latest_only or "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def latest(clients: AwsClients, household_id: str) -> dict[str, Any]:
    lstm = forecast_items(clients, household_id, "lstm", latest_only=True)
    month = forecast_items(clients, household_id, "month", latest_only=True)
    return {
        "household_id": household_id,
        "lstm": lstm[0] if lstm else None,
        "month": month[0] if month else None,
    }


def format_latest(view: dict[str, Any]) -> str:
    lines = [f"household {view['household_id']}"]
    lstm, month = view["lstm"], view["month"]
    if lstm:
        kw = ", ".join(f"{v:.2f}" for v in lstm["kw"][:6])
        lines.append(f"  next hours from {lstm['issued_for']} (model {lstm['model']}): {kw} ... kW")
        if "kw_p10" in lstm:
            lines.append(f"  next hour's 80 % band: {lstm['kw_p10'][0]:.2f}-{lstm['kw_p90'][0]:.2f} kW")
    else:
        lines.append(
            "  no LSTM forecast yet (a new meter gets one once its history covers the model's lookback)"
        )
    if month:
        lines.append(
            f"  {month['month']} as of {month['as_of']}: {month['actual_to_date_kwh']:.1f} kWh so far, "
            "projected "
            f"{month['projected_month_kwh']:.1f} kWh ({month['projected_month_kwh_lower']:.1f} - "
            f"{month['projected_month_kwh_upper']:.1f}) by {month['model']}"
        )
    else:
        lines.append("  no month projection yet (one comes each time a day closes)")
    return "\n".join(lines)
