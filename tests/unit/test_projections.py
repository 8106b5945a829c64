"""The nightly projections (the batch route): which households, which model, what is stored — the
same item preprocess stores on the endpoint route for the same model and days."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.core.forecast_store import ForecastItem
from services.core.hourly import HourlyRow
from services.core.reading import MEASURES
from services.core.settings import Settings
from services.forecaster.invocation import InvocationRequest, invoke
from services.forecaster.loaded_model import load_model
from services.preprocess.pipeline import PreprocessPorts, preprocess_batch
from services.projections.__main__ import parse_shard
from services.projections.bundles import NightBundles
from services.projections.job import NightPorts, Shard, ShardError, closed_before, project_night
from tests.unit.test_preprocess_pipeline import FakeForecaster, FakeHistory, FakeStore, events

SETTINGS = Settings.from_env({}, history_hours=48, prophet_uncertainty_samples=50)
FEB = datetime(2010, 2, 1, tzinfo=UTC)
CLOSED = datetime(2010, 2, 3, 1, tzinfo=UTC)  # past 2010-02-02 and the allowed lateness
CHAMPION = "prophet/20261130.tar.gz"  # the default model's target the pointer names


def hours(household: str, count: int, power: float = 1.0) -> list[HourlyRow]:
    means = {m: power if m == "global_active_power" else 1.0 for m in MEASURES}
    return [HourlyRow(household, FEB + timedelta(hours=k), 60, dict(means)) for k in range(count)]


@dataclass
class FakeFleet:
    stored: dict[str, list[HourlyRow]]
    latest: dict[str, datetime]
    calls: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def latest_readings(self) -> dict[str, datetime]:
        return dict(self.latest)

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        self.calls.append((household_id, first_hour, last_hour))
        return [r for r in self.stored.get(household_id, []) if first_hour <= r.hour <= last_hour]


@dataclass
class FolderBundles:
    """Bundles by target from folders on disk (what S3Bundles unpacks from the models prefix)."""

    folders: dict[str, Path]
    fetched: list[str] = field(default_factory=list)

    def default_target(self) -> str:
        return CHAMPION  # the champion the pointer names

    def fetch(self, target: str, destination: Path) -> Path | None:
        self.fetched.append(target)
        if target not in self.folders:
            return None
        shutil.copytree(self.folders[target], destination, dirs_exist_ok=True)
        return destination


def night(fleet: FakeFleet, folders: dict[str, Path], tmp_path: Path, **kwargs: Any) -> tuple[Any, FakeStore]:
    store = FakeStore()
    bundles = NightBundles(FolderBundles(folders), SETTINGS, workdir=tmp_path)
    outcome = project_night(date(2010, 2, 3), NightPorts(fleet, bundles, store), SETTINGS, **kwargs)
    return outcome, store


def test_a_day_is_closed_once_readings_reach_the_allowed_lateness_past_it() -> None:
    lateness = timedelta(seconds=SETTINGS.allowed_lateness_seconds)
    as_of = date(2010, 2, 3)
    assert closed_before(datetime(2010, 2, 3, tzinfo=UTC) + lateness, as_of, SETTINGS)
    assert not closed_before(
        datetime(2010, 2, 3, tzinfo=UTC) + lateness - timedelta(seconds=1), as_of, SETTINGS
    )


def test_each_closed_household_is_projected_by_its_own_model_else_the_default(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    closed = datetime(2010, 2, 3, 1, tzinfo=UTC)
    fleet = FakeFleet(
        {h: hours(h, 24 * 3, power=2.0) for h in ("a", "b", "late")},
        {"a": closed, "b": closed, "late": datetime(2010, 2, 2, 23, 30, tzinfo=UTC)},
    )
    folders = {
        "prophet/a.tar.gz": sample_bundles["prophet"],
        CHAMPION: sample_bundles["prophet"],
    }
    outcome, store = night(fleet, folders, tmp_path)
    assert (outcome.projected, outcome.by_default, outcome.not_closed, outcome.failed) == (2, 1, 1, {})
    assert store.items[("a", "month#2010-02#2010-02-03")]["model"] == "prophet/a.tar.gz"
    assert store.items[("b", "month#2010-02#2010-02-03")]["model"] == CHAMPION
    # the month's hours before as_of, and nothing of the late household
    assert [(h, first, last) for h, first, last in fleet.calls] == [
        ("a", FEB, datetime(2010, 2, 2, 23, tzinfo=UTC)),
        ("b", FEB, datetime(2010, 2, 2, 23, tzinfo=UTC)),
    ]
    item = store.items[("a", "month#2010-02#2010-02-03")]
    assert item["actual_to_date_kwh"] == pytest.approx(96.0)  # two days of 2 kW
    assert item["expires_at"] == int(outcome.started_at) + SETTINGS.forecast_ttl_days * 86_400


def test_the_batch_item_equals_the_endpoint_routes_for_the_same_model_and_days(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    # The endpoint route: preprocess on 2010-02-02 23:00's close, its forecaster the same bundle.
    model = load_model("prophet/default.tar.gz", sample_bundles["prophet"], uncertainty_samples=50)

    class BundleForecaster(FakeForecaster):
        def projection(
            self, household_id: str, request: dict[str, Any], deadline: float
        ) -> tuple[dict[str, Any], str]:
            response = invoke(model, InvocationRequest(json.dumps(request).encode()))
            return json.loads(response.body), CHAMPION

    endpoint_store = FakeStore()
    history = FakeHistory({"a": hours("a", 24 * 3, power=2.0)})
    ports = PreprocessPorts(history, BundleForecaster(), endpoint_store)
    preprocess_batch(events(("a", 47)), ports, SETTINGS, deadline=1e12)
    fleet = FakeFleet({"a": hours("a", 24 * 3, power=2.0)}, {"a": datetime(2010, 2, 3, 1, tzinfo=UTC)})
    _, batch_store = night(fleet, {CHAMPION: sample_bundles["prophet"]}, tmp_path)
    key = ("a", "month#2010-02#2010-02-03")
    timing = {"event_arrival", "expires_at"}
    by_endpoint = {k: v for k, v in endpoint_store.items[key].items() if k not in timing}
    by_batch = {k: v for k, v in batch_store.items[key].items() if k not in timing}
    assert by_batch == by_endpoint and by_batch["projected_month_kwh"] > by_batch["actual_to_date_kwh"]


def test_a_household_that_fails_is_counted_with_its_reason_and_the_others_go_on(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(sample_bundles["prophet"], broken)
    (broken / "code" / "inference.py").write_text("def handler(data, context):\n    raise KeyError('days')\n")
    closed = datetime(2010, 2, 3, 1, tzinfo=UTC)
    fleet = FakeFleet({h: hours(h, 48) for h in ("a", "b")}, {"a": closed, "b": closed})
    folders = {"prophet/a.tar.gz": broken, CHAMPION: sample_bundles["prophet"]}
    outcome, store = night(fleet, folders, tmp_path / "work")
    assert outcome.projected == 1 and list(store.items) == [("b", "month#2010-02#2010-02-03")]
    assert list(outcome.failed) == ["a"] and "failed" in outcome.failed["a"]


def test_with_no_default_model_only_the_households_with_their_own_are_projected(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    closed = datetime(2010, 2, 3, 1, tzinfo=UTC)
    fleet = FakeFleet({h: hours(h, 48) for h in ("a", "b")}, {"a": closed, "b": closed})
    outcome, store = night(fleet, {"prophet/a.tar.gz": sample_bundles["prophet"]}, tmp_path)
    assert outcome.projected == 1 and ("a", "month#2010-02#2010-02-03") in store.items
    assert outcome.failed == {"b": "the default Prophet model prophet/20261130.tar.gz does not exist"}


def test_items_the_table_does_not_take_are_failures(sample_bundles: dict[str, Path], tmp_path: Path) -> None:
    class RefusingStore(FakeStore):
        def put(self, items: Sequence[ForecastItem]) -> list[ForecastItem]:
            return list(items)

    fleet = FakeFleet({"a": hours("a", 48)}, {"a": datetime(2010, 2, 3, 1, tzinfo=UTC)})
    bundles = NightBundles(FolderBundles({CHAMPION: sample_bundles["prophet"]}), SETTINGS, tmp_path)
    outcome = project_night(date(2010, 2, 3), NightPorts(fleet, bundles, RefusingStore()), SETTINGS)
    assert outcome.projected == 0 and outcome.failed == {"a": "the forecasts table did not take it"}
    assert outcome.summary()["failed"] == 1


def test_shards_split_the_fleet_into_disjoint_parts_that_cover_it() -> None:
    ids = [f"h{n:05d}" for n in range(1_000)]
    parts = [{h for h in ids if Shard(i, 4).holds(h)} for i in range(4)]
    assert set().union(*parts) == set(ids) and sum(len(p) for p in parts) == len(ids)
    assert all(200 < len(p) < 300 for p in parts)  # CRC-32 spreads them evenly
    with pytest.raises(ShardError, match=r"0\.\.count-1"):
        Shard(4, 4)


def test_the_shard_is_given_or_read_from_the_sagemaker_jobs_hosts(tmp_path: Path) -> None:
    assert parse_shard("2/5") == Shard(2, 5) and parse_shard("0/1") == Shard()
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-3", "algo-1", "algo-2"]}))
    assert parse_shard("auto", config) == Shard(1, 3)
    with pytest.raises(ShardError, match="INDEX/COUNT"):
        parse_shard("two of five")
    with pytest.raises(ShardError, match="cannot read this host's place"):
        parse_shard("auto", tmp_path / "missing.json")


def test_a_shard_split_over_processes_covers_exactly_that_shard() -> None:
    ids = [f"h{n:05d}" for n in range(400)]
    shard = Shard(1, 3)
    parts = shard.split(2)
    assert parts == [Shard(1, 6), Shard(4, 6)]
    by_parts = {h for h in ids for part in parts if part.holds(h)}
    assert by_parts == {h for h in ids if shard.holds(h)} and all(
        sum(part.holds(h) for part in parts) <= 1 for h in ids
    )
