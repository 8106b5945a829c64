"""`wattcast train lstm|prophet`: train on the UCI data, evaluate out of sample, write bundles."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any


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
    lstm.set_defaults(func=run_lstm)
    prophet = models.add_parser("prophet", help="one Prophet model per household (rest of the month)")
    _common(prophet, "out/prophet")
    prophet.add_argument(
        "--household", action="append", help="household id (h000 = the UCI house); repeatable"
    )
    prophet.add_argument("--households", type=int, help="train h000 .. h<N-1> (simulated from the UCI house)")
    prophet.add_argument("--workers", type=int, help="processes (default: the CPU count)")
    prophet.add_argument(
        "--default", action="store_true", help="also write default/model.tar.gz (the fallback)"
    )
    prophet.set_defaults(func=run_prophet)


def _common(parser: argparse.ArgumentParser, out: str) -> None:
    parser.add_argument("--data", type=Path, default=None, help="UCI file (default: the bundled slice)")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default {out})")
    parser.add_argument(
        "--train-end", default="2010-01-01", help="first day NOT trained on (default 2010-01-01)"
    )
    parser.add_argument("--seed", type=int, default=0)


def run_lstm(args: argparse.Namespace) -> int:
    from scripts.data.uci import default_data_path
    from scripts.training.lstm import LstmOptions, train_lstm

    logging.getLogger("scripts.training.lstm").setLevel(logging.INFO)
    options = LstmOptions(
        data=args.data or default_data_path(),
        out=args.out,
        train_end=args.train_end,
        lookback=args.lookback,
        horizon=args.horizon,
        units=args.units,
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        seed=args.seed,
        validation_days=args.validation_days,
    )
    metrics = train_lstm(options)
    print(json.dumps({k: v for k, v in metrics.items() if not k.endswith("by_lead_kw")}, indent=2))
    print(f"bundle: {args.out / 'model.tar.gz'}  metrics: {args.out / 'metrics.json'}")
    return 0


def run_prophet(args: argparse.Namespace) -> int:
    import os

    from scripts.data.simulate import household_ids
    from scripts.data.uci import default_data_path
    from scripts.training.prophet import ProphetOptions, train_prophet

    households = tuple(args.household or household_ids(args.households or 1))
    options = ProphetOptions(
        data=args.data or default_data_path(),
        out=args.out,
        households=households,
        train_end=args.train_end,
        seed=args.seed,
        workers=args.workers or os.cpu_count() or 1,
    )
    summary = train_prophet(options)
    print(json.dumps({k: v for k, v in summary.items() if k != "per_household"}, indent=2))
    if args.default:
        from scripts.training.prophet import train_default

        print(f"default model: {train_default(options)}")
    print(f"bundles: {args.out}/<household>/model.tar.gz  metrics: {args.out / 'metrics.json'}")
    return 0
