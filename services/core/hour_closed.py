"""The hour events, as their consumers read them.

`{"type": "hour_closed", "household_id", "hour", "revised", "day_closed", "closing_arrival",
"announcement"}` on the hourly stream (ingest publishes it): `revised` when new readings came for an
hour announced before, `day_closed` when every hour of its UTC day has closed, `closing_arrival` the
arrival of the reading that closed it (optional), `announcement` the household's count of announcing
batches, 1, 2, 3, ... (optional): every event of one batch's announcements carries the same number,
so a consumer that has seen number n and next sees n + 1 knows it missed no hour of that household
that closed or changed in between. The same body with `"type": "hour_forecasted"` on the forecasted stream
(preprocess publishes it once it has stored what it forecast from that hour): by then every forecast
covering the hour is stored, so production scoring reads complete evidence whatever the two
consumers' pace.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.core.reading import format_ts, parse_ts

logger = logging.getLogger(__name__)
DAY_CLOSING_HOUR = 23
HOUR_CLOSED, HOUR_FORECASTED = "hour_closed", "hour_forecasted"


@dataclass(frozen=True)
class HourClosedEvent:
    household_id: str
    hour: datetime
    sequence_number: str
    arrival: float  # the event's arrival in the hourly stream
    revised: bool = False
    day_closed: bool = False
    closing_arrival: float | None = None  # the closing reading's arrival in Kinesis (newer events)
    announcement: int | None = None  # the household's announcing batch (newer events)

    @property
    def closes_day(self) -> bool:
        """Whether this event settles its day: the day's last hour closing, or a revision of a day
        that has closed."""
        return self.day_closed and (self.revised or self.hour.hour == DAY_CLOSING_HOUR)


class HourEvent(Protocol):
    """What an hour event's body says: ingest's events before publishing, and decoded ones."""

    @property
    def household_id(self) -> str: ...
    @property
    def hour(self) -> datetime: ...
    @property
    def revised(self) -> bool: ...
    @property
    def day_closed(self) -> bool: ...
    @property
    def closing_arrival(self) -> float | None: ...
    @property
    def announcement(self) -> int | None: ...


def encode_event(event_type: str, event: HourEvent) -> bytes:
    """The event's body; the optional numbers only when known (consumers of older events go without)."""
    body: dict[str, Any] = {
        "type": event_type,
        "household_id": event.household_id,
        "hour": format_ts(event.hour),
        "revised": event.revised,
        "day_closed": event.day_closed,
    }
    if event.closing_arrival is not None:
        body["closing_arrival"] = event.closing_arrival
    if event.announcement is not None:
        body["announcement"] = event.announcement
    return json.dumps(body, separators=(",", ":")).encode()


def decode_events(
    records: Sequence[Mapping[str, Any]], event_type: str = HOUR_CLOSED
) -> tuple[list[HourClosedEvent], int]:
    """The events of that type in a Lambda batch, and how many records were not one (each logged and
    skipped: retrying would not fix them)."""
    events, ignored = [], 0
    for record in records:
        kinesis = record["kinesis"]
        try:
            events.append(_decode(kinesis, event_type))
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring record %s: %s", kinesis.get("sequenceNumber"), exc)
            ignored += 1
    return events, ignored


def _decode(kinesis: Mapping[str, Any], event_type: str) -> HourClosedEvent:
    body = json.loads(base64.b64decode(kinesis["data"]))
    hour = parse_ts(body["hour"])
    if body.get("type") != event_type or isinstance(hour, str) or not isinstance(body["household_id"], str):
        raise ValueError(f"not an {event_type} event: {body!r:.200}")
    return HourClosedEvent(
        body["household_id"],
        hour,
        str(kinesis["sequenceNumber"]),
        float(kinesis["approximateArrivalTimestamp"]),
        revised=body.get("revised") is True,
        day_closed=body.get("day_closed", hour.hour == DAY_CLOSING_HOUR) is True,
        closing_arrival=_epoch_seconds(body.get("closing_arrival")),
        announcement=_ordinal(body.get("announcement")),
    )


def _epoch_seconds(value: Any) -> float | None:
    """An optional number of the event (absent from events published before it existed)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ordinal(value: Any) -> int | None:
    """The event's announcement number, or None when absent or not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value
