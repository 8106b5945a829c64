"""`wattcast evaluate`: backtest the served bundles against baselines; JSON and plots in a folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="backtest the LSTM and Prophet bundles as served, against baselines"
    )
    parser.add_argument("--data", type=Path, default=None, help="UCI file (default: the bundled slice)")
    parser.add_argument("--lstm", type=Path, default=Path("out/lstm/model.tar.gz"), help="LSTM bundle")
    parser.add_argument(
        "--prophet-dir",
        type=Path,
        default=Path("out/prophet"),
        help="folder of <household>/model.tar.gz (wattcast train prophet --out)",
    )
    parser.add_argument("--household", action="append", help="household id (default h000); repeatable")
    parser.add_argument("--train-end", default="2010-01-01", help="first test day (default 2010-01-01)")
    parser.add_argument("--out", type=Path, default=Path("out/evaluation"), help="output folder")
    parser.add_argument(
        "--bills",
        action="store_true",
        help="instead: the bill projection through the household API (the first household's Prophet bundle)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scripts.data.uci import default_data_path
    from scripts.evaluation.report import EvaluationOptions, evaluate, headline

    if args.bills:
        return run_bills(args)
    lstm = args.lstm if args.lstm.exists() else None
    prophet_dir = args.prophet_dir if args.prophet_dir.is_dir() else None
    if lstm is None and prophet_dir is None:
        print(f"nothing to evaluate: no {args.lstm} and no {args.prophet_dir}/ (run wattcast train first)")
        return 2
    report = evaluate(
        EvaluationOptions(
            data=args.data or default_data_path(),
            out=args.out,
            lstm=lstm,
            prophet_dir=prophet_dir,
            households=tuple(args.household or ("h000",)),
            train_end=args.train_end,
        )
    )
    print(json.dumps(headline(report), indent=2))
    print(f"report: {args.out / 'evaluation.json'}  plots: {args.out}/")
    return 0


def run_bills(args: argparse.Namespace) -> int:
    from scripts.data.uci import default_data_path, load_uci
    from scripts.evaluation.bills import BillOptions, evaluate_bills

    household = (args.household or ["h000"])[0]
    prophet = args.prophet_dir / household / "model.tar.gz"
    if not prophet.exists():
        print(f"no {prophet}: run wattcast train prophet first")
        return 2
    options = BillOptions(
        data=args.data or default_data_path(),
        prophet=prophet,
        out=args.out,
        household=household,
        train_end=args.train_end,
    )
    report = evaluate_bills(options, load_uci(options.data))
    print(json.dumps(report["scores"], indent=2))
    print(f"report: {args.out / 'bills.json'}")
    return 0
