"""`wattcast cost` output: the table of a CostReport, or its JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from scripts.cost.model import Assumptions, CostReport


def format_report(report: CostReport, assumptions: Assumptions | None = None) -> str:
    options = report.options
    header = (
        f"Wattcast on AWS, one month, {options.households:,} households: {options.readings_per_hour:g} "
        f"readings/h, {options.readings_per_record} per record, Kinesis {options.kinesis_mode}, "
        f"projections by {options.projection_route}, Lambda duration {options.lambda_duration} "
        f"(prices of {report.prices_as_of}, usage measured "
        f"{report.usage_measured_at})"
    )
    width = max(len(line.item) for line in report.lines)
    rows = [
        f"  {line.service:<15} {line.item:<{width}} {line.quantity:>16,.2f} {line.unit:<15}"
        f" {line.usd:>12,.2f}  {line.basis}"
        for line in report.lines
    ]
    services = [f"  {service:<15} {usd:>12,.2f}" for service, usd in report.by_service().items()]
    summary = [
        f"  total USD a month {report.total:>14,.2f}",
        f"  per household     {report.per_household:>14,.4f}",
    ]
    notes = [f"  warning: {text}" for text in report.warnings]
    chosen = assumptions or Assumptions()
    assumed = ", ".join(
        f"{key}={value:g}" if isinstance(value, int | float) else f"{key}={value}"
        for key, value in asdict(chosen).items()
    )
    lines = [header, "  per item (USD a month):", *rows, "  per service:", *services, *summary, *notes]
    return "\n".join([*lines, f"  assumptions: {assumed}"])


def report_json(report: CostReport) -> dict[str, Any]:
    return {
        "households": report.options.households,
        "projection_route": report.options.projection_route,
        "kinesis_mode": report.options.kinesis_mode,
        "lambda_duration": report.options.lambda_duration,
        "readings_per_hour": report.options.readings_per_hour,
        "readings_per_record": report.options.readings_per_record,
        "prices_as_of": report.prices_as_of,
        "usage_measured_at": report.usage_measured_at,
        "lines": [asdict(line) for line in report.lines],
        "by_service": report.by_service(),
        "total_usd": report.total,
        "per_household_usd": report.per_household,
        "warnings": report.warnings,
    }
