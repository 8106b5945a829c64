"""The UCI loader: the bundled slice against its raw text, every file form, bad inputs, readings."""

from __future__ import annotations

import gzip
import hashlib
import math
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts.data.errors import DataError
from scripts.data.uci import UCI_HEADER, default_data_path, load_uci, minute_readings
from services.core.reading import MEASURES
from tests.paths import FULL_UCI_FILE

FULL_FILE = FULL_UCI_FILE
SLICE_START = pd.Timestamp("2010-01-01", tz="UTC")
SLICE_END = pd.Timestamp("2010-03-01", tz="UTC")

TINY_LINES = [
    UCI_HEADER,
    "31/12/2009;23:58:00;1.000;0.100;240.000;4.200;0.000;1.000;17.000",
    "31/12/2009;23:59:00;?;?;?;?;?;?;",
    "1/1/2010;00:00:00;1.790;0.236;240.650;7.400;0.000;0.000;18.000",
    "1/1/2010;00:01:00;1.780;0.234;240.070;7.400;0.000;0.000;18.000",
]


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return load_uci(default_data_path())


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    """The bundled slice's data lines as stored (CRLF stripped), header excluded."""
    with gzip.open(default_data_path(), "rb") as stream:
        lines = stream.read().decode("ascii").split("\r\n")
    assert lines[0] == UCI_HEADER
    assert lines[-1] == ""  # the file ends with CRLF
    return lines[1:-1]


def write_tiny(tmp_path: Path, kind: str, lines: list[str] = TINY_LINES) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    text = ("\r\n".join(lines) + "\r\n").encode("ascii")
    if kind == "txt":
        path = tmp_path / "household_power_consumption.txt"
        path.write_bytes(text)
    elif kind == "gz":
        path = tmp_path / "household_power_consumption.txt.gz"
        path.write_bytes(gzip.compress(text, mtime=0))
    else:
        path = tmp_path / "household_power_consumption.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("household_power_consumption.txt", text)
    return path


def fields_of(line: str) -> tuple[pd.Timestamp, list[float]]:
    date, clock, *values = line.split(";")
    stamp = pd.Timestamp(datetime.strptime(f"{date} {clock}", "%d/%m/%Y %H:%M:%S"), tz="UTC")
    return stamp, [math.nan if value in ("?", "") else float(value) for value in values]


def on_minute_grid(frame: pd.DataFrame) -> bool:
    steps = frame.index.to_series().diff().dropna()
    return bool((steps == pd.Timedelta(minutes=1)).all())


# the bundled slice ------------------------------------------------------------------------------------


def test_bundled_slice_has_every_minute_of_jan_and_feb_2010(
    bundled: pd.DataFrame, raw_lines: list[str]
) -> None:
    assert len(bundled) == 59 * 1440 == 84_960 == len(raw_lines)
    assert bundled.index[0] == SLICE_START
    assert bundled.index[-1] == SLICE_END - pd.Timedelta(minutes=1)
    assert on_minute_grid(bundled)


def test_bundled_slice_shape_and_types(bundled: pd.DataFrame) -> None:
    assert list(bundled.columns) == list(MEASURES)
    assert all(dtype == np.float64 for dtype in bundled.dtypes)
    assert isinstance(bundled.index, pd.DatetimeIndex)
    assert bundled.index.name == "ts"
    assert str(bundled.index.tz) == "UTC"


def test_missing_values_are_exactly_the_question_mark_rows(
    bundled: pd.DataFrame, raw_lines: list[str]
) -> None:
    question_rows = [number for number, line in enumerate(raw_lines) if "?" in line]
    assert len(question_rows) == 3_133
    assert int(bundled.isna().all(axis=1).sum()) == len(question_rows)
    assert int(bundled.isna().any(axis=1).sum()) == len(question_rows)
    assert np.flatnonzero(bundled.isna().all(axis=1).to_numpy()).tolist() == question_rows


@pytest.mark.parametrize("row", [0, 1, 4_321, 40_000, 84_959])
def test_values_equal_the_raw_text(bundled: pd.DataFrame, raw_lines: list[str], row: int) -> None:
    stamp, values = fields_of(raw_lines[row])
    assert bundled.index[row] == stamp
    np.testing.assert_array_equal(bundled.iloc[row].to_numpy(), np.array(values))


def test_known_first_and_last_lines(bundled: pd.DataFrame) -> None:
    first = bundled.iloc[0]
    assert first["global_active_power"] == 1.790
    assert first["voltage"] == 240.650
    assert first["sub_metering_3"] == 18.0
    last = bundled.iloc[-1]
    assert bundled.index[-1] == pd.Timestamp("2010-02-28 23:59", tz="UTC")
    assert last["global_active_power"] == 0.392
    assert last["voltage"] == 241.070
    assert last["sub_metering_2"] == 2.0


def test_a_missing_row_is_all_nan(bundled: pd.DataFrame, raw_lines: list[str]) -> None:
    row = next(number for number, line in enumerate(raw_lines) if "?" in line)
    assert bundled.iloc[row].isna().all()


def test_bundled_readme_states_the_slice_hash() -> None:
    digest = hashlib.sha256(default_data_path().read_bytes()).hexdigest()
    readme = (default_data_path().parent / "README.md").read_text()
    assert digest in readme
    assert "84,960" in readme
    assert "3,133" in readme


# start / end ------------------------------------------------------------------------------------------


def test_start_is_inclusive_and_end_exclusive() -> None:
    frame = load_uci(default_data_path(), start="2010-01-02 00:00", end="2010-01-03")
    assert len(frame) == 1440
    assert frame.index[0] == pd.Timestamp("2010-01-02", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2010-01-02 23:59", tz="UTC")


def test_bounds_accept_aware_datetimes_in_other_zones() -> None:
    paris = pd.Timestamp("2010-01-02 01:00", tz="Europe/Paris").to_pydatetime()
    frame = load_uci(default_data_path(), start=paris, end=datetime(2010, 1, 2, 1, 0, tzinfo=UTC))
    assert len(frame) == 60
    assert frame.index[0] == pd.Timestamp("2010-01-02 00:00", tz="UTC")


def test_only_start_or_only_end(bundled: pd.DataFrame) -> None:
    assert len(load_uci(default_data_path(), start="2010-02-28")) == 1440
    assert len(load_uci(default_data_path(), end="2010-01-01 01:00")) == 60


# file forms -------------------------------------------------------------------------------------------


def test_txt_zip_and_gz_load_identically(tmp_path: Path) -> None:
    frames = {kind: load_uci(write_tiny(tmp_path / kind, kind)) for kind in ("txt", "zip", "gz")}
    pd.testing.assert_frame_equal(frames["txt"], frames["zip"])
    pd.testing.assert_frame_equal(frames["txt"], frames["gz"])
    frame = frames["txt"]
    assert frame.index.tolist() == [
        pd.Timestamp("2009-12-31 23:58", tz="UTC"),
        pd.Timestamp("2009-12-31 23:59", tz="UTC"),
        pd.Timestamp("2010-01-01 00:00", tz="UTC"),
        pd.Timestamp("2010-01-01 00:01", tz="UTC"),
    ]
    assert frame.iloc[1].isna().all()
    assert frame.iloc[3].tolist() == [1.78, 0.234, 240.07, 7.4, 0.0, 0.0, 18.0]


def test_format_is_detected_from_content_not_name(tmp_path: Path) -> None:
    gz = write_tiny(tmp_path / "gz", "gz")
    renamed = gz.with_name("copy.dat")
    gz.rename(renamed)
    assert len(load_uci(renamed)) == 4


def test_zip_with_txt_in_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/household_power_consumption.txt", "\r\n".join(TINY_LINES) + "\r\n")
    assert len(load_uci(path)) == 4


def test_lf_line_ends_load_too(tmp_path: Path) -> None:
    path = tmp_path / "lf.txt"
    path.write_text("\n".join(TINY_LINES) + "\n")
    pd.testing.assert_frame_equal(load_uci(path), load_uci(write_tiny(tmp_path / "txt", "txt")))


# bad inputs -------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere\.txt does not exist.*wattcast data fetch"):
        load_uci(tmp_path / "nowhere.txt")


def test_zip_without_the_txt(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(
        DataError, match=r"holds no household_power_consumption\.txt \(it holds: readme\.txt\)"
    ):
        load_uci(path)


def test_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "wrong.txt"
    path.write_text("Date,Time,Power\r\n1/1/2010,00:00:00,1.0\r\n")
    with pytest.raises(
        DataError, match=r"not a UCI household power file: its first line is 'Date,Time,Power'"
    ):
        load_uci(path)


def test_missing_column_in_header(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text(UCI_HEADER.rsplit(";", 1)[0] + "\r\n")
    with pytest.raises(DataError, match="expected 'Date;Time;Global_active_power"):
        load_uci(path)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(DataError, match="not a UCI household power file"):
        load_uci(path)


def test_bad_number(tmp_path: Path) -> None:
    lines = [*TINY_LINES[:2], "1/1/2010;00:00:00;abc;0.236;240.650;7.400;0.000;0.000;18.000"]
    with pytest.raises(DataError, match="cannot parse UCI rows"):
        load_uci(write_tiny(tmp_path / "txt", "txt", lines))


def test_bad_date(tmp_path: Path) -> None:
    lines = [*TINY_LINES[:2], "2010-01-01;00:00:00;1.790;0.236;240.650;7.400;0.000;0.000;18.000"]
    with pytest.raises(DataError, match=r"Date or Time not in %d/%m/%Y %H:%M:%S"):
        load_uci(write_tiny(tmp_path / "txt", "txt", lines))


def test_bad_bound() -> None:
    with pytest.raises(DataError, match="'soon' is not a date"):
        load_uci(default_data_path(), start="soon")


# minute_readings --------------------------------------------------------------------------------------


def test_minute_readings_are_contract_shaped(tmp_path: Path) -> None:
    readings = list(minute_readings(load_uci(write_tiny(tmp_path / "txt", "txt")), "h007"))
    assert len(readings) == 4
    assert readings[0] == {
        "household_id": "h007",
        "ts": "2009-12-31T23:58:00Z",
        "global_active_power": 1.0,
        "global_reactive_power": 0.1,
        "voltage": 240.0,
        "global_intensity": 4.2,
        "sub_metering_1": 0.0,
        "sub_metering_2": 1.0,
        "sub_metering_3": 17.0,
    }
    assert readings[1] == {"household_id": "h007", "ts": "2009-12-31T23:59:00Z", **dict.fromkeys(MEASURES)}
    assert all(type(value) is float for value in readings[3].values() if not isinstance(value, str))


def test_minute_readings_round_to_three_decimals_and_accept_naive_index() -> None:
    frame = pd.DataFrame(
        [[1.23456, 0.0004, 239.9996, 5.0, 0.0, 1.0, math.nan]],
        columns=list(MEASURES),
        index=pd.DatetimeIndex([datetime(2010, 1, 1, 12, 30)], name="ts"),
    )
    (reading,) = minute_readings(frame, "x")
    assert reading["ts"] == "2010-01-01T12:30:00Z"
    assert reading["global_active_power"] == 1.235
    assert reading["global_reactive_power"] == 0.0
    assert reading["voltage"] == 240.0
    assert reading["sub_metering_3"] is None


def test_minute_readings_need_every_measure() -> None:
    frame = pd.DataFrame({"voltage": [240.0]}, index=pd.DatetimeIndex([datetime(2010, 1, 1)]))
    with pytest.raises(DataError, match="no column"):
        list(minute_readings(frame, "x"))


# the full file (opt-in) -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not FULL_FILE.is_file(), reason=f"{FULL_FILE} is not here")
def test_full_file_matches_its_readme() -> None:
    started = time.perf_counter()
    frame = load_uci(FULL_FILE)
    seconds = time.perf_counter() - started
    assert len(frame) == 2_075_259
    assert frame.index[0] == pd.Timestamp("2006-12-16 17:24", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2010-11-26 21:02", tz="UTC")
    assert int(frame.isna().all(axis=1).sum()) == 25_979
    assert int(frame.isna().any(axis=1).sum()) == 25_979
    assert on_minute_grid(frame)
    assert seconds < 30, f"loading took {seconds:.1f} s"


@pytest.mark.slow
@pytest.mark.skipif(not FULL_FILE.is_file(), reason=f"{FULL_FILE} is not here")
def test_bundled_slice_equals_the_full_file_window(bundled: pd.DataFrame) -> None:
    window = load_uci(FULL_FILE, start=SLICE_START, end=SLICE_END)
    pd.testing.assert_frame_equal(window, bundled)
