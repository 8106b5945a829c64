"""One shard's poller: read, batch, invoke, retry, checkpoint — strictly in order, one batch at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts.local.esm.batching import (
    BatchVerdict,
    Decision,
    Outcome,
    StreamRecord,
    batch_is_full,
    count_expired,
    decide,
    interpret_result,
    records_that_fit,
    retry_backoff_seconds,
)
from scripts.local.esm.checkpoints import CheckpointKey
from scripts.local.esm.context import MappingContext
from scripts.local.esm.events import kinesis_event, kinesis_event_record
from scripts.local.esm.failures import (
    RECORD_AGE_EXCEEDED,
    RETRY_ATTEMPTS_EXHAUSTED,
    DiscardedBatch,
    on_failure_message,
)
from scripts.local.esm.invokers import InvocationResult
from scripts.local.esm.status import ShardStatusBoard

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

logger = logging.getLogger(__name__)

THROTTLING_ERRORS = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException"})


class RetryCounter:
    """Failed attempts of the batch that starts at one record; forgotten when the checkpoint moves."""

    def __init__(self) -> None:
        self._start: str | None = None
        self._failures = 0

    def failures_for(self, start_sequence_number: str) -> int:
        return self._failures if self._start == start_sequence_number else 0

    def set(self, start_sequence_number: str, failures: int) -> None:
        self._start, self._failures = start_sequence_number, failures

    def reset(self) -> None:
        self._start, self._failures = None, 0


class ShardWorker:
    """Polls one shard on its own thread until the shard is closed and drained, or until stopped."""

    def __init__(
        self,
        context: MappingContext,
        shard_id: str,
        *,
        start_position: str,
        parent_shard_ids: Sequence[str],
        stop: threading.Event,
        on_finished: Callable[[str], None],
    ) -> None:
        self.shard_id = shard_id
        self.parent_shard_ids = tuple(parent_shard_ids)
        self.board = ShardStatusBoard(shard_id, context.clock)
        self._ctx = context
        self._mapping = context.mapping
        self._start_position = start_position
        self._stop = stop
        self._on_finished = on_finished
        self._key = CheckpointKey(context.mapping.function_name, context.stream_arn, shard_id)
        self._thread: threading.Thread | None = None
        self._iterator: str | None = None
        self._pending: deque[StreamRecord] = deque()
        self._first_pending_at: float | None = None
        self._forced_sizes: deque[int] = deque()
        self._retries = RetryCounter()
        self._last_fetched: str | None = None
        self._idle_delay = context.settings.esm_poll_interval_seconds
        self._throttle_delay = context.settings.esm_poll_interval_seconds
        self._closed_at: float | None = None
        self._drained_after_close = False
        self._caught_up: tuple[float, float] | None = None  # (caught up since, last caught-up poll started)
        self._finished_at: float | None = None

    # ---- lifecycle, called from the runner's threads

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"esm-{self._mapping.function_name}-{self.shard_id}", daemon=True
        )
        self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def finished(self) -> bool:
        return self._finished_at is not None

    def join(self, timeout: float) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def mark_closed(self) -> None:
        """The shard listing shows an ending sequence number: finish once a later poll finds nothing."""
        if self._closed_at is None:
            self._closed_at = time.monotonic()

    def idle_since(self, polled_after: float) -> float | None:
        """Since when (monotonic) the shard is caught up, if a caught-up poll started after `polled_after`."""
        if self._finished_at is not None:
            return self._finished_at
        caught_up = self._caught_up
        if caught_up is None or caught_up[1] < polled_after:
            return None
        return caught_up[0]

    # ---- the loop

    def _run(self) -> None:
        self.board.update(state="polling")
        try:
            self._iterator = self._initial_iterator()
            while not self._stop.is_set():
                if self._batch_ready():
                    self._process_next_batch()
                elif self._reading_done():
                    self._finish()
                    return
                else:
                    self._poll_and_wait()
        except Exception as exc:
            logger.exception("%s: shard worker for %s crashed", self._mapping.function_name, self.shard_id)
            self.board.error(f"crashed: {type(exc).__name__}: {exc}")
            self.board.update(state="crashed")

    def _finish(self) -> None:
        logger.info("%s: shard %s is closed and fully processed", self._mapping.function_name, self.shard_id)
        self._finished_at = time.monotonic()
        self.board.update(state="finished", iterator_age_ms=0)
        self._on_finished(self.shard_id)

    def _reading_done(self) -> bool:
        return self._iterator is None or self._drained_after_close

    def _batch_ready(self) -> bool:
        if not self._pending:
            return False
        if self._forced_sizes or self._reading_done():
            return True
        window = self._mapping.maximum_batching_window_seconds
        if window <= 0 or batch_is_full(self._pending, self._mapping.batch_size):
            return True
        return self._gathering_seconds() >= window

    def _gathering_seconds(self) -> float:
        """How long the first pending record has been gathered: since it reached the stream, or
        since it was read when that is longer (a clock that disagrees with the stream's). From the
        arrival, so that a record found late by an idle poller (backed off up to a second) does not
        wait a whole window more: a record waits at most the window before its batch is invoked."""
        assert self._first_pending_at is not None
        read_ago = time.monotonic() - self._first_pending_at
        return max(read_ago, self._ctx.clock() - self._pending[0].arrival)

    # ---- reading

    @property
    def _kinesis(self) -> KinesisClient:
        return self._ctx.clients.kinesis

    def _initial_iterator(self) -> str | None:
        checkpoint = self._ctx.checkpoints.get(self._key)
        if checkpoint is not None:
            return self._get_iterator(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=checkpoint
            )
        if self._start_position == "AT_TIMESTAMP":
            return self._get_iterator(
                ShardIteratorType="AT_TIMESTAMP", Timestamp=self._mapping.starting_position_timestamp
            )
        return self._get_iterator(ShardIteratorType=self._start_position)

    def _resume_iterator(self) -> str | None:
        """A fresh iterator after the last record read (records already read stay pending)."""
        if self._last_fetched is not None:
            return self._get_iterator(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=self._last_fetched
            )
        return self._initial_iterator()

    def _get_iterator(self, **position: Any) -> str | None:
        while not self._stop.is_set():
            try:
                response = self._kinesis.get_shard_iterator(
                    StreamName=self._mapping.stream_name, ShardId=self.shard_id, **position
                )
                return response["ShardIterator"]
            except (ClientError, BotoCoreError) as exc:
                self._note_error("GetShardIterator", exc)
                self._stop.wait(self._ctx.tuning.error_backoff_seconds)
        return None

    def _poll_and_wait(self) -> None:
        assert self._iterator is not None
        started = time.monotonic()
        try:
            response = self._kinesis.get_records(
                ShardIterator=self._iterator, Limit=self._ctx.tuning.get_records_limit
            )
        except ClientError as exc:
            self._stop.wait(self._after_poll_error(exc))
            return
        except BotoCoreError as exc:
            self._note_error("GetRecords", exc)
            self._stop.wait(self._ctx.tuning.error_backoff_seconds)
            return
        self._throttle_delay = self._ctx.settings.esm_poll_interval_seconds
        self._iterator = response.get("NextShardIterator")
        records = [StreamRecord.from_get_records(self.shard_id, record) for record in response["Records"]]
        if records:
            self._accept(records)
            delay = self._ctx.settings.esm_poll_interval_seconds
        else:
            self._note_empty_poll(started, response.get("MillisBehindLatest"))
            delay = self._next_idle_delay()
        if not self._batch_ready():
            self._stop.wait(self._cap_to_window(delay))

    def _after_poll_error(self, exc: ClientError) -> float:
        """Handle a failed GetRecords; return how long to wait before the next one."""
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ExpiredIteratorException":
            logger.info(
                "%s: iterator of %s expired; getting a new one", self._mapping.function_name, self.shard_id
            )
            self._iterator = self._resume_iterator()
            return 0.0
        self._note_error("GetRecords", exc)
        if code in THROTTLING_ERRORS:
            delay = self._throttle_delay
            self._throttle_delay = min(delay * 2, self._ctx.tuning.throttle_backoff_max_seconds)
            return delay
        return self._ctx.tuning.error_backoff_seconds

    def _accept(self, records: list[StreamRecord]) -> None:
        if not self._pending:
            self._first_pending_at = time.monotonic()
        self._pending.extend(records)
        self._last_fetched = records[-1].sequence_number
        self._caught_up = None
        self._idle_delay = self._ctx.settings.esm_poll_interval_seconds

    def _note_empty_poll(self, started: float, millis_behind: int | None) -> None:
        if millis_behind is not None:
            self.board.update(iterator_age_ms=millis_behind)
        if self._closed_at is not None and started >= self._closed_at:
            self._drained_after_close = True
        if not self._pending and not millis_behind:
            since = self._caught_up[0] if self._caught_up else started
            self._caught_up = (since, started)

    def _next_idle_delay(self) -> float:
        delay = self._idle_delay
        self._idle_delay = min(delay * 2, self._ctx.settings.esm_idle_backoff_max_seconds)
        return min(delay, self._ctx.settings.esm_idle_backoff_max_seconds)

    def _cap_to_window(self, delay: float) -> float:
        if self._first_pending_at is None or not self._pending:
            return delay
        left = self._mapping.maximum_batching_window_seconds - self._gathering_seconds()
        return max(0.0, min(delay, left))

    # ---- delivering

    def _process_next_batch(self) -> None:
        size = (
            self._forced_sizes[0]
            if self._forced_sizes
            else records_that_fit(self._pending, self._mapping.batch_size)
        )
        batch = list(islice(self._pending, size))
        expired = count_expired(batch, self._ctx.clock(), self._mapping.maximum_record_age_seconds)
        if expired:
            invokes = self._retries.failures_for(batch[0].sequence_number)
            self._shrink_forced_batch(expired)
            self._discard(batch[:expired], RECORD_AGE_EXCEEDED, invokes, None)
            return
        result = self._invoke(batch)
        outcome = interpret_result(result, batch, self._mapping.report_batch_item_failures)
        decision = decide(
            outcome,
            len(batch),
            bisect_on_function_error=self._mapping.bisect_batch_on_function_error,
            prior_failures=self._retries.failures_for(batch[0].sequence_number),
            maximum_retry_attempts=self._mapping.maximum_retry_attempts,
        )
        self._apply(batch, outcome, decision, result)

    def _invoke(self, batch: list[StreamRecord]) -> InvocationResult:
        event = kinesis_event(
            kinesis_event_record(
                data=record.data,
                sequence_number=record.sequence_number,
                partition_key=record.partition_key,
                shard_id=self.shard_id,
                event_source_arn=self._ctx.stream_arn,
                approximate_arrival=record.arrival,
                region=self._ctx.region,
            )
            for record in batch
        )
        self.board.invoking(len(batch), batch[0].sequence_number, min(r.arrival for r in batch))
        try:
            return self._ctx.invoker.invoke(
                event,
                function_name=self._mapping.function_name,
                timeout_seconds=self._mapping.function_timeout_seconds,
            )
        except Exception as exc:
            logger.warning("%s: invoker raised %s: %s", self._mapping.function_name, type(exc).__name__, exc)
            return InvocationResult.unhandled(type(exc).__name__, str(exc))
        finally:
            self.board.invoked()

    def _apply(
        self, batch: list[StreamRecord], outcome: BatchVerdict, decision: Decision, result: InvocationResult
    ) -> None:
        if self._forced_sizes:
            self._forced_sizes.popleft()
        self._forced_sizes.extendleft(reversed(decision.next_sizes))
        if decision.completed:
            self._complete(batch[: decision.completed])
        rest = batch[decision.completed :]
        if outcome.outcome is Outcome.SUCCESS:
            self.board.add(batches_ok=1)
            return
        self.board.add(batches_failed=1)
        self.board.error(outcome.reason)
        logger.info(
            "%s: batch %s..%s of %s failed (%s)",
            self._mapping.function_name,
            batch[0].sequence_number,
            batch[-1].sequence_number,
            self.shard_id,
            outcome.reason,
        )
        if decision.discard:
            self._discard(rest, RETRY_ATTEMPTS_EXHAUSTED, decision.failures, result)
            return
        self._retries.set(rest[0].sequence_number, decision.failures)
        if decision.retry:
            tuning = self._ctx.tuning
            self._stop.wait(
                retry_backoff_seconds(
                    decision.failures, tuning.retry_backoff_initial_seconds, tuning.retry_backoff_max_seconds
                )
            )

    def _complete(self, records: Sequence[StreamRecord]) -> None:
        self._advance_past(records)
        self.board.add(records_delivered=len(records))
        now = self._ctx.clock()
        age_ms = max(0, int((now - records[-1].arrival) * 1000))
        self.board.update(iterator_age_ms=age_ms)
        self._ctx.iterator_age.put(age_ms, now)

    def _discard(
        self,
        records: Sequence[StreamRecord],
        condition: str,
        invoke_count: int,
        result: InvocationResult | None,
    ) -> None:
        discarded = DiscardedBatch(
            records=records,
            condition=condition,
            invoke_count=invoke_count,
            last_result=result,
            function_arn=self._ctx.function_arn,
            stream_arn=self._ctx.stream_arn,
        )
        logger.warning(
            "%s: discarding %d records %s..%s of %s (%s)",
            self._mapping.function_name,
            len(records),
            records[0].sequence_number,
            records[-1].sequence_number,
            self.shard_id,
            condition,
        )
        try:
            self._ctx.destination.send(on_failure_message(discarded, self._ctx.clock()))
        except (ClientError, BotoCoreError) as exc:
            self._note_error("on-failure destination", exc)
        self._advance_past(records)
        self.board.add(records_discarded=len(records))

    def _advance_past(self, records: Sequence[StreamRecord]) -> None:
        """Checkpoint after the last of `records`, which are the oldest pending ones."""
        for _ in records:
            self._pending.popleft()
        if not self._pending:
            self._first_pending_at = None
        last = records[-1].sequence_number
        self._ctx.checkpoints.put(self._key, last)
        self._retries.reset()
        self.board.update(last_sequence_number=last)

    def _shrink_forced_batch(self, removed: int) -> None:
        if self._forced_sizes:
            left = self._forced_sizes.popleft() - removed
            if left > 0:
                self._forced_sizes.appendleft(left)

    def _note_error(self, action: str, exc: Exception) -> None:
        logger.warning("%s: %s on %s failed: %s", self._mapping.function_name, action, self.shard_id, exc)
        self.board.error(f"{action}: {exc}")
