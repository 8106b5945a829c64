"""Parsing what a request names: household ids, months, hours and ranges. Each refusal says why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.core.reading import HOUSEHOLD_ID_PATTERN
from services.portal.errors import BadRequestError

HOUR = timedelta(hours=1)


def household_id(value: str) -> str:
    if not HOUSEHOLD_ID_PATTERN.fullmatch(value):
        raise BadRequestError("household id must be 1-64 of letters, digits, '_', '.' and '-'")
    return value


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the month."""
        return self.following.start

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def following(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def preceding(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def years_before(self, years: int) -> Month:
        return Month(self.year - years, self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, instant: datetime) -> Month:
        return cls(instant.year, instant.month)


def month(value: str) -> Month:
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise BadRequestError(f"month must be YYYY-MM, got {value[:20]!r}") from None
    if len(value) != 7 or not 1970 <= parsed.year <= 9998:
        raise BadRequestError(f"month must be YYYY-MM between 1970-01 and 9998-12, got {value[:20]!r}")
    return Month(parsed.year, parsed.month)


def hour(value: str, name: str) -> datetime:
    """An ISO-8601 instant (a zone offset or Z; none means UTC), floored to its hour."""
    try:
        parsed = datetime.fromisoformat(value[:40].replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestError(f"{name} must be an ISO-8601 time like 2010-02-01T00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 9998:
        raise BadRequestError(f"{name} must be between 1970 and 9998")
    return parsed.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_range(start: str | None, end: str | None, max_hours: int) -> tuple[datetime, datetime]:
    """[from, to) as whole hours; both are required and the span is bounded."""
    if not start or not end:
        raise BadRequestError("from and to are required, as ISO-8601 times")
    first, last = hour(start, "from"), hour(end, "to")
    if last <= first:
        raise BadRequestError("to must be after from")
    if (last - first) / HOUR > max_hours:
        raise BadRequestError(f"from..to spans at most {max_hours} hours")
    return first, last


def page_limit(value: str | None, default: int = 50, maximum: int = 200) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        raise BadRequestError(f"limit must be a whole number 1..{maximum}")
    return int(value)


def optional_household_id(value: str | None) -> str | None:
    return None if value is None else household_id(value)
