"""Backoff for the retries botocore's standard mode does not make: items a batch call left unprocessed,
records a PutRecords call rejected, a conditional update that lost a race, an endpoint that stays down
longer than botocore waits. Exponential with full jitter; `sleep`, `clock` and `rng` are injectable, so
tests neither wait nor depend on chance."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    first_delay: float = 0.05
    max_delay: float = 2.0
    max_attempts: int = 5
    jitter: bool = True
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.first_delay < 0 or self.max_delay < self.first_delay:
            raise ValueError("Backoff needs max_attempts >= 1 and 0 <= first_delay <= max_delay")

    def attempts(self, deadline: float | None = None) -> Iterator[int]:
        """Attempt numbers 1..max_attempts, pausing before every attempt after the first. Stops early
        when a pause would end after `deadline` (a time on `clock`)."""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                pause = self.delay(attempt - 1)
                if deadline is not None and self.clock() + pause > deadline:
                    return
                self.sleep(pause)
            yield attempt

    def delay(self, retry: int) -> float:
        """The pause before retry number `retry` (1 = the first retry)."""
        ceiling = min(self.max_delay, self.first_delay * 2 ** (retry - 1))
        return self.rng.uniform(0, ceiling) if self.jitter else ceiling
