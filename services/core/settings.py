"""One frozen settings object built from the environment: explicit argument > env var > default.

Every field `x` is read from the environment variable `WATTCAST_X` (upper case). The AWS region comes
from `AWS_REGION` / `AWS_DEFAULT_REGION` as boto3 reads it. Resource names default to the values the
Terraform variables use, so a service deployed by Terraform and one run locally agree.
Endpoints are never settings: boto3 reads `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, get_type_hints

from services.core.errors import SettingsError

ENV_PREFIX = "WATTCAST_"
# Variables other tools define for the same thing, read when WATTCAST_<FIELD> is not set.
ALIASES: dict[str, tuple[str, ...]] = {
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "forecaster_port": ("SAGEMAKER_BIND_TO_PORT",),
    "forecaster_multi_model": ("SAGEMAKER_MULTI_MODEL",),
}
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
# How month projections are made: per household on the endpoint as its day closes, or nightly in one
# batch over the fleet (services/projections), which preprocess then leaves alone.
PROJECTION_ROUTES = ("endpoint", "batch")


@dataclass(frozen=True)
class Settings:
    # Resource names (the Terraform variables have the same defaults).
    readings_stream: str = "wattcast-readings"
    hourly_stream: str = "wattcast-hourly"
    forecasted_stream: str = "wattcast-forecasted"  # preprocess -> accuracy: the hours it has forecast
    data_bucket: str = "wattcast-data"
    raw_prefix: str = "raw/"
    dead_letter_prefix: str = "dead-letter/"
    models_prefix: str = "models/"
    hourly_table: str = "wattcast-hourly"
    households_table: str = "wattcast-households"
    forecasts_table: str = "wattcast-forecasts"
    settings_table: str = "wattcast-settings"
    alerts_table: str = "wattcast-alerts"
    alerts_topic: str = "wattcast-alerts"
    alerts_topic_arn: str = ""  # Terraform sets it; the local stack sets it after creating the topic
    dead_letter_queue: str = "wattcast-dead-letter"
    stream_failures_queue: str = "wattcast-stream-failures"
    forecaster_endpoint: str = "wattcast-forecaster"
    ingest_function: str = "wattcast-ingest"
    preprocess_function: str = "wattcast-preprocess"
    alerts_function: str = "wattcast-alerts"
    region: str | None = None

    # AWS client behaviour.
    aws_max_attempts: int = 5
    aws_connect_timeout_seconds: float = 5.0
    aws_read_timeout_seconds: float = 30.0

    # Ingest.
    max_record_bytes: int = 262_144
    max_readings_per_record: int = 1_440
    dead_letter_inline_bytes: int = 200_000
    # Event time: an hour closes once the household's own readings reach this far past its end.
    allowed_lateness_seconds: int = 600
    # A reading dated further than this ahead of its record's arrival in Kinesis is rejected.
    max_clock_skew_seconds: int = 300

    # Event source mappings (local runner; Terraform uses the same defaults).
    ingest_batch_size: int = 500
    ingest_batching_window_seconds: float = 1.0
    ingest_maximum_retry_attempts: int = 10
    ingest_maximum_record_age_seconds: int = 86_400
    ingest_function_timeout_seconds: int = 60
    preprocess_batch_size: int = 100
    preprocess_batching_window_seconds: float = 1.0
    preprocess_maximum_retry_attempts: int = 10
    preprocess_maximum_record_age_seconds: int = 86_400
    preprocess_function_timeout_seconds: int = 120

    # Preprocess: which models it asks for, how much history it reads, how long forecasts live.
    lstm_target_model: str = "lstm/default.tar.gz"
    prophet_target_model: str = "prophet/{household_id}.tar.gz"
    prophet_default_model: str = "prophet/default.tar.gz"
    projection_route: str = "endpoint"
    history_hours: int = 336
    forecast_ttl_days: int = 35
    day_rollup_ttl_days: int = 800  # a day's rollup outlives its forecasts: last year's month compares
    endpoint_retry_seconds: float = 20.0
    starting_position: str = "TRIM_HORIZON"
    esm_poll_interval_seconds: float = 0.2
    esm_idle_backoff_max_seconds: float = 1.0

    # Forecaster (SageMaker serving container).
    forecaster_host: str = "0.0.0.0"  # SageMaker connects to the container from outside
    forecaster_port: int = 8080  # also SAGEMAKER_BIND_TO_PORT
    forecaster_multi_model: bool = False  # also SAGEMAKER_MULTI_MODEL
    forecaster_model_dir: Path = Path("/opt/ml/model")
    forecaster_models_dir: Path = Path("/opt/ml/models")
    forecaster_workers: int = 2
    forecaster_threads: int = 4
    forecaster_timeout_seconds: int = 60
    forecaster_max_models: int = 200
    forecaster_memory_budget_mb: int = 2048
    forecaster_max_body_bytes: int = 6 * 1024 * 1024
    forecaster_max_bundle_bytes: int = 1024 * 1024 * 1024
    prophet_uncertainty_samples: int = 300

    # Household API and alerts.
    portal_household_claim: str = "custom:household_id"  # the token claim naming a household's id
    portal_operator_group: str = "operators"  # a token in this Cognito group reads every household
    portal_max_range_hours: int = 744  # the longest /hours window (31 days)
    portal_port: int = 8090
    portal_workers: int = 2
    alerts_batch_size: int = 100
    alerts_batching_window_seconds: float = 1.0
    alerts_maximum_retry_attempts: int = 10
    alerts_maximum_record_age_seconds: int = 86_400
    alerts_function_timeout_seconds: int = 60
    silent_sweep_interval_seconds: int = 3600  # the schedule of the silent-meter sweep
    # The pages: Cognito's hosted UI (implicit grant returning an id_token to the page); none locally.
    portal_sign_in_url: str = ""
    statements_prefix: str = "statements/"  # in data_bucket: <prefix><household>/<YYYY-MM>.{html,pdf}
    statement_link_seconds: int = 3600  # how long a presigned statement link lives
    statements_function: str = "wattcast-statements"
    accuracy_table: str = "wattcast-accuracy"
    accuracy_function: str = "wattcast-accuracy"
    operations_topic: str = "wattcast-operations"
    operations_topic_arn: str = ""  # drift alerts and CloudWatch alarms; Terraform / the local stack set it
    statements_batch_size: int = 100
    statements_batching_window_seconds: float = 1.0
    statements_maximum_retry_attempts: int = 10
    statements_maximum_record_age_seconds: int = 86_400
    statements_function_timeout_seconds: int = 300  # about a second per household whose month closed
    pipeline_window_minutes: int = 15  # the operator page's iterator-age window

    # Production accuracy: every stored forecast scored as its hours close, drift against the model's
    # own test error.
    accuracy_batch_size: int = 100
    accuracy_batching_window_seconds: float = 1.0
    accuracy_maximum_retry_attempts: int = 10
    accuracy_maximum_record_age_seconds: int = 86_400
    accuracy_function_timeout_seconds: int = 60
    accuracy_ttl_days: int = 400  # score items; a year of daily errors stays comparable
    accuracy_window_days: int = 7  # the rolling error's window
    drift_multiple: float = 2.0  # drifting: daily error above this multiple of the model's test error...
    drift_days: int = 3  # ...on this many consecutive closed days
    drift_sweep_interval_seconds: int = 86_400  # the fleet's drift check (a schedule)

    # Metrics (Powertools EMF) and the model pointers (SSM parameters naming each champion bundle).
    metrics_namespace: str = "Wattcast"
    model_pointer_prefix: str = "/wattcast/models/"  # <prefix>lstm, <prefix>prophet-default
    model_pointer_cache_seconds: float = 60.0
    retrain_holdout_days: int = 14  # the recent holdout a challenger must beat the champion on

    # Local tooling.
    stack_dir: Path = Path(".wattcast")

    def __post_init__(self) -> None:
        for name in (
            "aws_max_attempts",
            "max_record_bytes",
            "max_readings_per_record",
            "forecaster_workers",
            "forecaster_threads",
            "forecaster_timeout_seconds",
            "forecaster_max_models",
            "forecaster_memory_budget_mb",
            "forecaster_max_body_bytes",
            "forecaster_max_bundle_bytes",
            "forecast_ttl_days",
            "day_rollup_ttl_days",
            "portal_max_range_hours",
            "portal_workers",
            "silent_sweep_interval_seconds",
            "accuracy_ttl_days",
            "accuracy_window_days",
            "drift_days",
            "drift_sweep_interval_seconds",
            "retrain_holdout_days",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be >= 1, got {getattr(self, name)}")
        for function in ("ingest", "preprocess", "alerts", "statements", "accuracy"):
            self._check_mapping_knobs(function)
        if self.starting_position not in STARTING_POSITIONS:
            raise SettingsError(f"starting_position must be one of {STARTING_POSITIONS}")
        if self.projection_route not in PROJECTION_ROUTES:
            raise SettingsError(
                f"projection_route must be one of {PROJECTION_ROUTES}, got {self.projection_route!r}"
            )
        for name in ("esm_poll_interval_seconds", "esm_idle_backoff_max_seconds"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be > 0")
        self._check_ranges()
        if "{household_id}" not in self.prophet_target_model:
            raise SettingsError("prophet_target_model must contain {household_id}")
        for name in ("raw_prefix", "dead_letter_prefix", "models_prefix", "statements_prefix"):
            if not getattr(self, name).endswith("/"):
                raise SettingsError(f"{name} must end with '/'")

    def _check_ranges(self) -> None:
        for name in ("allowed_lateness_seconds", "max_clock_skew_seconds"):
            if not 0 <= getattr(self, name) <= 86_400:
                raise SettingsError(f"{name} must be 0..86400 (a day), got {getattr(self, name)}")
        if not 1 <= self.pipeline_window_minutes <= 1_440:
            raise SettingsError("pipeline_window_minutes must be 1..1440 (a day of one-minute points)")
        if not 1 <= self.statement_link_seconds <= 604_800:
            raise SettingsError("statement_link_seconds must be 1..604800 (SigV4's limit)")
        if not 1.0 < self.drift_multiple <= 100.0:
            raise SettingsError(f"drift_multiple must be in (1, 100], got {self.drift_multiple}")
        if self.model_pointer_prefix and not self.model_pointer_prefix.startswith("/"):
            raise SettingsError("model_pointer_prefix must be empty or an SSM path starting with '/'")
        if self.model_pointer_cache_seconds < 0:
            raise SettingsError("model_pointer_cache_seconds must be >= 0")
        if not 1 <= self.history_hours <= 336:
            raise SettingsError("history_hours must be 1..336 (the LSTM contract's two weeks)")

    def _check_mapping_knobs(self, function: str) -> None:
        batch = getattr(self, f"{function}_batch_size")
        if not 1 <= batch <= 10_000:
            raise SettingsError(f"{function}_batch_size must be 1..10000, got {batch}")
        if not 0 <= getattr(self, f"{function}_batching_window_seconds") <= 300:
            raise SettingsError(f"{function}_batching_window_seconds must be 0..300")
        if not -1 <= getattr(self, f"{function}_maximum_retry_attempts") <= 10_000:
            raise SettingsError(f"{function}_maximum_retry_attempts must be -1..10000")
        age = getattr(self, f"{function}_maximum_record_age_seconds")
        if age != -1 and not 60 <= age <= 604_800:
            raise SettingsError(f"{function}_maximum_record_age_seconds must be -1 or 60..604800")
        if not 1 <= getattr(self, f"{function}_function_timeout_seconds") <= 900:
            raise SettingsError(f"{function}_function_timeout_seconds must be 1..900")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings: keyword overrides win over `WATTCAST_*` variables, which win over defaults."""
        env = os.environ if env is None else env
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name in overrides:
                values[field.name] = overrides.pop(field.name)
                continue
            raw = env.get(ENV_PREFIX + field.name.upper())
            for alias in ALIASES.get(field.name, ()):
                raw = raw or env.get(alias)
            if raw is not None and raw != "":
                values[field.name] = _convert(field.name, raw, hints[field.name])
        if overrides:
            raise SettingsError(f"unknown settings: {', '.join(sorted(overrides))}")
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @staticmethod
    def env_names() -> dict[str, str]:
        """Field name -> the environment variable that sets it (for docs and Terraform checks)."""
        return {f.name: ENV_PREFIX + f.name.upper() for f in fields(Settings)}


def _convert(name: str, raw: str, type_: Any) -> Any:
    try:
        if type_ is int:
            return int(raw)
        if type_ is float:
            return float(raw)
        if type_ is Path:
            return Path(raw)
        if type_ is bool:
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {type_.__name__}") from exc
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once from the environment on first use."""
    return Settings.from_env()
