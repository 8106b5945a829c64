"""`wattcast train lstm|prophet`: train on the UCI data or the hourly table (`--source store`),
evaluate out of sample, write bundles; `--push` publishes a new versioned challenger (not promoted:
`wattcast models promote`)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from services.core.errors import SettingsError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("train", help="train the LSTM or the per-household Prophet models")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    lstm = models.add_parser("lstm", help="one global LSTM (next hours)")
    _common(lstm, "out/lstm")
    lstm.add_argument("--lookback", type=int, default=168, help="hours the model reads (<= 336)")
    lstm.add_argument("--horizon", type=int, default=24, help="hours forecast (1..24)")
    lstm.add_argument("--units", type=int, default=64)
    lstm.add_argument("--epochs", type=int, default=40)
    lstm.add_argument("--max-minutes", type=float, default=8.0, help="stop training after this long")
    lstm.add_argument(
        "--validation-days", type=int, default=90, help="days before --train-end used to validate"
    )
    lstm.add_argument(
        "--household", action="append", help="with --source store: a stored household (default all)"
    )
    lstm.add_argument(
        "--push", action="store_true", help="publish the bundle as a new lstm/<version>.tar.gz (+ sidecar)"
    )
    lstm.set_defaults(func=run_lstm)
    prophet = models.add_parser("prophet", help="one Prophet model per household (rest of the month)")
    _common(prophet, "out/prophet")
    prophet.add_argument(
        "--household",
        action="append",
        help="household id (h000 = the UCI house; with --source store, a stored household); repeatable",
    )
    prophet.add_argument("--households", type=int, help="train h000 .. h<N-1> (simulated from the UCI house)")
    prophet.add_argument(
        "--workers", type=int, help="processes, or Spark's local[N] cores (default: the CPU count)"
    )
    _engine_arguments(prophet)
    prophet.add_argument(
        "--default", action="store_true", help="also write default/model.tar.gz (the fallback)"
    )
    prophet.add_argument(
        "--push",
        action="store_true",
        help="publish the default model as a new prophet/default/<version>.tar.gz (needs --default)",
    )
    prophet.set_defaults(func=run_prophet)


UCI_TRAIN_END = "2010-01-01"


def _engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("pool", "spark"),
        default="pool",
        help="pool: local processes (default); spark: groupBy(household).applyInPandas on Apache Spark",
    )
    parser.add_argument(
        "--parquet",
        help="the fleet's hourly Parquet (wattcast data export-parquet; s3a://... on a cluster); spark "
        "without it first exports the households asked for to <out>/fleet.parquet",
    )
    parser.add_argument(
        "--raw-archive",
        help="or the S3 raw archive ingest writes (a folder holding dt=YYYY-MM-DD/...; s3://bucket/raw/ on "
        "EMR Serverless): readings deduplicated and aggregated to the hours as ingest stores them",
    )
    parser.add_argument(
        "--spark-master",
        help="Spark master (default local[--workers]); submit: the one spark-submit gives (EMR Serverless)",
    )
    parser.add_argument("--spark-partitions", type=int, help="shuffle partitions (default 4 per core)")
    parser.add_argument(
        "--evaluation",
        choices=("full", "none"),
        default="full",
        help="full: every later month through the bundle's handler (default); none: fit and package "
        "only (fleet training: no month metrics in metrics.json or the bundle's metadata)",
    )
    parser.add_argument(
        "--models-prefix", help="write the bundles here instead of --out: a folder or s3://bucket/prefix"
    )


def _common(parser: argparse.ArgumentParser, out: str) -> None:
    parser.add_argument(
        "--source",
        choices=("uci", "store"),
        default="uci",
        help="uci: the UCI file (default); store: every household's hours in the hourly table",
    )
    parser.add_argument("--data", type=Path, default=None, help="UCI file (default: the bundled slice)")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default {out})")
    parser.add_argument(
        "--train-end",
        default=None,
        help=f"first day NOT trained on (default {UCI_TRAIN_END}; with --source store, the first day "
        "of the recent holdout)",
    )
    parser.add_argument("--seed", type=int, default=0)


def _data(args: argparse.Namespace) -> tuple[Any, str, Path]:
    """(the stored series or None for the UCI file, train_end, the UCI file)."""
    from scripts.data.uci import default_data_path

    if args.source == "uci":
        return None, args.train_end or UCI_TRAIN_END, args.data or default_data_path()
    if args.data is not None:
        raise SettingsError("--data is the UCI file; --source store reads the hourly table")
    from scripts.registry.retrain import store_source, store_training_data
    from services.core.clients import get_clients

    clients = get_clients()
    fleet, train_end = store_training_data(clients, args.household or (), args.train_end)
    print(f"{len(fleet)} households from {clients.settings.hourly_table}, trained before {train_end}")
    return fleet, train_end, store_source(clients)


def _push(slot: str, archive: Path) -> None:
    from scripts.registry.aws import publish_challenger
    from services.core.clients import get_clients
    from services.core.model_pointer import ModelSlot

    target = publish_challenger(get_clients(), ModelSlot(slot), archive)
    print(f"published {target} (promote it: wattcast models promote {slot} {target})")


def run_lstm(args: argparse.Namespace) -> int:
    from scripts.training.lstm import LstmOptions, train_lstm

    logging.getLogger("scripts.training.lstm").setLevel(logging.INFO)
    fleet, train_end, data = _data(args)
    options = LstmOptions(
        data=data,
        out=args.out,
        train_end=train_end,
        lookback=args.lookback,
        horizon=args.horizon,
        units=args.units,
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        seed=args.seed,
        validation_days=args.validation_days,
    )
    metrics = train_lstm(options, fleet)
    print(json.dumps({k: v for k, v in metrics.items() if not k.endswith("by_lead_kw")}, indent=2))
    print(f"bundle: {args.out / 'model.tar.gz'}  metrics: {args.out / 'metrics.json'}")
    if args.push:
        _push("lstm", args.out / "model.tar.gz")
    return 0


def run_prophet(args: argparse.Namespace) -> int:
    import os

    from scripts.training.prophet import ProphetOptions, default_from_fleet, train_default, trainable

    if args.push and not args.default:
        raise SettingsError("--push publishes the default model: add --default")
    _check_inputs(args)
    fleet, train_end, data = _inputs(args)
    options = ProphetOptions(
        data=data or _uci_file(),
        out=args.out,
        households=_households(args),
        train_end=train_end,
        seed=args.seed,
        workers=args.workers or os.cpu_count() or 1,
        evaluate=args.evaluation == "full",
        models_prefix=args.models_prefix,
    )
    stored = trainable(fleet, train_end) if fleet is not None else None
    summary = _run_engine(args, options, stored)
    print(json.dumps({k: v for k, v in summary.items() if k != "per_household"}, indent=2))
    print(_throughput_line(summary))
    if args.default:
        default = train_default(options) if stored is None else default_from_fleet(options, stored)
        print(f"default model: {default}")
        if args.push:
            _push("prophet-default", default)
    print(f"bundles: {options.prefix}/<household>/model.tar.gz  metrics: {options.prefix}/metrics.json")
    return 0


def _check_inputs(args: argparse.Namespace) -> None:
    if args.parquet and args.raw_archive:
        raise SettingsError("give one input: --parquet or --raw-archive")
    if _file_input(args) and args.source == "store":
        raise SettingsError(
            f"{'--parquet' if args.parquet else '--raw-archive'} is the input: drop --source store"
        )


def _file_input(args: argparse.Namespace) -> str | None:
    """--parquet or --raw-archive: the fleet the engine reads itself."""
    chosen: str | None = args.parquet or args.raw_archive
    return chosen


def _inputs(args: argparse.Namespace) -> tuple[Any, str, Path | None]:
    """_data's (stored fleet, train_end, UCI file), or with --parquet or --raw-archive no fleet: the
    engine reads it."""
    if _file_input(args):
        return None, args.train_end or UCI_TRAIN_END, args.data
    return _data(args)


def _uci_file() -> Path:
    from scripts.data.uci import default_data_path

    return default_data_path()


def _households(args: argparse.Namespace) -> tuple[str, ...]:
    """--household ids, else h000 .. h<N-1> of --households; with --parquet and neither, every household
    in the file (empty)."""
    from scripts.data.simulate import household_ids

    if args.household:
        return tuple(args.household)
    if args.households:
        return tuple(household_ids(args.households))
    return () if _file_input(args) else ("h000",)


def _run_engine(args: argparse.Namespace, options: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    from scripts.data.parquet_fleet import read_fleet
    from scripts.training.prophet import train_prophet

    if args.engine == "pool":
        if args.parquet:
            stored = read_fleet(Path(args.parquet), options.households)
        elif args.raw_archive:
            stored = _archive_fleet(args.raw_archive, options.households)
        return train_prophet(options, fleet=stored)
    from scripts.training.engines.spark import SparkOptions, local_master, train_prophet_spark

    parquet = None if args.raw_archive else args.parquet or str(_export_for_spark(options, stored))
    spark = SparkOptions(
        parquet=parquet,
        master=args.spark_master or local_master(options.workers),
        partitions=args.spark_partitions,
        raw_archive=args.raw_archive,
    )
    households = tuple(sorted(stored)) if stored is not None else options.households
    return train_prophet_spark(options, spark, households)


def _archive_fleet(root: str, households: tuple[str, ...]) -> dict[str, Any]:
    """The pool's input from a local copy of the raw archive (Spark reads s3:// itself)."""
    from scripts.data.raw_archive import archive_fleet

    if "://" in root:
        raise SettingsError("the pool reads a local copy of the raw archive (aws s3 sync); Spark reads s3://")
    return dict(archive_fleet(Path(root), households))


def _export_for_spark(options: Any, stored: dict[str, Any] | None) -> Path:
    """The households asked for (stored, or simulated from the UCI file) as <out>/fleet.parquet."""
    import time

    from scripts.data.parquet_fleet import simulated_fleet, write_fleet

    path = Path(options.out) / "fleet.parquet"
    started = time.monotonic()
    if stored is not None:
        rows = write_fleet(stored.items(), path)
    else:
        rows = write_fleet(
            simulated_fleet(options.data, options.households, options.seed, options.workers), path
        )
    print(f"exported {rows:,} household-hours to {path} in {time.monotonic() - started:.1f} s")
    return path


def _throughput_line(summary: dict[str, Any]) -> str:
    """The benchmark's line: households per minute of training (Spark's start-up apart)."""
    startup = summary.get("spark_startup_seconds")
    extra = f", Spark start-up {startup} s apart" if startup is not None else ""
    per_core = summary.get("households_per_core_minute")
    each = summary.get("cpu_seconds_per_household")
    cpu = f"; {each} CPU s each = {per_core} households/minute per core" if per_core else ""
    return (
        f"prophet {summary['engine']}: {summary['households']} households in "
        f"{summary['minutes'] * 60:.1f} s on {summary['workers']} workers: "
        f"{summary['households_per_minute']} households/minute{extra}{cpu}"
    )
