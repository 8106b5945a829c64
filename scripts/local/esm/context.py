"""What every shard worker of one mapping shares: the mapping, its collaborators and the tuning knobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scripts.local.esm.checkpoints import CheckpointStore
from scripts.local.esm.failures import OnFailureDestination
from scripts.local.esm.invokers import Invoker
from scripts.local.esm.metrics import IteratorAgeMetric
from scripts.local.mappings import EventSourceMapping
from services.core.clients import AwsClients
from services.core.settings import Settings


@dataclass(frozen=True)
class RunnerTuning:
    """Knobs of the local poller that AWS does not expose (keep them small in tests)."""

    retry_backoff_initial_seconds: float = 0.2
    retry_backoff_max_seconds: float = 5.0
    error_backoff_seconds: float = 1.0
    throttle_backoff_max_seconds: float = 5.0
    shard_refresh_seconds: float = 10.0
    stream_active_timeout_seconds: float = 60.0
    status_interval_seconds: float = 2.0
    get_records_limit: int = 10_000


@dataclass(frozen=True)
class MappingContext:
    mapping: EventSourceMapping
    invoker: Invoker
    clients: AwsClients
    settings: Settings
    checkpoints: CheckpointStore
    destination: OnFailureDestination
    stream_arn: str
    tuning: RunnerTuning
    clock: Callable[[], float]  # epoch seconds; record ages and status times use it
    iterator_age: IteratorAgeMetric

    @property
    def region(self) -> str:
        return self.stream_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.stream_arn.split(":")[4]

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.mapping.function_name}"
