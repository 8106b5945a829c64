"""`wattcast data fetch|slice|info|export-parquet`: get the UCI data set, cut slices of it, describe a
copy, export a fleet's hourly series as Parquet (the Prophet training engines' input)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts.data.source import DOWNLOAD_TIMEOUT_SECONDS, UCI_TXT_SHA256, UCI_ZIP_URL


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("data", help="get, slice and describe the UCI household power data")
    actions = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    _register_fetch(actions)
    _register_slice(actions)
    _register_info(actions)
    _register_export_parquet(actions)


def _register_fetch(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("fetch", help="download the original UCI zip and verify it")
    parser.add_argument(
        "--out", type=Path, default=Path("data"), help="directory for the zip (default: data/)"
    )
    parser.add_argument("--url", default=UCI_ZIP_URL, help="where to download the zip from")
    parser.add_argument(
        "--expected-sha256",
        default=UCI_TXT_SHA256,
        help="sha256 the txt inside the zip must have (default: the published UCI file's)",
    )
    parser.add_argument("--timeout", type=float, default=DOWNLOAD_TIMEOUT_SECONDS, help="network timeout, s")
    parser.set_defaults(func=_run_fetch)


def _register_slice(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("slice", help="copy the lines of a time range into a new UCI file")
    parser.add_argument("--data", type=Path, required=True, help="the full UCI file (.txt, .zip or .gz)")
    parser.add_argument("--start", required=True, help="first minute kept, e.g. 2010-01-01 (inclusive)")
    parser.add_argument("--end", required=True, help="first minute not kept, e.g. 2010-03-01 (exclusive)")
    parser.add_argument("--out", type=Path, required=True, help="output file; .gz is gzipped like gzip -9 -n")
    parser.set_defaults(func=_run_slice)


def _register_info(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("info", help="rows, first/last minute and missing rows of a UCI file")
    parser.add_argument("--data", type=Path, required=True, help="a UCI file (.txt, .zip or .gz)")
    parser.set_defaults(func=_run_info)


def _register_export_parquet(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "export-parquet", help="a fleet's hourly series as Parquet (input of wattcast train prophet)"
    )
    parser.add_argument(
        "--source",
        choices=("uci", "store", "raw-archive"),
        default="uci",
        help="uci: the UCI house and households simulated from it (default); store: the hourly table; "
        "raw-archive: a local copy of the S3 raw archive (--raw-archive)",
    )
    parser.add_argument(
        "--raw-archive", type=Path, help="with --source raw-archive: the folder holding dt=YYYY-MM-DD/..."
    )
    parser.add_argument("--data", type=Path, default=None, help="UCI file (default: the bundled slice)")
    parser.add_argument("--households", type=int, help="with --source uci: h000 .. h<N-1> (default 1)")
    parser.add_argument("--household", action="append", help="a household id; repeatable")
    parser.add_argument("--seed", type=int, default=0, help="the simulation's seed")
    parser.add_argument("--workers", type=int, help="simulating processes (default: the CPU count)")
    parser.add_argument(
        "--out", type=Path, default=Path("out/fleet.parquet"), help="Parquet file (default out/fleet.parquet)"
    )
    parser.set_defaults(func=_run_export_parquet)


def _run_fetch(args: argparse.Namespace) -> int:
    from scripts.data.uci import UCI_TXT_NAME
    from scripts.data.uci_files import fetch_uci_zip

    path = fetch_uci_zip(args.out, url=args.url, expected_sha256=args.expected_sha256, timeout=args.timeout)
    print(f"saved {path} ({path.stat().st_size:,} bytes), {UCI_TXT_NAME} sha256 verified")
    return 0


def _run_slice(args: argparse.Namespace) -> int:
    from scripts.data.uci_files import slice_uci

    rows = slice_uci(args.data, args.out, start=args.start, end=args.end)
    print(f"wrote {rows:,} rows to {args.out}")
    return 0


def _run_info(args: argparse.Namespace) -> int:
    from scripts.data.uci_files import describe_uci

    for name, value in describe_uci(args.data).items():
        print(f"{name}: {value}")
    return 0


def _run_export_parquet(args: argparse.Namespace) -> int:
    import os
    import time

    from scripts.data.parquet_fleet import simulated_fleet, write_fleet

    started = time.monotonic()
    if args.source == "store":
        from scripts.data.hourly_store import store_series
        from services.core.clients import get_clients

        fleet = store_series(get_clients(), args.household or None)
        rows = write_fleet(sorted(fleet.items()), args.out)
        count = len(fleet)
    elif args.source == "raw-archive":
        rows, count = _export_raw_archive(args)
    else:
        from scripts.data.simulate import household_ids
        from scripts.data.uci import default_data_path

        households = args.household or household_ids(args.households or 1)
        workers = min(args.workers or os.cpu_count() or 1, len(households))
        simulated = simulated_fleet(args.data or default_data_path(), households, args.seed, workers)
        rows = write_fleet(simulated, args.out)
        count = len(households)
    seconds = time.monotonic() - started
    print(f"wrote {rows:,} household-hours of {count} households to {args.out} in {seconds:.1f} s")
    return 0


def _export_raw_archive(args: argparse.Namespace) -> tuple[int, int]:
    """(rows, households) of the raw archive's hours (ingest's aggregation) written to --out."""
    from scripts.data.parquet_fleet import write_fleet
    from scripts.data.raw_archive import archive_fleet
    from services.core.errors import SettingsError

    if args.raw_archive is None:
        raise SettingsError(
            "--source raw-archive reads --raw-archive FOLDER (aws s3 sync s3://<bucket>/raw/ FOLDER)"
        )
    fleet = dict(archive_fleet(args.raw_archive, args.household or ()))
    return write_fleet(fleet.items(), args.out), len(fleet)
