"""AWS clients, created lazily once per process and shared across threads.

Endpoints are never passed here: boto3 reads `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`
itself, so the same code talks to moto, LocalStack or AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config

from services.core.settings import Settings, get_settings

T = TypeVar("T")
# SigV4 for every S3 call, presigned links included (boto3 may still presign with the legacy SigV2).
S3_CONFIG = Config(signature_version="s3v4")

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


class AwsClients:
    """A lazily filled cache of boto3 clients built from one Settings object."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._session = boto3.session.Session(region_name=self.settings.region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": "standard", "max_attempts": self.settings.aws_max_attempts},
            connect_timeout=self.settings.aws_connect_timeout_seconds,
            read_timeout=self.settings.aws_read_timeout_seconds,
            max_pool_connections=32,
        )

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                config = self._config.merge(S3_CONFIG) if service == "s3" else self._config
                self._clients[service] = self._session.client(service, config=config)  # type: ignore[call-overload]
            return self._clients[service]

    @property
    def kinesis(self) -> KinesisClient:
        return self.client("kinesis")  # type: ignore[no-any-return]

    @property
    def s3(self) -> S3Client:
        return self.client("s3")  # type: ignore[no-any-return]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")  # type: ignore[no-any-return]

    @property
    def sqs(self) -> SQSClient:
        return self.client("sqs")  # type: ignore[no-any-return]


_default: AwsClients | None = None
_default_lock = threading.Lock()


def get_clients() -> AwsClients:
    """The process-wide clients (one set per Lambda container or CLI process)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = AwsClients()
        return _default


def per_clients(build: Callable[[AwsClients], T]) -> Callable[[], T]:
    """A getter for something built from the process's clients: built once, rebuilt only after
    `reset_clients()` (a Lambda container keeps it across invocations)."""
    cache: list[tuple[AwsClients, T]] = []

    def get() -> T:
        clients = get_clients()
        if not cache or cache[0][0] is not clients:
            cache[:] = [(clients, build(clients))]
        return cache[0][1]

    return get


def reset_clients() -> None:
    """Forget cached clients and settings (tests that change the environment call this)."""
    global _default
    with _default_lock:
        _default = None
    get_settings.cache_clear()
