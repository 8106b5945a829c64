"""The S3 raw archive as training input: ingest's readings back to the hourly rows of the Parquet export.

Ingest archives every accepted reading of a batch as one gzipped JSON-lines object,
`{raw_prefix}dt=YYYY-MM-DD/{shard}/{first}-{last}.jsonl.gz` (services/ingest/pipeline.py archive_key,
archive_lines): one line per reading, `household_id`, `ts` ("YYYY-MM-DDTHH:MM:SSZ"), the MEASURES of
services/core/reading.py (null where not measured) and `record_id` ("<shard>:<sequence>[.<sub>]").

A reading can be archived more than once (a redelivered or bisected batch, a meter that resent a
minute): the hourly table keeps the first one stored for each household-minute, so here the one with
the lowest record id (shard, then sequence and sub-sequence number as integers) wins. A household's
readings all travel on its partition key's shard, so that is the first to arrive. Each household-hour
is then aggregated as ingest does it (services/core/hourly.py: exact decimal sums over the valid
minutes, divided by their count), and the rows have the Parquet export's schema
(scripts/data/parquet_fleet.py): training on them is training on the hourly table's numbers.

`household_hours` is the one definition: Spark runs it per household (`applyInPandas`, on EMR
Serverless over s3://), and `archive_fleet` runs it over a local copy of the archive.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.data import parquet_fleet as pf
from scripts.data.errors import DataError
from services.core import features
from services.core.hourly import decimal_of, hourly_means
from services.core.reading import MEASURES

RECORD_ID = "record_id"
READING_TS = "ts"
ARCHIVE_GLOB = "dt=*/*/*.jsonl.gz"
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Spark's schema of an archived line (a DDL string): measures as doubles, JSON null -> null.
READINGS_DDL = ", ".join(
    [f"{pf.KEY} string", f"{READING_TS} string", *(f"{m} double" for m in MEASURES), f"{RECORD_ID} string"]
)


def archive_glob(root: str) -> str:
    """Every archived object under `root` (a folder, or s3://bucket/raw/ on EMR)."""
    return f"{root.rstrip('/')}/{ARCHIVE_GLOB}"


def record_order(record_id: str) -> tuple[str, int, int]:
    """(shard, sequence, sub-sequence) of a record id: Kinesis sequence numbers compare as integers."""
    shard, _, position = record_id.rpartition(":")
    sequence, _, sub = position.partition(".")
    if not shard or not sequence.isdigit() or not (sub == "" or sub.isdigit()):
        raise DataError(f"not an archived record id: {record_id!r}")
    return shard, int(sequence), int(sub or -1)


def first_readings(readings: pd.DataFrame) -> pd.DataFrame:
    """One reading per household-minute: the first stored (lowest record id), as the hourly table."""
    keys = [record_order(r) for r in readings[RECORD_ID]]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    ordered = readings.iloc[order]
    return ordered.drop_duplicates(subset=[pf.KEY, READING_TS], keep="first")


def household_hours(readings: pd.DataFrame) -> pd.DataFrame:
    """One household's archived readings (any order, duplicates allowed) -> its Parquet rows."""
    if readings.empty:
        return pd.DataFrame(columns=list(pf.COLUMNS))
    kept = first_readings(readings)
    household_ids = kept[pf.KEY].unique()
    if len(household_ids) != 1:
        raise DataError(f"household_hours takes one household's readings, got {len(household_ids)}")
    seconds = pd.DatetimeIndex(pd.to_datetime(kept[READING_TS], format=TS_FORMAT, utc=True)).as_unit("s").asi8
    hours = (seconds // features.SECONDS_PER_HOUR).astype(np.int64)
    return pf.series_frame(str(household_ids[0]), _hourly_series(kept, hours))


def _hourly_series(readings: pd.DataFrame, hours: np.ndarray) -> features.HourlySeries:
    """Each hour's means as ingest stores them: decimal sums of the valid minutes over their count."""
    start = int(hours.min())
    grid = np.full((int(hours.max()) - start + 1, len(features.HOURLY_MEASURES)), np.nan)
    sums = {m: _decimal_sums(readings[m], hours) for m in MEASURES}
    counts = {m: readings[m].notna().groupby(hours).sum() for m in MEASURES}
    for hour in np.unique(hours):
        means = hourly_means(
            {m: sums[m].get(hour, 0) for m in MEASURES}, {m: int(counts[m].get(hour, 0)) for m in MEASURES}
        )
        grid[hour - start] = [np.nan if means[m] is None else means[m] for m in features.HOURLY_MEASURES]
    return features.HourlySeries(start, grid)


def _decimal_sums(values: pd.Series, hours: np.ndarray) -> pd.Series:
    valid = values.notna().to_numpy()
    decimals = pd.Series([decimal_of(float(v)) for v in values[valid]], index=hours[valid], dtype=object)
    return decimals.groupby(level=0).sum()


def read_lines(path: Path) -> pd.DataFrame:
    """The readings of one archived object, as Spark reads them (columns of READINGS_DDL)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    frame = pd.DataFrame(rows, columns=[pf.KEY, READING_TS, *MEASURES, RECORD_ID])
    return frame.astype(dict.fromkeys(MEASURES, "float64"))


def archive_fleet(root: Path, households: Sequence[str] = ()) -> Iterator[tuple[str, features.HourlySeries]]:
    """(household, hourly series) of every household (only `households` if given) in a local copy of
    the raw archive (`aws s3 sync s3://<bucket>/<raw_prefix> <root>`), in household order."""
    files = sorted(root.glob(ARCHIVE_GLOB))
    if not files:
        raise DataError(f"{root} holds no archived readings ({ARCHIVE_GLOB})")
    readings = pd.concat([read_lines(f) for f in files], ignore_index=True)
    if households:
        readings = readings[readings[pf.KEY].isin(list(households))]
    missing = sorted(set(households) - set(readings[pf.KEY]))
    if missing:
        raise DataError(f"{root} holds no readings of {', '.join(missing)}")
    for household_id, rows in readings.groupby(pf.KEY, sort=True):
        yield str(household_id), pf.frame_series(household_hours(rows))
