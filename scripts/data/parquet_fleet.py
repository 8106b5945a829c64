"""A fleet's hourly series as Parquet: the input of the Prophet training engines (pool and Spark).

One row per measured household-hour, the hourly table's content: `household_id`, `hour` (epoch hours,
the hour's start), `ts` (the same instant as a UTC timestamp, for people and for Spark SQL), and the
seven hourly means (NaN where a measure has no valid minute). Hours with no measure at all are left
out; reading puts every household back on its gap-free grid.

The rows come from the embedded stack's hourly table (`scripts.data.hourly_store.store_series`) or from
the UCI house and the households simulated from it (simulated in parallel, the UCI file read once per
worker process).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.data.errors import DataError
from services.core import features

KEY = "household_id"
HOUR = "hour"
TS = "ts"
COLUMNS: tuple[str, ...] = (KEY, HOUR, TS, *features.HOURLY_MEASURES)
# The same rows as a Spark schema (a DDL string), for jobs that build them (scripts/data/raw_archive.py).
SPARK_DDL = ", ".join(
    [f"{KEY} string", f"{HOUR} bigint", f"{TS} timestamp", *(f"{m} double" for m in features.HOURLY_MEASURES)]
)


def series_frame(household_id: str, series: features.HourlySeries) -> pd.DataFrame:
    """The measured hours of one household's series as Parquet rows."""
    hours = np.arange(series.start, series.last + 1, dtype=np.int64)
    measured = ~np.isnan(series.values).all(axis=1)
    frame = pd.DataFrame(series.values[measured], columns=list(features.HOURLY_MEASURES))
    frame.insert(0, KEY, household_id)
    frame.insert(1, HOUR, hours[measured])
    frame.insert(2, TS, pd.to_datetime(hours[measured] * features.SECONDS_PER_HOUR, unit="s", utc=True))
    return frame


def frame_series(frame: pd.DataFrame) -> features.HourlySeries:
    """One household's rows (any order) back on the gap-free hourly grid, NaN where not measured."""
    if frame.empty:
        raise DataError("no hourly rows")
    hours = frame[HOUR].to_numpy(dtype=np.int64)
    start = int(hours.min())
    grid = np.full((int(hours.max()) - start + 1, len(features.HOURLY_MEASURES)), np.nan)
    grid[hours - start] = frame.loc[:, list(features.HOURLY_MEASURES)].to_numpy(dtype=np.float64)
    return features.HourlySeries(start, grid)


def write_fleet(fleet: Iterable[tuple[str, features.HourlySeries]], path: Path) -> int:
    """Write `fleet` (household, series) to one Parquet file, a household at a time; the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for household_id, series in fleet:
            table = pa.Table.from_pandas(series_frame(household_id, series), preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise DataError("no household to export")
    return rows


def read_fleet(path: Path, households: Sequence[str] = ()) -> dict[str, features.HourlySeries]:
    """Each household's series in the Parquet file or folder at `path` (only `households` if given)."""
    if not path.exists():
        raise DataError(f"Parquet input {path} does not exist (write it with `wattcast data export-parquet`)")
    filters = [(KEY, "in", list(households))] if households else None
    frame = pd.read_parquet(path, columns=[KEY, HOUR, *features.HOURLY_MEASURES], filters=filters)
    fleet = {str(h): frame_series(rows) for h, rows in frame.groupby(KEY, sort=True)}
    missing = sorted(set(households) - set(fleet))
    if missing:
        raise DataError(f"{path} holds no hours of {', '.join(missing)}")
    return fleet


def simulated_fleet(
    data: Path, households: Sequence[str], seed: int = 0, workers: int = 1
) -> Iterator[tuple[str, features.HourlySeries]]:
    """(household, hourly series) of the UCI house and households simulated from it, in order."""
    if workers <= 1:
        for household_id in households:
            yield household_id, simulated_series(data, household_id, seed)
        return
    # spawn, not fork: see scripts/training/prophet.py
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        jobs = [pool.submit(simulated_series, data, h, seed) for h in households]
        for household_id, job in zip(households, jobs, strict=True):
            yield household_id, job.result()


def simulated_series(data: Path, household_id: str, seed: int = 0) -> features.HourlySeries:
    """The hourly series `household_id` (h000 = the UCI house, h001, ... simulated) would have stored."""
    from scripts.data.simulate import apply_profile, household_profiles
    from scripts.data.uci import hourly_series

    profiles = {p.household_id: p for p in household_profiles(household_index(household_id) + 1, seed=seed)}
    return hourly_series(apply_profile(_uci(data), profiles[household_id]))


@lru_cache(maxsize=1)
def _uci(data: Path) -> pd.DataFrame:
    """The UCI minutes, read once per process (4-5 s for the full file)."""
    from scripts.data.uci import load_uci

    return load_uci(data)


def household_index(household_id: str) -> int:
    digits = household_id.lstrip("h")
    if not digits.isdigit():
        raise DataError(f"simulated households are h000, h001, ...; got {household_id!r}")
    return int(digits)
