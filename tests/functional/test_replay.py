"""`wattcast replay` options against the emulator: pacing and multi-reading records."""

from __future__ import annotations

import json

import pytest

from scripts.data.replay import ReplayOptions, replay
from scripts.local.bootstrap import bootstrap
from scripts.stores.readings import stream_records
from services.core.clients import AwsClients

pytestmark = pytest.mark.functional


def test_a_rate_paces_simulated_minutes_per_second(aws: AwsClients) -> None:
    bootstrap(aws)
    options = ReplayOptions(households=1, days=60 / 1440, start="2010-01-04", rate=40.0, progress=False)
    summary = replay(options, aws)
    assert summary.readings == 60
    assert summary.seconds >= 60 / 40.0 * 0.95  # never faster than asked


def test_per_record_packs_readings_into_json_arrays_of_one_household(aws: AwsClients) -> None:
    bootstrap(aws)
    options = ReplayOptions(
        households=2, days=90 / 1440, start="2010-01-04", readings_per_record=30, progress=False
    )
    summary = replay(options, aws)
    records = [json.loads(r["Data"]) for _, r in stream_records(aws, aws.settings.readings_stream)]
    assert summary.readings == 180 and summary.records == len(records) == 6
    assert all(
        isinstance(r, list) and len(r) == 30 and len({x["household_id"] for x in r}) == 1 for r in records
    )
    assert [r[0]["ts"] for r in records if r[0]["household_id"] == "h000"] == [
        "2010-01-04T00:00:00Z",
        "2010-01-04T00:30:00Z",
        "2010-01-04T01:00:00Z",
    ]
