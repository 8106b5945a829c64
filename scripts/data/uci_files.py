"""The UCI data set as files: download and verify it, cut slices of it, describe a copy.

The data set: Georges Hebrail and Alice Berard (2012), Individual household electric power
consumption, UCI Machine Learning Repository, https://doi.org/10.24432/C58K54 (CC BY 4.0).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, cast

import pandas as pd

from scripts.data.errors import DataError
from scripts.data.source import (
    DOWNLOAD_TIMEOUT_SECONDS,
    UCI_DATASET_PAGE,
    UCI_TXT_SHA256,
    UCI_ZIP_URL,
    ZIP_NAME,
)
from scripts.data.uci import UCI_TXT_NAME, check_header, load_uci, read_text_lines, utc_timestamp

LOG = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


# fetch ------------------------------------------------------------------------------------------------


def fetch_uci_zip(
    out_dir: str | Path,
    *,
    url: str = UCI_ZIP_URL,
    expected_sha256: str = UCI_TXT_SHA256,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
) -> Path:
    """Download the UCI zip into `out_dir`, verify the txt inside, and return the zip's path.

    The download goes to a temporary file next to the target, which only replaces the target once the
    txt's sha256 matches; on any failure nothing is left behind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ZIP_NAME
    with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".download-", suffix=".part", delete=False) as part:
        partial = Path(part.name)
        try:
            _download(url, part, timeout)
        except BaseException:
            part.close()
            partial.unlink(missing_ok=True)
            raise
    try:
        _verify_zip(partial, expected_sha256, url)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _download(url: str, sink: IO[bytes], timeout: float) -> None:
    LOG.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, sink, CHUNK_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(
            f"cannot download {url}: {exc}. Without network access, download the zip by hand from "
            f"{UCI_DATASET_PAGE} (https://doi.org/10.24432/C58K54), put it in the output directory "
            f"as {ZIP_NAME}, and check it with `wattcast data info --data <zip>`"
        ) from exc


def _verify_zip(path: Path, expected_sha256: str, url: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            member = _uci_member(archive, url)
            with archive.open(member) as stream:
                actual = _sha256(stream)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{url} did not send a zip file: {exc}") from exc
    if actual != expected_sha256.lower():
        raise DataError(f"{UCI_TXT_NAME} from {url} has sha256 {actual}, expected {expected_sha256}")


def _uci_member(archive: zipfile.ZipFile, url: str) -> str:
    for name in archive.namelist():
        if Path(name).name == UCI_TXT_NAME:
            return name
    raise DataError(f"the zip from {url} holds no {UCI_TXT_NAME}: {', '.join(archive.namelist()[:10])}")


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


# slice ------------------------------------------------------------------------------------------------


def slice_uci(data: str | Path, out: str | Path, *, start: str | datetime, end: str | datetime) -> int:
    """Copy the header and the lines with start <= time < end, byte for byte; return the rows copied.

    An `out` ending in .gz is gzipped at level 9 with no name and mtime 0 (like `gzip -9 -n`), so the
    same input always gives the same bytes.
    """
    first, stop = _naive_utc(start), _naive_utc(end)
    if stop <= first:
        raise DataError(f"--end {end} must be after --start {start}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = read_text_lines(data)
    header = next(lines, b"")
    check_header(header, data)
    with _open_output(out) as sink:
        sink.write(header)
        return _copy_lines_between(lines, sink, first, stop)


def _naive_utc(value: str | datetime) -> datetime:
    stamp: datetime = utc_timestamp(value).tz_localize(None).to_pydatetime()
    return stamp


@contextmanager
def _open_output(out: Path) -> Iterator[IO[bytes]]:
    with out.open("wb") as raw:
        if out.suffix != ".gz":
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as zipped:
            yield cast(IO[bytes], zipped)  # GzipFile writes like any binary file


def _copy_lines_between(lines: Iterable[bytes], sink: IO[bytes], first: datetime, stop: datetime) -> int:
    copied = 0
    for line, stamp in _stamped(lines):
        if first <= stamp < stop:
            sink.write(line)
            copied += 1
    return copied


def _stamped(lines: Iterable[bytes]) -> Iterator[tuple[bytes, datetime]]:
    """Each data line with its time; a date is parsed once (1,440 lines share it)."""
    days: dict[bytes, datetime] = {}
    for number, line in enumerate(lines, start=2):
        date, clock = _date_and_time(line, number)
        day = days.get(date)
        if day is None:
            day = days[date] = _parse_day(date, number)
        yield line, day.replace(hour=int(clock[0:2]), minute=int(clock[3:5]), second=int(clock[6:8]))


def _date_and_time(line: bytes, number: int) -> tuple[bytes, bytes]:
    fields = line.split(b";", 2)
    if len(fields) < 3 or len(fields[1]) != 8:
        raise DataError(f"line {number} is not a UCI row: {line[:80]!r}")
    return fields[0], fields[1]


def _parse_day(date: bytes, number: int) -> datetime:
    try:
        return datetime.strptime(date.decode("ascii"), "%d/%m/%Y")
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"line {number} has a date that is not d/m/yyyy: {date[:20]!r}") from exc


# info -------------------------------------------------------------------------------------------------


def describe_uci(data: str | Path) -> dict[str, str]:
    """What `wattcast data info` prints: rows, first/last minute, fully missing rows, load time."""
    started = time.perf_counter()
    frame = load_uci(data)
    seconds = time.perf_counter() - started
    missing = int(frame.isna().all(axis=1).sum())
    share = missing / len(frame) if len(frame) else 0.0
    return {
        "file": str(data),
        "rows": f"{len(frame):,}",
        "first minute": _minute_or_none(frame.index, 0),
        "last minute": _minute_or_none(frame.index, -1),
        "missing rows": f"{missing:,} ({share:.2%})",
        "load seconds": f"{seconds:.2f}",
    }


def _minute_or_none(index: pd.Index, position: int) -> str:
    if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
        return "none"
    return str(index[position].strftime("%Y-%m-%d %H:%M:%S"))
