"""What terraform/envs/aws deploys, with its variables' defaults (tests/unit/test_cost_model.py reads
variables.tf and fails when these drift from it)."""

from __future__ import annotations

from dataclasses import dataclass, field


def _memory() -> dict[str, int]:
    # functions.ingest_memory_size, functions.preprocess_memory_size, household_api.alerts_memory_size,
    # household_api.statements_memory_size, accuracy.memory_size, household_api.portal_memory_size
    return {
        "ingest": 1024,
        "preprocess": 1024,
        "alerts": 1024,
        "statements": 1024,
        "accuracy": 512,
        "portal": 1024,
    }


@dataclass(frozen=True)
class Sizing:
    memory_mb: dict[str, int] = field(default_factory=_memory)
    architecture: str = "x86_64"  # functions.architecture
    log_retention_days: int = 365  # functions.log_retention_days
    ingest_batch_size: int = 500  # ingest_batch_size
    ingest_batching_window_s: float = 1.0  # ingest_batching_window_seconds
    endpoint_instance_type: str = "ml.m5.large"  # forecaster.instance_type
    endpoint_min_capacity: int = 1  # forecaster.autoscaling.min_capacity
    endpoint_max_capacity: int = 2  # forecaster.autoscaling.max_capacity
    endpoint_workers: int = 2  # gunicorn workers: one per vCPU of an ml.m5.large
    retraining_instance_type: str = "ml.m5.large"  # retraining.instance_type
    projections_instance_type: str = "ml.m5.large"  # projections.instance_type (the batch route)
    projections_instance_count: int = 1  # projections.instance_count
    projections_processes: int = 2  # the job's processes per instance: one per vCPU
    retraining_max_runtime_s: int = 14_400  # retraining.max_runtime_seconds
    streams: tuple[str, ...] = ("readings", "hourly", "forecasted")
    # mappings per stream: readings -> ingest; hourly -> preprocess, alerts, statements;
    # forecasted -> accuracy
    stream_consumers: dict[str, int] = field(
        default_factory=lambda: {"readings": 1, "hourly": 3, "forecasted": 1}
    )
    tables: int = 6  # module.storage
    images: int = 6  # ECR repositories
