"""The S3 raw archive as training input. A small archive in ingest's own format (its archive_key and
archive_lines over Kinesis-like records, gzipped as the S3 adapter writes it): three households, four
days, a minute resent with another value in a later record and a record that arrives out of order.

The expected hours are ingest's (services.core.hourly: the first reading of a minute wins, decimal
sums over count), written as the Parquet export; the archive's reader must give those numbers exactly,
and Spark trained on the archive must write the bundles the pool writes from that Parquet.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scripts.data import parquet_fleet as pf
from scripts.data import raw_archive
from scripts.data.errors import DataError
from scripts.data.hourly_store import series_of_rows
from scripts.data.simulate import apply_profile, household_profiles
from scripts.data.uci import default_data_path, load_uci
from scripts.training.prophet import ProphetOptions, train_prophet
from services.core import features
from services.core.hourly import HourlyRow, group_by_hour, hourly_means
from services.core.reading import MEASURES, Reading
from services.core.settings import Settings
from services.ingest.pipeline import archive_key, archive_lines
from services.ingest.records import UserRecord

HOUSEHOLDS = ("h000", "h001", "h002")
FIRST_DAY, END_DAY, TRAIN_END = "2010-01-04", "2010-01-08", "2010-01-07"
SHARD = "shardId-000000000000"
READINGS_PER_RECORD = 60
RECORDS_PER_BATCH = 24
BASE_SEQUENCE = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000  # beyond 2**64
RESENT = ("h001", "2010-01-05T10:17:00Z")  # the minute a meter resends with another value
LATE_RECORD = 30  # h002's 31st record (an hour of Jan 5) arrives with the last batch


@pytest.fixture(scope="module")
def readings() -> dict[str, list[Reading]]:
    """Each household's minutes, as meters send them (the UCI slice through the simulation)."""
    uci = load_uci(default_data_path(), start=FIRST_DAY, end=END_DAY)
    profiles = {p.household_id: p for p in household_profiles(len(HOUSEHOLDS))}
    out = {}
    for household_id in HOUSEHOLDS:
        frame = apply_profile(uci, profiles[household_id])
        out[household_id] = [
            Reading(household_id, ts.to_pydatetime(), tuple(None if np.isnan(v) else float(v) for v in row))
            for ts, row in zip(frame.index, frame.loc[:, list(MEASURES)].to_numpy(), strict=True)
        ]
    return out


def arrivals(readings: dict[str, list[Reading]]) -> list[list[list[Reading]]]:
    """Batches of records (lists of readings) in arrival order, with the resent minute and the late record."""
    records = {
        h: [rs[i : i + READINGS_PER_RECORD] for i in range(0, len(rs), READINGS_PER_RECORD)]
        for h, rs in readings.items()
    }
    late = records["h002"].pop(LATE_RECORD)
    original = next(r for r in readings[RESENT[0]] if r.ts == datetime.fromisoformat(RESENT[1]))
    resent = Reading(original.household_id, original.ts, tuple(2 * (v or 1.0) for v in original.values))
    stream = [record for h in HOUSEHOLDS for record in records[h]] + [[resent], late]
    return [stream[i : i + RECORDS_PER_BATCH] for i in range(0, len(stream), RECORDS_PER_BATCH)]


def write_archive(root: Path, batches: list[list[list[Reading]]]) -> None:
    """Each batch as ingest archives it: its key, its lines, gzipped like services/ingest/aws.py."""
    settings, sequence = Settings(), BASE_SEQUENCE
    for batch in batches:
        records, sources = [], {}
        for record_readings in batch:
            sequence += 1
            record = UserRecord(str(sequence), None, SHARD, "p", b"", 1_262_995_200.0, "arn:stream")
            records.append(record)
            sources.update({id(r): record for r in record_readings})
        groups, _ = group_by_hour(r for rs in batch for r in rs)
        body = "".join(
            json.dumps(line, separators=(",", ":")) + "\n" for line in archive_lines(groups.values(), sources)
        )
        path = root / archive_key(records, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(body.encode(), mtime=0))


def ingest_hours(batches: list[list[list[Reading]]]) -> dict[str, features.HourlySeries]:
    """What the hourly table holds after these batches: the first reading of a minute, sum / count."""
    groups, duplicates = group_by_hour(r for batch in batches for record in batch for r in record)
    assert duplicates == 1  # the resent minute
    rows: dict[str, list[HourlyRow]] = {h: [] for h in HOUSEHOLDS}
    for (household_id, hour), group in groups.items():
        means = hourly_means(group.sums(), group.counts())
        rows[household_id].append(HourlyRow(household_id, hour, len(group.readings), means))
    return {h: series_of_rows(rows[h]) for h in HOUSEHOLDS}


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, readings: dict[str, list[Reading]]
) -> Iterator[tuple[Path, Path]]:
    """(the archive's root, the equivalent Parquet export of the hourly table)."""
    root = tmp_path_factory.mktemp("archive")
    batches = arrivals(readings)
    write_archive(root / "bucket", batches)
    parquet = root / "fleet.parquet"
    pf.write_fleet(sorted(ingest_hours(batches).items()), parquet)
    yield root / "bucket" / Settings().raw_prefix, parquet


def test_the_archive_reads_back_as_the_hourly_tables_numbers(archive: tuple[Path, Path]) -> None:
    raw, parquet = archive
    assert len(list(raw.glob(raw_archive.ARCHIVE_GLOB))) >= 10
    expected = pf.read_fleet(parquet)
    fleet = dict(raw_archive.archive_fleet(raw))
    assert sorted(fleet) == list(HOUSEHOLDS)
    for household_id in HOUSEHOLDS:
        assert fleet[household_id].start == expected[household_id].start
        np.testing.assert_array_equal(fleet[household_id].values, expected[household_id].values)
    # The resent minute counts once, with its first value: the naive mean over both would differ.
    hour = int(pd.Timestamp("2010-01-05T10:00:00Z").timestamp()) // 3600 - expected["h001"].start
    lines = pd.concat([raw_archive.read_lines(p) for p in raw.glob(raw_archive.ARCHIVE_GLOB)])
    resent = lines[(lines.household_id == RESENT[0]) & (lines.ts.str.startswith("2010-01-05T10:"))]
    assert len(resent) == 61
    assert resent["global_active_power"].mean() != fleet["h001"].values[hour, 0]
    assert len(lines) == 3 * 4 * 1440 + 1


def test_record_ids_order_by_shard_then_sequence_number() -> None:
    ids = [f"{SHARD}:{BASE_SEQUENCE + 10}", f"{SHARD}:{BASE_SEQUENCE + 9}.2", f"{SHARD}:{BASE_SEQUENCE + 9}"]
    assert sorted(ids, key=raw_archive.record_order) == [ids[2], ids[1], ids[0]]
    with pytest.raises(DataError):
        raw_archive.record_order("no-sequence")


def test_export_parquet_from_the_raw_archive_writes_the_hourly_tables_rows(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    from scripts.cli import main

    raw, parquet = archive
    out = tmp_path / "fleet.parquet"
    assert (
        main(
            [
                "data",
                "export-parquet",
                "--source",
                "raw-archive",
                "--raw-archive",
                str(raw),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    expected, exported = pd.read_parquet(parquet), pd.read_parquet(out)
    pd.testing.assert_frame_equal(exported, expected)  # the same rows, values and column types


def test_the_emr_entry_point_is_the_spark_training_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import scripts.cli
    from scripts.training.engines import spark

    calls: list[list[str]] = []

    def wattcast(argv: list[str]) -> int:
        calls.append(list(argv))
        return 0

    monkeypatch.setattr(scripts.cli, "main", wattcast)
    assert spark.main(["--raw-archive", "s3://b/raw/", "--models-prefix", "s3://b/models/x/"]) == 0
    prefix = ["train", "prophet", "--engine", "spark", "--spark-master", "submit"]
    assert calls == [[*prefix, "--raw-archive", "s3://b/raw/", "--models-prefix", "s3://b/models/x/"]]
    args = scripts.cli.build_parser().parse_args(calls[0])
    assert (args.engine, args.spark_master, args.raw_archive, args.parquet) == (
        "spark",
        "submit",
        "s3://b/raw/",
        None,
    )


def test_the_spark_job_takes_one_input() -> None:
    from scripts.training.engines.spark import SparkJobError, SparkOptions

    assert SparkOptions(raw_archive="s3://b/raw/").source == "s3://b/raw/"
    with pytest.raises(SparkJobError):
        SparkOptions(parquet="a", raw_archive="b")
    with pytest.raises(SparkJobError):
        SparkOptions()


@pytest.mark.spark
@pytest.mark.timeout(600)
def test_spark_on_the_raw_archive_writes_the_bundles_of_its_parquet_export(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java on PATH or JAVA_HOME: Spark needs Java 17")
    from scripts.training.engines.spark import SparkOptions, train_prophet_spark

    raw, parquet = archive

    def options(out: Path) -> ProphetOptions:
        return ProphetOptions(
            data=default_data_path(), out=out, households=HOUSEHOLDS, train_end=TRAIN_END,
            workers=2, evaluate=False, version="v1",
        )  # fmt: skip

    pool = train_prophet(options(tmp_path / "pool"), progress=False, fleet=pf.read_fleet(parquet))
    spark = train_prophet_spark(options(tmp_path / "spark"), SparkOptions(raw_archive=str(raw)), HOUSEHOLDS)
    assert spark["engine"] == "spark" and spark["households"] == 3
    for household in HOUSEHOLDS:
        pooled = (tmp_path / "pool" / household / "model.tar.gz").read_bytes()
        assert (tmp_path / "spark" / household / "model.tar.gz").read_bytes() == pooled, household
        metrics = json.loads((tmp_path / "spark" / household / "metrics.json").read_text())
        assert metrics["evaluated"] is False
    summary = json.loads((tmp_path / "spark" / "metrics.json").read_text())
    assert [without_timing(r) for r in summary["per_household"]] == [
        without_timing(r) for r in pool["per_household"]
    ]


def without_timing(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k not in ("train_seconds", "cpu_seconds")}
