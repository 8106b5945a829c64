"""`wattcast data fetch|slice|info` against a loopback HTTP server and small files built here."""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from scripts.commands import data as data_command
from scripts.data import uci_files as data
from scripts.data.errors import DataError
from scripts.data.source import UCI_ZIP_URL
from scripts.data.uci import UCI_HEADER, default_data_path, load_uci
from tests.paths import FULL_UCI_FILE

FULL_FILE = FULL_UCI_FILE
TXT = (
    "\r\n".join(
        [
            UCI_HEADER,
            "31/12/2009;23:59:00;1.000;0.100;240.000;4.200;0.000;1.000;17.000",
            "1/1/2010;00:00:00;?;?;?;?;?;?;",
            "1/1/2010;00:01:00;1.780;0.234;240.070;7.400;0.000;0.000;18.000",
            "2/1/2010;00:00:00;0.500;0.000;241.000;2.000;0.000;0.000;0.000",
        ]
    )
    + "\r\n"
).encode("ascii")
TXT_SHA256 = hashlib.sha256(TXT).hexdigest()


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wattcast")
    data_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests must not go through a proxy from the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A directory served on 127.0.0.1 holding uci.zip (the TXT inside) and not-a-zip.zip."""
    root = tmp_path / "www"
    root.mkdir()
    with zipfile.ZipFile(root / "uci.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("household_power_consumption.txt", TXT)
    with zipfile.ZipFile(root / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    (root / "not-a-zip.zip").write_text("<html>moved</html>")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# fetch ------------------------------------------------------------------------------------------------


def test_fetch_saves_a_verified_zip(served: str, tmp_path: Path) -> None:
    out = tmp_path / "data"
    path = data.fetch_uci_zip(out, url=f"{served}/uci.zip", expected_sha256=TXT_SHA256)
    assert path == out / "household_power_consumption.zip"
    assert path.read_bytes() == (tmp_path / "www" / "uci.zip").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["household_power_consumption.zip"]
    assert len(load_uci(path)) == 4


def test_fetch_command(served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "data"
    code = run_cli(
        "data", "fetch", "--out", str(out), "--url", f"{served}/uci.zip", "--expected-sha256", TXT_SHA256
    )
    assert code == 0
    assert "sha256 verified" in capsys.readouterr().out
    assert (out / "household_power_consumption.zip").is_file()


def test_fetch_defaults_to_the_uci_file() -> None:
    parser = argparse.ArgumentParser()
    data_command.register(parser.add_subparsers())
    args = parser.parse_args(["data", "fetch"])
    assert args.url == UCI_ZIP_URL
    assert args.expected_sha256 == "4259c9d7ece5dbee9ab8d53682baac68d791c864f0f64a52b4043cb3b90894b7"
    assert args.out == Path("data")


def test_wrong_hash_leaves_nothing(served: str, tmp_path: Path) -> None:
    out = tmp_path / "data"
    with pytest.raises(DataError, match=f"has sha256 {TXT_SHA256}, expected {'0' * 64}"):
        data.fetch_uci_zip(out, url=f"{served}/uci.zip", expected_sha256="0" * 64)
    assert list(out.iterdir()) == []


def test_wrong_hash_keeps_an_earlier_good_file(served: str, tmp_path: Path) -> None:
    out = tmp_path / "data"
    good = data.fetch_uci_zip(out, url=f"{served}/uci.zip", expected_sha256=TXT_SHA256)
    before = good.read_bytes()
    with pytest.raises(DataError):
        data.fetch_uci_zip(out, url=f"{served}/uci.zip", expected_sha256="0" * 64)
    assert good.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [good.name]


def test_server_down(tmp_path: Path) -> None:
    out = tmp_path / "data"
    url = f"http://127.0.0.1:{closed_port()}/uci.zip"
    with pytest.raises(
        DataError, match=r"cannot download .*download the zip by hand from https://archive\.ics"
    ):
        data.fetch_uci_zip(out, url=url, timeout=5)
    assert list(out.iterdir()) == []


def test_missing_on_server(served: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="404"):
        data.fetch_uci_zip(tmp_path / "data", url=f"{served}/gone.zip")
    assert list((tmp_path / "data").iterdir()) == []


def test_not_a_zip(served: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="did not send a zip file"):
        data.fetch_uci_zip(tmp_path / "data", url=f"{served}/not-a-zip.zip")
    assert list((tmp_path / "data").iterdir()) == []


def test_zip_without_the_txt(served: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"holds no household_power_consumption\.txt: readme\.txt"):
        data.fetch_uci_zip(tmp_path / "data", url=f"{served}/other.zip")
    assert list((tmp_path / "data").iterdir()) == []


def test_fetch_command_reports_errors_as_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        run_cli("data", "fetch", "--out", str(tmp_path), "--url", f"http://127.0.0.1:{closed_port()}/x.zip")


# slice ------------------------------------------------------------------------------------------------


def test_slice_copies_lines_byte_for_byte(tmp_path: Path) -> None:
    full = tmp_path / "household_power_consumption.txt"
    full.write_bytes(TXT)
    out = tmp_path / "cut.txt"
    rows = data.slice_uci(full, out, start="2010-01-01", end="2010-01-02")
    lines = TXT.split(b"\r\n")
    assert rows == 2
    assert out.read_bytes() == b"\r\n".join([lines[0], lines[2], lines[3]]) + b"\r\n"


def test_slice_to_gz_is_reproducible(tmp_path: Path) -> None:
    full = tmp_path / "full.zip"
    with zipfile.ZipFile(full, "w") as archive:
        archive.writestr("household_power_consumption.txt", TXT)
    first, second = tmp_path / "a.txt.gz", tmp_path / "b.txt.gz"
    assert (
        run_cli(
            "data",
            "slice",
            "--data",
            str(full),
            "--start",
            "2009-12-31",
            "--end",
            "2011-01-01",
            "--out",
            str(first),
        )
        == 0
    )
    data.slice_uci(full, second, start="2009-12-31", end="2011-01-01")
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()) == TXT
    assert first.read_bytes()[3:8] == b"\x00" * 5  # no flags (no name), mtime 0: like gzip -n


def test_slice_refuses_an_empty_range(tmp_path: Path) -> None:
    full = tmp_path / "full.txt"
    full.write_bytes(TXT)
    with pytest.raises(DataError, match="must be after"):
        data.slice_uci(full, tmp_path / "out.txt", start="2010-01-02", end="2010-01-01")


def test_slice_refuses_a_file_that_is_not_uci(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("a,b\r\n1,2\r\n")
    with pytest.raises(DataError, match="not a UCI household power file"):
        data.slice_uci(other, tmp_path / "out.txt", start="2010-01-01", end="2010-01-02")


@pytest.mark.slow
@pytest.mark.skipif(not FULL_FILE.is_file(), reason=f"{FULL_FILE} is not here")
def test_bundled_slice_can_be_regenerated(tmp_path: Path) -> None:
    out = tmp_path / default_data_path().name
    assert data.slice_uci(FULL_FILE, out, start="2010-01-01", end="2010-03-01") == 84_960
    assert out.read_bytes() == default_data_path().read_bytes()


# info -------------------------------------------------------------------------------------------------


def test_info_describes_the_bundled_slice(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("data", "info", "--data", str(default_data_path())) == 0
    printed = capsys.readouterr().out
    assert "rows: 84,960" in printed
    assert "first minute: 2010-01-01 00:00:00" in printed
    assert "last minute: 2010-02-28 23:59:00" in printed
    assert "missing rows: 3,133 (3.69%)" in printed
    assert "load seconds: " in printed


def test_describe_counts_missing_rows(tmp_path: Path) -> None:
    full = tmp_path / "full.txt"
    full.write_bytes(TXT)
    info = data.describe_uci(full)
    assert info["rows"] == "4"
    assert info["missing rows"] == "1 (25.00%)"
    assert info["first minute"] == "2009-12-31 23:59:00"
    assert info["last minute"] == "2010-01-02 00:00:00"
    assert float(info["load seconds"]) >= 0
    assert pd.Timestamp(info["last minute"]) > pd.Timestamp(info["first minute"])
