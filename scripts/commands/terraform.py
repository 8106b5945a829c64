"""`wattcast terraform check|docs|fmt`: static checks of terraform/ (python-hcl2), module docs, fmt."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("terraform", help="static checks of terraform/ (wiring, docs, fmt)")
    commands = parser.add_subparsers(dest="terraform_command", required=True, metavar="ACTION")
    commands.add_parser("check", help="every reference resolves, every module call matches").set_defaults(
        func=run_check
    )
    commands.add_parser("docs", help="rewrite the module READMEs' input and output tables").set_defaults(
        func=run_docs
    )
    commands.add_parser("fmt", help="terraform fmt -check (skipped without a terraform binary)").set_defaults(
        func=run_fmt
    )


def run_check(args: argparse.Namespace) -> int:
    from scripts.devtools.terraform import check_report

    summary, problems = check_report()
    print("\n".join([summary, *(f"  {problem}" for problem in problems)]))
    return 1 if problems else 0


def run_docs(args: argparse.Namespace) -> int:
    from scripts.devtools.terraform import write_module_docs

    write_module_docs()
    return 0


def run_fmt(args: argparse.Namespace) -> int:
    from scripts.devtools.terraform import run_fmt as check_format

    return check_format()
