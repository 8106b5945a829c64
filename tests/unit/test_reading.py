import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.core.reading import MEASURES, Reading, Reason, Rejection, parse_record, validate_reading

LIMITS: dict[str, Any] = {"max_bytes": 4096, "max_readings": 3}


def good(**changes):
    reading = {"household_id": "h-1_a.b", "ts": "2010-01-07T13:05:00Z", **dict.fromkeys(MEASURES, 1.0)}
    reading["voltage"] = 240.5
    reading.update(changes)
    return reading


def reason_of(data: bytes) -> Reason:
    (item,) = parse_record(data, **LIMITS)
    assert isinstance(item, Rejection), item
    return item.reason


def test_a_valid_reading_is_parsed_to_utc_minute_and_values():
    (reading,) = parse_record(json.dumps(good(ts="2010-01-07T14:05:00+01:00")).encode(), **LIMITS)
    assert isinstance(reading, Reading)
    assert reading.ts == datetime(2010, 1, 7, 13, 5, tzinfo=UTC)
    assert reading.value("voltage") == 240.5
    assert reading.hour == datetime(2010, 1, 7, 13, tzinfo=UTC)
    assert reading.minute == 5


def test_missing_measures_are_null_not_errors():
    (reading,) = parse_record(
        json.dumps({"household_id": "h1", "ts": "2010-01-07T13:05:00Z"}).encode(), **LIMITS
    )
    assert isinstance(reading, Reading)
    assert reading.values == (None,) * 7
    (reading,) = parse_record(json.dumps(good(voltage=None)).encode(), **LIMITS)
    assert isinstance(reading, Reading) and reading.value("voltage") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe{}", Reason.NOT_UTF8),
        (b"{not json", Reason.NOT_JSON),
        (b"", Reason.NOT_JSON),
        (b"x" * 5000, Reason.TOO_LARGE),
        (json.dumps([good()] * 4).encode(), Reason.TOO_LARGE),
        (b"[]", Reason.EMPTY),
        (b'"a string"', Reason.NOT_AN_OBJECT),
        (json.dumps(good(voltag=240)).encode(), Reason.UNKNOWN_FIELD),
        (json.dumps({"ts": "2010-01-07T13:05:00Z"}).encode(), Reason.MISSING_HOUSEHOLD_ID),
        (json.dumps(good(household_id=7)).encode(), Reason.WRONG_TYPE),
        (json.dumps(good(household_id="h 1")).encode(), Reason.BAD_HOUSEHOLD_ID),
        (json.dumps(good(household_id="")).encode(), Reason.BAD_HOUSEHOLD_ID),
        (json.dumps(good(household_id="h" * 65)).encode(), Reason.BAD_HOUSEHOLD_ID),
        (json.dumps(good(ts=None)).encode(), Reason.MISSING_TIMESTAMP),
        (json.dumps(good(ts=1262869500)).encode(), Reason.WRONG_TYPE),
        (json.dumps(good(ts="yesterday")).encode(), Reason.BAD_TIMESTAMP),
        (json.dumps(good(ts="2010-01-07T13:05:00")).encode(), Reason.BAD_TIMESTAMP),
        (json.dumps(good(ts="2010-01-07T13:05:30Z")).encode(), Reason.BAD_TIMESTAMP),
        (json.dumps(good(ts="1900-01-07T13:05:00Z")).encode(), Reason.BAD_TIMESTAMP),
        (json.dumps(good(voltage="240")).encode(), Reason.WRONG_TYPE),
        (json.dumps(good(voltage=True)).encode(), Reason.WRONG_TYPE),
        (b'{"household_id": "h1", "ts": "2010-01-07T13:05:00Z", "voltage": NaN}', Reason.NOT_FINITE),
        (b'{"household_id": "h1", "ts": "2010-01-07T13:05:00Z", "voltage": Infinity}', Reason.NOT_FINITE),
        (json.dumps(good(global_active_power=-0.5)).encode(), Reason.OUT_OF_RANGE),
        (json.dumps(good(global_active_power=1500)).encode(), Reason.OUT_OF_RANGE),
        (json.dumps(good(sub_metering_3=2000.5)).encode(), Reason.OUT_OF_RANGE),
    ],
)
def test_every_rejection_names_its_reason(data, reason):
    assert reason_of(data) is reason


def test_rejection_details_name_the_field_and_value():
    (item,) = parse_record(json.dumps(good(voltage=900)).encode(), **LIMITS)
    assert isinstance(item, Rejection)
    assert "voltage=900" in item.detail and "[0.0, 500.0]" in item.detail
    assert item.household_id == "h-1_a.b"


def test_an_array_record_keeps_its_good_readings_and_indexes_the_bad():
    items = parse_record(
        json.dumps([good(), good(voltage="x"), good(ts="2010-01-07T13:06:00Z")]).encode(), **LIMITS
    )
    assert [type(i).__name__ for i in items] == ["Reading", "Rejection", "Reading"]
    bad = items[1]
    assert isinstance(bad, Rejection) and bad.index == 1 and bad.reason is Reason.WRONG_TYPE


def test_a_reading_round_trips_through_its_json_form():
    reading = validate_reading(good())
    assert isinstance(reading, Reading)
    assert validate_reading(reading.to_json_dict()) == reading


def test_a_reading_dated_past_its_records_arrival_plus_the_skew_is_a_future_timestamp():
    from datetime import UTC, datetime

    not_after = datetime(2010, 1, 7, 13, 5, 30, tzinfo=UTC)
    on_time = json.dumps(good(ts="2010-01-07T13:05:00Z")).encode()
    ahead = json.dumps([good(ts="2010-01-07T13:05:00Z"), good(ts="2010-01-08T13:05:00Z")]).encode()
    assert isinstance(parse_record(on_time, **LIMITS, not_after=not_after)[0], Reading)
    kept, rejected = parse_record(ahead, **LIMITS, not_after=not_after)
    assert isinstance(kept, Reading) and isinstance(rejected, Rejection)
    assert (rejected.reason, rejected.index, rejected.household_id) == (Reason.FUTURE_TIMESTAMP, 1, "h-1_a.b")
    assert "86370 s past" in rejected.detail
