"""The local stand-in for one Kinesis event source mapping (what Lambda's poller does on AWS)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts.local.esm import EsmError, NotIdleError, StreamNotActiveError
from scripts.local.esm.checkpoints import CheckpointStore, InMemoryCheckpointStore
from scripts.local.esm.context import MappingContext, RunnerTuning
from scripts.local.esm.failures import OnFailureDestination, iso_millis
from scripts.local.esm.invokers import Invoker
from scripts.local.esm.metrics import IteratorAgeMetric
from scripts.local.esm.shard import ShardWorker
from scripts.local.esm.status import StatusWriter
from scripts.local.mappings import EventSourceMapping
from services.core.clients import AwsClients
from services.core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_kinesis.type_defs import ShardTypeDef

logger = logging.getLogger(__name__)

READABLE_STREAM_STATES = ("ACTIVE", "UPDATING")

__all__ = ["MappingRunner", "RunnerTuning"]


class MappingRunner:
    """Polls every shard of `mapping.stream_name` and invokes the function with batches of records.

    One thread per shard. Within a shard, records are delivered strictly in order with one batch in
    flight (ParallelizationFactor = 1). Shards are re-listed every `tuning.shard_refresh_seconds`
    (and when a shard finishes); a child shard starts only after its parent(s) are fully processed.
    Shards present at start begin at the mapping's starting position, shards found later at
    TRIM_HORIZON; a shard with a checkpoint resumes AFTER_SEQUENCE_NUMBER.
    """

    def __init__(
        self,
        mapping: EventSourceMapping,
        invoker: Invoker,
        clients: AwsClients,
        settings: Settings,
        checkpoint_store: CheckpointStore | None = None,
        *,
        tuning: RunnerTuning | None = None,
        clock: Callable[[], float] = time.time,
        status_file: Path | None = None,
    ) -> None:
        self.mapping = mapping
        self.invoker = invoker
        self.clients = clients
        self.settings = settings
        self.checkpoint_store = (
            checkpoint_store if checkpoint_store is not None else InMemoryCheckpointStore()
        )
        self.tuning = tuning or RunnerTuning()
        self.clock = clock
        self._status_writer = (
            StatusWriter(self.status, status_file, self.tuning.status_interval_seconds)
            if status_file
            else None
        )
        self._context: MappingContext | None = None
        self._workers: dict[str, ShardWorker] = {}
        self._workers_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._state = "created"

    # ---- public API

    @property
    def stream_arn(self) -> str:
        return self._started_context().stream_arn

    def start(self) -> None:
        """Wait for the stream to be readable, then poll its shards on background threads."""
        if self._context is not None:
            return
        if self._stop.is_set():
            raise EsmError(f"{self.mapping.function_name}: a stopped runner cannot be started again")
        stream_arn = self._wait_until_readable()
        self._context = MappingContext(
            mapping=self.mapping,
            invoker=self.invoker,
            clients=self.clients,
            settings=self.settings,
            checkpoints=self.checkpoint_store,
            destination=OnFailureDestination(self.clients, self.mapping.on_failure_queue),
            stream_arn=stream_arn,
            iterator_age=IteratorAgeMetric(self.clients, self.mapping.function_name),
            tuning=self.tuning,
            clock=self.clock,
        )
        try:
            self._refresh_shards(initial=True)
        except (ClientError, BotoCoreError) as exc:
            self._context = None
            raise EsmError(f"cannot list the shards of {self.mapping.stream_name}: {exc}") from exc
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"esm-{self.mapping.function_name}", daemon=True
        )
        self._supervisor.start()
        self._state = "running"
        if self._status_writer is not None:
            self._status_writer.start()
        logger.info("%s: polling %s (%s)", self.mapping.function_name, self.mapping.stream_name, stream_arn)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling; waits up to `timeout` seconds for in-flight invocations to return."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        threads_done = True
        if self._supervisor is not None:
            self._supervisor.join(max(0.0, deadline - time.monotonic()))
        for worker in self._worker_list():
            threads_done = worker.join(max(0.0, deadline - time.monotonic())) and threads_done
        if not threads_done:
            logger.warning(
                "%s: some shard workers were still busy after %.1fs", self.mapping.function_name, timeout
            )
        self._state = "stopped"
        if self._status_writer is not None:
            self._status_writer.stop()

    def run_until_idle(self, idle_seconds: float = 0.5, timeout: float = 60.0) -> None:
        """Start if needed, then block until every shard has been caught up for `idle_seconds`.

        Caught up: nothing pending or being retried, and a GetRecords started after this call found
        no new records. Raises NotIdleError after `timeout` seconds, EsmError if a worker crashed.
        """
        self.start()
        called = time.monotonic()
        deadline = called + timeout
        while True:
            self._raise_if_broken()
            idle_since = self._idle_since(called)
            now = time.monotonic()
            if idle_since is not None and now - idle_since >= idle_seconds:
                return
            if now >= deadline:
                raise NotIdleError(
                    f"{self.mapping.function_name}: not idle after {timeout:.1f}s: {self._busy()}"
                )
            self._stop.wait(min(0.02, max(idle_seconds / 4, 0.001)))

    def status(self) -> dict[str, Any]:
        """A JSON-serialisable picture of the mapping and each shard (for `wattcast stack status`)."""
        return {
            "function_name": self.mapping.function_name,
            "stream_name": self.mapping.stream_name,
            "stream_arn": self._context.stream_arn if self._context else None,
            "state": self._state,
            "updated_at": iso_millis(self.clock()),
            "shards": {worker.shard_id: worker.board.snapshot() for worker in self._worker_list()},
        }

    def __enter__(self) -> MappingRunner:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # ---- stream and shards

    def _started_context(self) -> MappingContext:
        if self._context is None:
            raise EsmError(f"{self.mapping.function_name}: the runner has not been started")
        return self._context

    def _wait_until_readable(self) -> str:
        timeout = self.tuning.stream_active_timeout_seconds
        deadline = time.monotonic() + timeout
        last_seen = "not found"
        while True:
            try:
                summary = self.clients.kinesis.describe_stream_summary(StreamName=self.mapping.stream_name)
                description = summary["StreamDescriptionSummary"]
                if description["StreamStatus"] in READABLE_STREAM_STATES:
                    return description["StreamARN"]
                last_seen = description["StreamStatus"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise EsmError(f"cannot describe stream {self.mapping.stream_name}: {exc}") from exc
            except BotoCoreError as exc:
                last_seen = f"unreachable ({exc})"
            if time.monotonic() >= deadline or self._stop.is_set():
                raise StreamNotActiveError(
                    f"stream {self.mapping.stream_name} is not ACTIVE after {timeout:.1f}s "
                    f"(last seen: {last_seen})"
                )
            self._stop.wait(min(0.2, timeout / 10))

    def _list_shards(self) -> list[ShardTypeDef]:
        kinesis = self.clients.kinesis
        response = kinesis.list_shards(StreamName=self.mapping.stream_name)
        shards = list(response["Shards"])
        while token := response.get("NextToken"):
            response = kinesis.list_shards(NextToken=token)
            shards.extend(response["Shards"])
        return shards

    def _refresh_shards(self, *, initial: bool = False) -> None:
        context = self._started_context()
        for shard in self._list_shards():
            worker = self._workers.get(shard["ShardId"])
            if worker is None:
                worker = self._new_worker(context, shard, initial=initial)
            if "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                worker.mark_closed()
        for worker in self._worker_list():
            if not worker.started and self._parents_done(worker) and not self._stop.is_set():
                worker.start()

    def _new_worker(self, context: MappingContext, shard: ShardTypeDef, *, initial: bool) -> ShardWorker:
        parents = [shard[key] for key in ("ParentShardId", "AdjacentParentShardId") if key in shard]
        worker = ShardWorker(
            context,
            shard["ShardId"],
            start_position=self.mapping.starting_position if initial else "TRIM_HORIZON",
            parent_shard_ids=parents,
            stop=self._stop,
            on_finished=lambda _shard_id: self._wake.set(),
        )
        with self._workers_lock:
            self._workers[worker.shard_id] = worker
        return worker

    def _parents_done(self, worker: ShardWorker) -> bool:
        """Parents that are no longer listed (trimmed) count as done."""
        return all(
            parent not in self._workers or self._workers[parent].finished
            for parent in worker.parent_shard_ids
        )

    def _supervise(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tuning.shard_refresh_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._refresh_shards()
            except (ClientError, BotoCoreError) as exc:
                logger.warning("%s: cannot list shards: %s", self.mapping.function_name, exc)

    # ---- idleness

    def _worker_list(self) -> list[ShardWorker]:
        with self._workers_lock:
            return list(self._workers.values())

    def _idle_since(self, polled_after: float) -> float | None:
        """When the last shard became idle, or None while any shard is busy or not started."""
        workers = self._worker_list()
        if not workers:
            return None
        moments = [worker.idle_since(polled_after) for worker in workers]
        if any(moment is None for moment in moments):
            return None
        return max(moment for moment in moments if moment is not None)

    def _raise_if_broken(self) -> None:
        if self._stop.is_set():
            raise EsmError(f"{self.mapping.function_name}: the runner was stopped")
        crashed = [worker.shard_id for worker in self._worker_list() if worker.board.state == "crashed"]
        if crashed:
            raise EsmError(f"{self.mapping.function_name}: shard workers crashed: {', '.join(crashed)}")

    def _busy(self) -> str:
        busy = []
        for worker in self._worker_list():
            if worker.idle_since(0.0) is None:
                status = worker.board.snapshot()
                busy.append(f"{worker.shard_id} ({status['state']}, last error: {status['last_error']})")
        return "; ".join(busy) or "shards not caught up yet"
