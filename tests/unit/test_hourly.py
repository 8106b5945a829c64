from datetime import UTC, datetime
from decimal import Decimal

from services.core.hourly import group_by_hour, hourly_means
from services.core.reading import MEASURES, Reading


def reading(hh: str, hour: int, minute: int, power: float | None, voltage: float | None = 240.0) -> Reading:
    values: list[float | None] = [None] * len(MEASURES)
    values[0], values[2] = power, voltage
    return Reading(hh, datetime(2010, 1, 1, hour, minute, tzinfo=UTC), tuple(values))


def test_groups_by_household_hour_and_keeps_the_first_reading_of_a_minute():
    readings = [
        reading("a", 0, 1, 1.0),
        reading("a", 0, 1, 9.0),
        reading("a", 1, 0, 2.0),
        reading("b", 0, 5, 3.0),
    ]
    groups, duplicates = group_by_hour(readings)
    assert duplicates == 1
    assert sorted((h, t.hour) for h, t in groups) == [("a", 0), ("a", 1), ("b", 0)]
    assert groups[("a", datetime(2010, 1, 1, 0, tzinfo=UTC))].sums()["global_active_power"] == Decimal("1.0")


def test_sums_are_exact_decimals_and_nulls_are_not_counted():
    group = group_by_hour([reading("a", 0, 0, 0.1), reading("a", 0, 1, 0.2), reading("a", 0, 2, None, None)])[
        0
    ]
    (agg,) = group.values()
    assert agg.sums()["global_active_power"] == Decimal("0.3")  # not 0.30000000000000004
    assert agg.counts()["global_active_power"] == 2
    assert agg.counts()["voltage"] == 2
    assert agg.minutes == [0, 1, 2]


def test_means_divide_by_the_minutes_that_measured():
    sums = dict.fromkeys(MEASURES, Decimal(0)) | {
        "global_active_power": Decimal("3.6"),
        "voltage": Decimal("480"),
    }
    counts = dict.fromkeys(MEASURES, 0) | {"global_active_power": 3, "voltage": 2}
    means = hourly_means(sums, counts)
    assert means["global_active_power"] == 1.2
    assert means["voltage"] == 240.0
    assert means["sub_metering_1"] is None


def test_removing_stored_minutes_leaves_the_rest():
    (agg,) = group_by_hour([reading("a", 0, m, float(m)) for m in range(5)])[0].values()
    rest = agg.without_minutes([1, 3])
    assert rest.minutes == [0, 2, 4]
    assert rest.sums()["global_active_power"] == Decimal("6.0")
