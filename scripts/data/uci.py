"""Load the UCI "Individual household electric power consumption" data set (see services/core/data/).

The file is read as UCI ships it: `household_power_consumption.txt`, the original zip that holds it,
or a gzip of the text (our copies). The format is detected from the first bytes, not the name.
UCI times are local wall-clock times of a house near Paris; like the rest of the project we treat
them as UTC, so every minute exists exactly once.
"""

from __future__ import annotations

import gzip
import math
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd

from scripts.data.errors import DataError
from services.core.features import HourlySeries, hourly_from_minutes
from services.core.reading import MEASURES, format_ts

UCI_TXT_NAME = "household_power_consumption.txt"
UCI_COLUMNS: tuple[str, ...] = (
    "Date",
    "Time",
    "Global_active_power",
    "Global_reactive_power",
    "Voltage",
    "Global_intensity",
    "Sub_metering_1",
    "Sub_metering_2",
    "Sub_metering_3",
)
UCI_HEADER = ";".join(UCI_COLUMNS)
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M:%S"
MISSING_MARK = "?"
DECIMALS = 3
BUNDLED_SLICE_NAME = "uci_2010-01-01_2010-03-01.txt.gz"

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_MEASURE_BY_UCI_COLUMN = dict(zip(UCI_COLUMNS[2:], MEASURES, strict=True))

TimeBound = str | datetime | pd.Timestamp | None


def default_data_path() -> Path:
    """The bundled two-month slice (1 Jan - 1 Mar 2010), shipped as package data."""
    return Path(__file__).with_name("slice") / BUNDLED_SLICE_NAME


def load_uci(path: str | Path, *, start: TimeBound = None, end: TimeBound = None) -> pd.DataFrame:
    """Read a UCI file into a frame indexed by UTC minute ("ts"), columns MEASURES as float64.

    `?` becomes NaN. `start` is inclusive and `end` exclusive; naive bounds are taken as UTC.
    """
    with open_uci_file(path) as stream:
        check_header(stream.readline(), path)
        raw = _read_rows(stream, path)
    frame = _to_measure_frame(raw, path)
    return _between(frame, start, end)


@contextmanager
def open_uci_file(path: str | Path) -> Iterator[IO[bytes]]:
    """The UCI text of a .txt, .zip or .gz file as a binary stream, positioned at the header line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"UCI data file {path} does not exist (get it with `wattcast data fetch`)")
    magic = _read_magic(path)
    if magic.startswith(_GZIP_MAGIC):
        with gzip.open(path, "rb") as stream:
            yield cast(IO[bytes], stream)  # GzipFile reads like any binary file
    elif magic.startswith(_ZIP_MAGIC):
        with zipfile.ZipFile(path) as archive, archive.open(_txt_member(archive, path)) as stream:
            yield stream
    else:
        with path.open("rb") as stream:
            yield stream


def check_header(line: bytes, path: str | Path) -> None:
    """Raise DataError unless `line` is the UCI header (CRLF or LF)."""
    try:
        header = line.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError:
        header = repr(line[:80])
    if header != UCI_HEADER:
        raise DataError(
            f"{path} is not a UCI household power file: its first line is {header[:200]!r}, "
            f"expected {UCI_HEADER!r}"
        )


def minute_readings(frame: pd.DataFrame, household_id: str) -> Iterator[dict[str, Any]]:
    """Contract-shaped reading dicts, one per row: NaN becomes None, values keep 3 decimals."""
    missing = [measure for measure in MEASURES if measure not in frame.columns]
    if missing:
        raise DataError(f"frame has no column(s) {', '.join(missing)}")
    values = frame.loc[:, list(MEASURES)].to_numpy(dtype=np.float64)
    for ts, row in zip(_utc_datetimes(frame.index), values, strict=True):
        reading: dict[str, Any] = {"household_id": household_id, "ts": format_ts(ts)}
        reading.update(zip(MEASURES, (_json_value(value) for value in row.tolist()), strict=True))
        yield reading


def _read_magic(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(4)


def _txt_member(archive: zipfile.ZipFile, path: Path) -> str:
    for name in archive.namelist():
        if Path(name).name == UCI_TXT_NAME:
            return name
    listed = ", ".join(archive.namelist()[:10]) or "nothing"
    raise DataError(f"zip {path} holds no {UCI_TXT_NAME} (it holds: {listed})")


def _read_rows(stream: IO[bytes], path: str | Path) -> pd.DataFrame:
    """Parse the rows after the header. Date and Time are read as categories: few distinct values."""
    dtypes: dict[str, Any] = {"Date": "category", "Time": "category"}
    dtypes.update(dict.fromkeys(UCI_COLUMNS[2:], np.float64))
    try:
        return pd.read_csv(
            stream,
            sep=";",
            header=None,
            names=list(UCI_COLUMNS),
            dtype=dtypes,
            na_values=[MISSING_MARK, ""],  # a missing row ends with an empty field
            keep_default_na=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot parse UCI rows of {path}: {exc}") from exc


def _to_measure_frame(raw: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    index = pd.DatetimeIndex(_parse_timestamps(raw["Date"], raw["Time"], path), name="ts")
    frame = raw.drop(columns=["Date", "Time"]).rename(columns=_MEASURE_BY_UCI_COLUMN)
    frame.index = index
    return frame.loc[:, list(MEASURES)]


def _parse_timestamps(dates: pd.Series[Any], times: pd.Series[Any], path: str | Path) -> pd.DatetimeIndex:
    """Parse each distinct date and time once (about 1,400 of each), then combine per row."""
    if dates.isna().any() or times.isna().any():
        raise DataError(f"{path} has rows without a Date or Time")
    date_codes, day_values = _category_codes(dates)
    time_codes, time_values = _category_codes(times)
    try:
        days = pd.to_datetime(day_values, format=DATE_FORMAT).to_numpy(dtype="datetime64[ns]")
        clock = pd.to_datetime(time_values, format=TIME_FORMAT) - pd.Timestamp("1900-01-01")
    except ValueError as exc:
        raise DataError(f"{path} has a Date or Time not in {DATE_FORMAT} {TIME_FORMAT}: {exc}") from exc
    stamps = days[date_codes] + clock.to_numpy(dtype="timedelta64[ns]")[time_codes]
    return pd.DatetimeIndex(stamps).tz_localize(UTC)


def _category_codes(column: pd.Series[Any]) -> tuple[np.ndarray[Any, np.dtype[np.intp]], pd.Index]:
    categorical = pd.Categorical(column)
    return np.asarray(categorical.codes, dtype=np.intp), pd.Index(categorical.categories.astype(str))


def _between(frame: pd.DataFrame, start: TimeBound, end: TimeBound) -> pd.DataFrame:
    if start is None and end is None:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= frame.index >= utc_timestamp(start)
    if end is not None:
        keep &= frame.index < utc_timestamp(end)
    return frame.loc[keep]


def utc_timestamp(value: str | datetime | pd.Timestamp) -> pd.Timestamp:
    """A UTC Timestamp; naive values (like UCI times) are taken to be UTC already."""
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise DataError(f"{value!r} is not a date or timestamp") from exc
    if stamp.tzinfo is None:
        return stamp.tz_localize(UTC)
    return stamp.tz_convert(UTC)


def _utc_datetimes(index: pd.Index) -> Iterator[datetime]:
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"frame must be indexed by timestamps, not {type(index).__name__}")
    stamps = index.tz_localize(UTC) if index.tz is None else index.tz_convert(UTC)
    return iter(stamps.to_pydatetime())


def _json_value(value: float) -> float | None:
    return None if math.isnan(value) else round(value, DECIMALS)


def read_text_lines(path: str | Path) -> Iterator[bytes]:
    """Every line of a UCI file (header first), bytes as stored, line ends included."""
    with open_uci_file(path) as stream:
        yield from stream


def hourly_series(frame: pd.DataFrame) -> HourlySeries:
    """Minute readings -> hourly means of the valid minutes: the definition ingest stores."""
    minutes = (pd.DatetimeIndex(frame.index).as_unit("s").asi8 // 60).astype(np.int64)
    return hourly_from_minutes(minutes, frame.loc[:, list(MEASURES)].to_numpy(dtype=float))
