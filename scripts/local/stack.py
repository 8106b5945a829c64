"""The embedded stack: an AWS emulator on 127.0.0.1 (moto server), Wattcast's resources, the
forecaster, and the local event source mappings calling the Lambda handlers in-process.

With `AWS_ENDPOINT_URL` already set (LocalStack, another emulator), no emulator is started: the
resources are created there and the mappings poll it. `scripts.local.stack_control` runs one in a
background process for `wattcast stack up`.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from scripts.local.bootstrap import bootstrap, create_alerts_topic, create_operations_topic
from scripts.local.emulator import MotoEmulator, use_emulator_environment
from scripts.local.esm.checkpoints import JsonFileCheckpointStore
from scripts.local.esm.invokers import InProcessInvoker
from scripts.local.esm.runner import MappingRunner
from scripts.local.esm.status import status_path
from scripts.local.forecaster_process import ForecasterProcess
from scripts.local.mappings import EventSourceMapping, default_mappings
from scripts.local.metrics_collector import MetricsCollection
from scripts.local.portal_process import PortalProcess
from scripts.local.schedule import Schedule
from services.core.clients import AwsClients, reset_clients
from services.core.settings import Settings

logger = logging.getLogger(__name__)
ALERTS_SWEEP_HANDLER = "services.portal.handler.alerts_handler"  # a scheduled event: the sweep
DRIFT_SWEEP_HANDLER = "services.accuracy.handler.sweep_handler"


class EmbeddedStack:
    """Emulator + resources + mappings in this process. Used by `stack up`, the demo and tests."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        port: int = 0,
        readings_shards: int = 2,
        publish_status: bool = False,
    ) -> None:
        self._settings = settings
        self._publish_status = publish_status
        self._port = port
        self._readings_shards = readings_shards
        self._emulator: MotoEmulator | None = None
        self.endpoint: str | None = None
        self.runners: list[MappingRunner] = []
        self.schedules: list[Schedule] = []
        self.clients: AwsClients | None = None
        self.forecaster: ForecasterProcess | None = None
        self.portal: PortalProcess | None = None
        self.metrics: MetricsCollection | None = None

    def start(
        self,
        *,
        mappings: bool = True,
        forecaster: bool = True,
        create_resources: bool = True,
        portal: bool = True,
    ) -> str:
        """Start (or find) the emulator, create the resources (unless Terraform made them already),
        start the forecaster, the household API and the mappings."""
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL") or self._start_emulator()
        reset_clients()
        settings = self._settings or Settings.from_env()
        self.clients = AwsClients(settings)
        self.metrics = MetricsCollection(settings.stack_dir)
        self.metrics.start()  # before any process starts: each inherits where to copy its metrics
        if create_resources:
            bootstrap(self.clients, readings_shards=self._readings_shards)
        self._use_topics()
        if forecaster:
            self.start_forecaster()
        if portal:
            self.start_portal()
        if mappings:
            self.start_mappings(default_mappings(settings))
            self.start_schedules()
        return self.endpoint

    def start_schedules(self) -> None:
        """The silent-meter sweep every `silent_sweep_interval_seconds` and the fleet's drift check every
        `drift_sweep_interval_seconds`, as EventBridge runs them."""
        assert self.clients is not None
        settings = self.clients.settings
        region = self.clients.s3.meta.region_name or "us-east-1"
        for handler, function, interval, timeout in (
            (
                ALERTS_SWEEP_HANDLER,
                settings.alerts_function,
                settings.silent_sweep_interval_seconds,
                settings.alerts_function_timeout_seconds,
            ),
            (
                DRIFT_SWEEP_HANDLER,
                settings.accuracy_function,
                settings.drift_sweep_interval_seconds,
                settings.accuracy_function_timeout_seconds,
            ),
        ):
            schedule = Schedule(
                InProcessInvoker(handler),
                function_name=function,
                rule_arn=f"arn:aws:events:{region}:123456789012:rule/{function}-sweep",
                interval_seconds=interval,
                timeout_seconds=timeout,
            )
            schedule.start()
            self.schedules.append(schedule)

    def _use_topics(self) -> None:
        """The functions read the topics' ARNs from WATTCAST_ALERTS_TOPIC_ARN and
        WATTCAST_OPERATIONS_TOPIC_ARN, as on AWS."""
        assert self.clients is not None
        settings = self.clients.settings
        changes = {}
        if not settings.alerts_topic_arn:
            os.environ["WATTCAST_ALERTS_TOPIC_ARN"] = changes["alerts_topic_arn"] = create_alerts_topic(
                self.clients
            )
        if not settings.operations_topic_arn:
            arn = create_operations_topic(self.clients)
            os.environ["WATTCAST_OPERATIONS_TOPIC_ARN"] = changes["operations_topic_arn"] = arn
        if changes:
            reset_clients()
            self.clients = AwsClients(settings.replace(**changes))

    def start_portal(self) -> str:
        """The household API's local gateway on loopback (WATTCAST_PORTAL_URL)."""
        assert self.clients is not None
        stack_dir = self.clients.settings.stack_dir
        stack_dir.mkdir(parents=True, exist_ok=True)
        if self.portal is None:
            self.portal = PortalProcess(log=stack_dir / "portal.log")
        self.portal.start()
        os.environ["WATTCAST_PORTAL_URL"] = self.portal.url
        return self.portal.url

    def start_forecaster(self) -> str:
        """The forecaster on loopback; boto3's sagemaker-runtime is pointed at it."""
        assert self.clients is not None
        stack_dir = self.clients.settings.stack_dir
        stack_dir.mkdir(parents=True, exist_ok=True)
        if self.forecaster is None:
            self.forecaster = ForecasterProcess(
                models_dir=stack_dir / "models", log=stack_dir / "forecaster.log"
            )
        self.forecaster.start()
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = self.forecaster.url
        reset_clients()
        return self.forecaster.url

    def stop_forecaster(self) -> None:
        if self.forecaster is not None:
            self.forecaster.stop()

    @property
    def emulator_pid(self) -> int | None:
        """The moto server's process id when this stack started it (the benchmarks read its CPU)."""
        return self._emulator.pid if self._emulator is not None else None

    def _start_emulator(self) -> str:
        self._emulator = MotoEmulator(self._port)
        endpoint = self._emulator.start()
        use_emulator_environment(endpoint)
        return endpoint

    def start_mappings(self, mappings: list[EventSourceMapping]) -> None:
        assert self.clients is not None
        settings = self.clients.settings
        store = JsonFileCheckpointStore.in_directory(settings.stack_dir) if self._emulator is None else None
        for mapping in mappings:
            runner = MappingRunner(
                mapping,
                InProcessInvoker(mapping.handler),
                self.clients,
                settings,
                checkpoint_store=store,
                status_file=status_path(settings.stack_dir, mapping.function_name)
                if self._publish_status
                else None,
            )
            runner.start()
            self.runners.append(runner)

    def run_until_idle(self, idle_seconds: float = 1.0, timeout: float = 300.0) -> None:
        """Block until every mapping has caught up with its stream."""
        deadline = time.monotonic() + timeout
        for _ in range(2):  # ingest feeds the hourly stream: check everything twice
            for runner in self.runners:
                runner.run_until_idle(
                    idle_seconds=idle_seconds, timeout=max(1.0, deadline - time.monotonic())
                )

    def status(self) -> list[dict[str, Any]]:
        return [runner.status() for runner in self.runners]

    def stop(self) -> None:
        for schedule in self.schedules:
            schedule.stop()
        self.schedules.clear()
        for runner in self.runners:
            runner.stop(timeout=10)
        self.runners.clear()
        self.stop_forecaster()
        self.forecaster = None
        if self.portal is not None:
            self.portal.stop()
            self.portal = None
            os.environ.pop("WATTCAST_PORTAL_URL", None)
        os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", None)
        if self.metrics is not None:
            self.metrics.stop()
            self.metrics = None
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
            os.environ.pop("AWS_ENDPOINT_URL", None)
        reset_clients()
