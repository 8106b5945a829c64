"""Malformed records and duplicates to inject into a replay, each kind with the reason ingest must give."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from services.core.reading import Reason


def _mutated(reading: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps(reading | changes).encode()


MALFORMED_KINDS: dict[Reason, Callable[[dict[str, Any]], bytes]] = {
    Reason.NOT_JSON: lambda r: json.dumps(r).encode()[:-7],
    Reason.NOT_UTF8: lambda r: b"\xff\xfe" + json.dumps(r).encode(),
    Reason.BAD_HOUSEHOLD_ID: lambda r: _mutated(r, household_id=r["household_id"] + " #1"),
    Reason.BAD_TIMESTAMP: lambda r: _mutated(r, ts=r["ts"].replace("T", " ").rstrip("Z") + ".5+99:00"),
    Reason.OUT_OF_RANGE: lambda r: _mutated(r, global_active_power=4_000.0),
    Reason.WRONG_TYPE: lambda r: _mutated(r, voltage=f"{r.get('voltage')}V"),
    Reason.UNKNOWN_FIELD: lambda r: _mutated(r, firmware="2.1.0"),
    Reason.MISSING_TIMESTAMP: lambda r: json.dumps({k: v for k, v in r.items() if k != "ts"}).encode(),
}


def malformed_record(reading: dict[str, Any], rng: random.Random) -> tuple[Reason, bytes]:
    """A broken copy of a reading and the reason ingest must reject it with."""
    reason = rng.choice(sorted(MALFORMED_KINDS))
    return reason, MALFORMED_KINDS[reason](reading)
