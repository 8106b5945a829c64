"""The reading contract (DESIGN.md): one JSON object, or a JSON array of them, per Kinesis record.

Validation never raises on bad input: it returns, for each reading, either a `Reading` or a
`Rejection` that names the reason, so one bad reading never costs the others in its record.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MEASURES: tuple[str, ...] = (
    "global_active_power",
    "global_reactive_power",
    "voltage",
    "global_intensity",
    "sub_metering_1",
    "sub_metering_2",
    "sub_metering_3",
)

# Inclusive physical ranges. Generous for a household (a 100 kW house is an industrial site), tight
# enough to catch unit mistakes (W sent as kW, mV as V). Export (negative power) is not in the contract.
PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    "global_active_power": (0.0, 100.0),  # kW
    "global_reactive_power": (0.0, 100.0),  # kW (kvar)
    "voltage": (0.0, 500.0),  # V
    "global_intensity": (0.0, 500.0),  # A
    "sub_metering_1": (0.0, 2_000.0),  # Wh in one minute (100 kW for a minute is 1,667 Wh)
    "sub_metering_2": (0.0, 2_000.0),
    "sub_metering_3": (0.0, 2_000.0),
}

HOUSEHOLD_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ALLOWED_FIELDS = frozenset(("household_id", "ts", *MEASURES))


class Reason(StrEnum):
    """Why a record or reading was rejected. The values are stable: dashboards count them."""

    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_HOUSEHOLD_ID = "missing_household_id"
    BAD_HOUSEHOLD_ID = "bad_household_id"
    MISSING_TIMESTAMP = "missing_timestamp"
    BAD_TIMESTAMP = "bad_timestamp"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    FUTURE_TIMESTAMP = "future_timestamp"


@dataclass(frozen=True)
class Reading:
    household_id: str
    ts: datetime  # UTC, on a whole minute
    values: tuple[float | None, ...]  # in MEASURES order; None = not measured

    @property
    def hour(self) -> datetime:
        return self.ts.replace(minute=0)

    @property
    def minute(self) -> int:
        return self.ts.minute

    def value(self, measure: str) -> float | None:
        return self.values[MEASURES.index(measure)]

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"household_id": self.household_id, "ts": format_ts(self.ts)}
        out.update(zip(MEASURES, self.values, strict=True))
        return out


@dataclass(frozen=True)
class Rejection:
    reason: Reason
    detail: str
    index: int | None = None  # position in a JSON array record; None for a single object
    household_id: str | None = None


def format_ts(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Problem = tuple[Reason, str]


def parse_record(
    data: bytes, *, max_bytes: int, max_readings: int, not_after: datetime | None = None
) -> list[Reading | Rejection]:
    """Decode one Kinesis record's data into readings; every failure is a Rejection with its reason.

    `not_after`: the latest `ts` a reading may carry (its record's arrival plus the allowed clock
    skew); a later one is rejected as `future_timestamp`.
    """
    document = _decode(data, max_bytes)
    if isinstance(document, Rejection):
        return [document]
    if not isinstance(document, list):
        return [validate_reading(document, not_after=not_after)]
    if not document:
        return [Rejection(Reason.EMPTY, "record is an empty JSON array")]
    if len(document) > max_readings:
        return [
            Rejection(Reason.TOO_LARGE, f"record holds {len(document)} readings, the limit is {max_readings}")
        ]
    return [validate_reading(item, index=i, not_after=not_after) for i, item in enumerate(document)]


def _decode(data: bytes, max_bytes: int) -> Any:
    if len(data) > max_bytes:
        return Rejection(Reason.TOO_LARGE, f"record is {len(data)} bytes, the limit is {max_bytes}")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        return Rejection(Reason.NOT_UTF8, f"record is not UTF-8: {exc.reason} at byte {exc.start}")
    except _NonFiniteNumber as exc:
        return Rejection(Reason.NOT_FINITE, f"{exc.args[0]} is not a finite number")
    except (json.JSONDecodeError, RecursionError) as exc:
        return Rejection(Reason.NOT_JSON, f"record is not JSON: {exc}")


class _NonFiniteNumber(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NonFiniteNumber(name)


def validate_reading(
    obj: Any, index: int | None = None, *, not_after: datetime | None = None
) -> Reading | Rejection:
    """Check one decoded JSON value against the contract."""
    if not isinstance(obj, dict):
        return Rejection(
            Reason.NOT_AN_OBJECT, f"a reading must be a JSON object, got {_json_type(obj)}", index
        )
    household_id = obj.get("household_id")
    named = (
        household_id
        if isinstance(household_id, str) and HOUSEHOLD_ID_PATTERN.fullmatch(household_id)
        else None
    )
    ts = _timestamp(obj.get("ts"))
    problem = (
        _field_problem(obj)
        or _household_problem(household_id)
        or (ts if isinstance(ts, tuple) else None)
        or _value_problem(obj)
        or _future_problem(ts, not_after)
    )
    if problem or named is None or not isinstance(ts, datetime):
        reason, detail = problem or (Reason.BAD_HOUSEHOLD_ID, "household_id is invalid")
        return Rejection(reason, detail, index, named)
    return Reading(named, ts, tuple(None if obj.get(m) is None else float(obj[m]) for m in MEASURES))


def _field_problem(obj: dict[str, Any]) -> Problem | None:
    unknown = sorted(set(obj) - ALLOWED_FIELDS)
    if unknown:
        return Reason.UNKNOWN_FIELD, f"unknown field(s): {', '.join(map(repr, unknown[:5]))}"
    return None


def _household_problem(household_id: Any) -> Problem | None:
    if household_id is None:
        return Reason.MISSING_HOUSEHOLD_ID, "household_id is missing or null"
    if not isinstance(household_id, str):
        return Reason.WRONG_TYPE, f"household_id must be a string, got {_json_type(household_id)}"
    if not HOUSEHOLD_ID_PATTERN.fullmatch(household_id):
        return Reason.BAD_HOUSEHOLD_ID, f"household_id {household_id[:80]!r} is not 1-64 of [A-Za-z0-9_.-]"
    return None


def _timestamp(ts: Any) -> datetime | Problem:
    if ts is None:
        return Reason.MISSING_TIMESTAMP, "ts is missing or null"
    if not isinstance(ts, str):
        return Reason.WRONG_TYPE, f"ts must be an ISO-8601 string, got {_json_type(ts)}"
    parsed = parse_ts(ts)
    return (Reason.BAD_TIMESTAMP, parsed) if isinstance(parsed, str) else parsed


def _future_problem(ts: datetime | Problem, not_after: datetime | None) -> Problem | None:
    if not_after is None or not isinstance(ts, datetime) or ts <= not_after:
        return None
    ahead = (ts - not_after).total_seconds()
    return (
        Reason.FUTURE_TIMESTAMP,
        f"ts {format_ts(ts)} is {ahead:.0f} s past the latest time its record allows "
        f"({format_ts(not_after)}: arrival in Kinesis plus the allowed clock skew)",
    )


def _value_problem(obj: dict[str, Any]) -> Problem | None:
    for measure in MEASURES:
        value = obj.get(measure)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Reason.WRONG_TYPE, f"{measure} must be a number or null, got {_json_type(value)}"
        if not math.isfinite(value):
            return Reason.NOT_FINITE, f"{measure} is not a finite number"
        low, high = PHYSICAL_RANGES[measure]
        if not low <= value <= high:
            return Reason.OUT_OF_RANGE, f"{measure}={value} is outside the physical range [{low}, {high}]"
    return None


def parse_ts(text: str) -> datetime | str:
    """An aware ISO-8601 timestamp on a whole minute, converted to UTC; or the reason it is not one."""
    if len(text) > 40:
        return f"ts {text[:40]!r}... is too long for an ISO-8601 timestamp"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return f"ts {text!r} is not an ISO-8601 timestamp"
    if ts.tzinfo is None:
        return f"ts {text!r} has no time zone; send UTC with a 'Z' suffix"
    if ts.second or ts.microsecond:
        return f"ts {text!r} is not on a whole minute"
    if not 1970 <= ts.year <= 2100:
        return f"ts {text!r} is outside the years 1970-2100"
    return ts.astimezone(UTC)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
