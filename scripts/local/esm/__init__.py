"""A local Kinesis event source mapping: polls a stream's shards and invokes a Lambda handler.

Entry points: `scripts.local.esm.runner.MappingRunner`, the invokers in `scripts.local.esm.invokers` and the
checkpoint stores in `scripts.local.esm.checkpoints`.
"""

from __future__ import annotations

from services.core.errors import WattcastError


class EsmError(WattcastError):
    """The local event source mapping cannot do what was asked."""


class StreamNotActiveError(EsmError):
    """The stream did not become ACTIVE in time (or does not exist)."""


class NotIdleError(EsmError):
    """The mapping did not catch up with its stream before the deadline."""
