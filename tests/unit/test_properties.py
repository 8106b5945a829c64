"""Properties that must hold for any input: no record crashes ingest, redelivery never double counts."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.local.esm.events import kinesis_event_from_payloads
from scripts.local.memory_ports import MemoryPorts
from services.core.reading import Reading, Rejection, parse_record
from services.core.settings import Settings
from services.ingest.pipeline import ingest_batch
from tests.readings import payload, reading_dict

SETTINGS = Settings.from_env({})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=5)
    ),
    max_leaves=12,
)


@given(st.binary(max_size=600))
def test_any_bytes_give_readings_or_reasons_never_an_exception(data: bytes) -> None:
    items = parse_record(data, max_bytes=500, max_readings=10)
    assert items and all(isinstance(i, Reading | Rejection) for i in items)


@given(json_values)
def test_any_json_gives_readings_or_reasons_never_an_exception(value: object) -> None:
    items = parse_record(json.dumps(value).encode(), max_bytes=10_000, max_readings=10)
    assert all(isinstance(i, Reading) or i.detail for i in items)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    minutes=st.lists(st.integers(0, 239), min_size=1, max_size=120),
    deliveries=st.lists(st.tuples(st.integers(0, 119), st.integers(1, 60)), min_size=1, max_size=8),
)
def test_any_redelivery_pattern_stores_each_minute_once(
    minutes: list[int], deliveries: list[tuple[int, int]]
) -> None:
    """Deliver the stream once in full, plus arbitrary re-deliveries of slices of it, in any order."""
    readings = [reading_dict("h1", m, power=round(0.1 + m / 997, 3)) for m in minutes]
    records = kinesis_event_from_payloads([payload(r) for r in readings], first_sequence=1)["Records"]
    memory = MemoryPorts()
    for start, length in [*deliveries, (0, len(records))]:
        if records[start : start + length]:
            ingest_batch(records[start : start + length], memory.ports(), SETTINGS)
    unique = {m: round(0.1 + m / 997, 3) for m in minutes}  # the first reading of a minute wins
    stored = memory.aggregates.groups.values()
    assert sum(len(group.readings) for group in stored) == len(unique)
    total = sum((group.sums()["global_active_power"] for group in stored), Decimal(0))
    assert total == sum(Decimal(repr(v)) for v in unique.values())
