"""DynamoDB table layouts, shared by the services, the local bootstrap and the Terraform checks."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.settings import Settings


@dataclass(frozen=True)
class TableSpec:
    name: str
    hash_key: str
    range_key: str | None = None
    ttl_attribute: str | None = None


def table_specs(settings: Settings) -> list[TableSpec]:
    return [
        # One item per household-hour: sums and counts per measure, and the set of minutes counted.
        TableSpec(settings.hourly_table, "household_id", "hour"),
        # One item per household: the latest open hour (drives the "hour closed" events).
        TableSpec(settings.households_table, "household_id"),
        # Forecasts per household, keyed so a retried batch overwrites; they age out.
        TableSpec(settings.forecasts_table, "household_id", "forecast_key", ttl_attribute="expires_at"),
        # A household's settings (budget, tariff, alert knobs), written by the household API.
        TableSpec(settings.settings_table, "household_id"),
        # A household's alerts (alert#<key>) and the alert machines' states (state#<name>).
        TableSpec(settings.alerts_table, "household_id", "alert_key"),
        # Production accuracy: hour#, day#, month# scores, the rolling error and the drift mark.
        TableSpec(settings.accuracy_table, "household_id", "score_key", ttl_attribute="expires_at"),
    ]
