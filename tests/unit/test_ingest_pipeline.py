import json
from datetime import UTC, datetime
from decimal import Decimal

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.memory_ports import MemoryPorts
from services.core.settings import Settings
from services.ingest.event_time import HouseholdTime
from services.ingest.pipeline import ingest_batch
from tests.readings import payload, reading_dict

SETTINGS = Settings.from_env({})


def hour(h: int) -> datetime:
    return datetime(2010, 1, 1, h, tzinfo=UTC)


def event_of(readings, first_sequence=1000):
    return kinesis_event_from_payloads(
        [payload(r) for r in readings],
        partition_keys=[r["household_id"] for r in readings],
        first_sequence=first_sequence,
    )["Records"]


def test_a_batch_stores_means_archives_and_closes_hours():
    memory = MemoryPorts()
    readings = [reading_dict("h1", m, power=1 + m / 100) for m in range(150)]
    outcome = ingest_batch(event_of(readings), memory.ports(), SETTINGS)
    assert outcome.failed_sequence_numbers == set()
    assert outcome.readings_accepted == 150 and outcome.hours_updated == 3
    assert [(e.household_id, e.hour, e.announcement) for e in memory.hourly_events.events] == [
        ("h1", hour(0), 1),
        ("h1", hour(1), 1),
    ]
    assert memory.households.stored == {
        "h1": HouseholdTime(
            datetime(2010, 1, 1, 2, 29, tzinfo=UTC), frozenset({hour(2)}), version=1, announced=1
        )
    }
    (lines,) = memory.archive.objects.values()
    assert len(lines) == 150 and lines[0]["record_id"].startswith("shardId-000000000000:")
    first_hour = memory.aggregates.groups[("h1", hour(0))]
    assert first_hour.sums()["global_active_power"] == sum(
        Decimal(repr(round(1 + m / 100, 3))) for m in range(60)
    )


def test_the_same_batch_three_times_changes_nothing_after_the_first():
    memory = MemoryPorts()
    records = event_of([reading_dict("h1", m) for m in range(140)])
    outcomes = [ingest_batch(records, memory.ports(), SETTINGS) for _ in range(3)]
    assert [o.readings_accepted for o in outcomes] == [140, 0, 0]
    assert [o.readings_already_stored for o in outcomes] == [0, 140, 140]
    assert len(memory.hourly_events.events) == 2
    assert len(memory.archive.objects) == 1


def test_bad_records_go_to_dead_letters_and_the_rest_goes_on():
    memory = MemoryPorts()
    payloads = [payload(reading_dict("h1", m)) for m in range(10)]
    payloads[3] = b"garbage"
    payloads[7] = json.dumps(reading_dict("h1", 7) | {"voltage": 9999}).encode()
    records = kinesis_event_from_payloads(payloads)["Records"]
    outcome = ingest_batch(records, memory.ports(), SETTINGS)
    assert outcome.failed_sequence_numbers == set()
    assert dict(outcome.rejected) == {"not_json": 1, "out_of_range": 1}
    assert [(d.rejection.reason.value, d.record.data) for d in memory.dead_letters.letters] == [
        ("not_json", b"garbage"),
        ("out_of_range", payloads[7]),
    ]
    assert outcome.readings_accepted == 8


def test_an_archive_outage_fails_the_whole_batch():
    memory = MemoryPorts()
    memory.archive.fail = True
    records = event_of([reading_dict("h1", m) for m in range(5)])
    outcome = ingest_batch(records, memory.ports(), SETTINGS)
    assert outcome.failed_sequence_numbers == {r["kinesis"]["sequenceNumber"] for r in records}
    assert memory.aggregates.groups == {}


def test_an_aggregate_outage_fails_only_that_households_records():
    memory = MemoryPorts()
    memory.aggregates.failing_households = {"h2"}
    readings = [reading_dict(h, m) for m in range(80) for h in ("h1", "h2")]
    records = event_of(readings)
    outcome = ingest_batch(records, memory.ports(), SETTINGS)
    h2_sequences = {r["kinesis"]["sequenceNumber"] for r in records if r["kinesis"]["partitionKey"] == "h2"}
    assert outcome.failed_sequence_numbers == h2_sequences
    assert {e.household_id for e in memory.hourly_events.events} == {"h1"}
    assert "h2" not in memory.households.stored


def test_an_unpublished_hour_event_keeps_the_state_and_fails_the_household():
    memory = MemoryPorts()
    memory.hourly_events.fail = True
    records = event_of([reading_dict("h1", m) for m in range(80)])
    outcome = ingest_batch(records, memory.ports(), SETTINGS)
    assert len(outcome.failed_sequence_numbers) == 80
    assert memory.households.stored == {}
    memory.hourly_events.fail = False
    retry = ingest_batch(records, memory.ports(), SETTINGS)
    assert retry.failed_sequence_numbers == set()
    assert [e.hour for e in memory.hourly_events.events] == [hour(0)]


def test_a_dead_letter_outage_fails_only_the_bad_records():
    memory = MemoryPorts()
    memory.dead_letters.fail = True
    payloads = [payload(reading_dict("h1", 0)), b"{", payload(reading_dict("h1", 1))]
    records = kinesis_event_from_payloads(payloads, first_sequence=10)["Records"]
    outcome = ingest_batch(records, memory.ports(), SETTINGS)
    assert outcome.failed_sequence_numbers == {"11"}
    assert outcome.readings_accepted == 2
