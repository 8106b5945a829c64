"""Event source mappings: which stream feeds which Lambda handler, with AWS's knobs.

Terraform creates the real mappings from the same defaults; the local runner reads these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.errors import SettingsError
from services.core.settings import STARTING_POSITIONS, Settings


@dataclass(frozen=True)
class EventSourceMapping:
    function_name: str
    handler: str  # dotted path "package.module.function"
    stream_name: str
    batch_size: int = 100
    maximum_batching_window_seconds: float = 0.0
    starting_position: str = "TRIM_HORIZON"
    starting_position_timestamp: datetime | None = None
    report_batch_item_failures: bool = True
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_seconds: int = -1
    on_failure_queue: str | None = None
    function_timeout_seconds: float = 60.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise SettingsError(f"{self.function_name}: batch_size must be 1..10000")
        if self.starting_position not in STARTING_POSITIONS:
            raise SettingsError(
                f"{self.function_name}: starting_position must be one of {STARTING_POSITIONS}"
            )
        if self.starting_position == "AT_TIMESTAMP" and self.starting_position_timestamp is None:
            raise SettingsError(f"{self.function_name}: AT_TIMESTAMP needs starting_position_timestamp")
        if not -1 <= self.maximum_retry_attempts <= 10_000:
            raise SettingsError(f"{self.function_name}: maximum_retry_attempts must be -1..10000")
        age = self.maximum_record_age_seconds
        if age != -1 and not 60 <= age <= 604_800:
            raise SettingsError(f"{self.function_name}: maximum_record_age_seconds must be -1 or 60..604800")


def _stream_mapping(settings: Settings, prefix: str, handler: str, stream_name: str) -> EventSourceMapping:
    """A mapping whose knobs are the `<prefix>_*` settings (the Terraform variables' defaults)."""

    def knob(name: str) -> Any:
        return getattr(settings, f"{prefix}_{name}")

    return EventSourceMapping(
        function_name=knob("function"),
        handler=handler,
        stream_name=stream_name,
        batch_size=knob("batch_size"),
        maximum_batching_window_seconds=knob("batching_window_seconds"),
        starting_position=settings.starting_position,
        report_batch_item_failures=True,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=knob("maximum_retry_attempts"),
        maximum_record_age_seconds=knob("maximum_record_age_seconds"),
        on_failure_queue=settings.stream_failures_queue,
        function_timeout_seconds=knob("function_timeout_seconds"),
    )


def ingest_mapping(settings: Settings) -> EventSourceMapping:
    return _stream_mapping(
        settings, "ingest", "services.ingest.handler.lambda_handler", settings.readings_stream
    )


def preprocess_mapping(settings: Settings) -> EventSourceMapping:
    return _stream_mapping(
        settings, "preprocess", "services.preprocess.handler.lambda_handler", settings.hourly_stream
    )


def alerts_mapping(settings: Settings) -> EventSourceMapping:
    """The hourly stream's second consumer: the household alerts."""
    return _stream_mapping(
        settings, "alerts", "services.portal.handler.alerts_handler", settings.hourly_stream
    )


def statements_mapping(settings: Settings) -> EventSourceMapping:
    """The hourly stream's third consumer: a household's statement when its month closes."""
    return _stream_mapping(
        settings, "statements", "services.portal.statement_handler.statements_handler", settings.hourly_stream
    )


def accuracy_mapping(settings: Settings) -> EventSourceMapping:
    """The forecasted stream's consumer: every issued forecast scored as its hours close."""
    return _stream_mapping(
        settings, "accuracy", "services.accuracy.handler.lambda_handler", settings.forecasted_stream
    )


def default_mappings(settings: Settings) -> list[EventSourceMapping]:
    return [
        ingest_mapping(settings),
        preprocess_mapping(settings),
        alerts_mapping(settings),
        statements_mapping(settings),
        accuracy_mapping(settings),
    ]
