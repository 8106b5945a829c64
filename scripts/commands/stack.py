"""`wattcast stack up|down|status|env`: the embedded AWS stack (scripts/local)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("stack", help="the embedded AWS stack (moto) with the local mappings")
    commands = parser.add_subparsers(dest="stack_command", required=True, metavar="ACTION")
    start = commands.add_parser("up", help="start the emulator, create the resources, run the mappings")
    start.add_argument("--foreground", action="store_true", help="run in this process until Ctrl-C")
    start.add_argument("--port", type=int, default=0, help="emulator port (default: a free one)")
    start.add_argument("--wait", type=float, default=60.0, help="seconds to wait for readiness")
    start.add_argument(
        "--localstack",
        action="store_true",
        help="use a running LocalStack (endpoint from LOCALSTACK_HOST, as localstack-client resolves it)",
    )
    start.set_defaults(func=up)
    commands.add_parser("down", help="stop the stack").set_defaults(func=down)
    show = commands.add_parser("status", help="resources and each mapping's iterator age and last error")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=status)
    commands.add_parser(
        "env",
        help="print the variables that point boto3 (and AWS CLI v2) at the stack; AWS CLI v1 ignores "
        "AWS_ENDPOINT_URL: give it --endpoint-url",
    ).set_defaults(func=env)


def up(args: argparse.Namespace) -> int:
    from scripts.local import stack_control
    from services.core.settings import Settings

    if args.localstack:
        stack_control.use_localstack()
    settings = Settings.from_env()
    state = stack_control.read_state(settings)
    if state:
        print(f"stack already running (pid {state['pid']}) on {state['endpoint']}")
        print("\n".join(stack_control.env_lines(state)))
        return 0
    stack_control.check_external_endpoint()
    if args.foreground:
        stack_control.serve_foreground(settings, port=args.port)
        return 0
    log = stack_control.start_in_background(
        settings, port=args.port, localstack=args.localstack, wait_seconds=args.wait
    )
    state = stack_control.read_state(settings) or {}
    print(f"stack up (pid {state.get('pid')}) on {state.get('endpoint')}; logs in {log}")
    print('Use it from this shell with:\n  eval "$(wattcast stack env)"')
    return 0


def down(args: argparse.Namespace) -> int:
    from scripts.local import stack_control
    from services.core.settings import Settings

    pid = stack_control.stop(Settings.from_env())
    print("no stack is running" if pid is None else f"stack (pid {pid}) stopped")
    return 0


def status(args: argparse.Namespace) -> int:
    from scripts.local import stack_control
    from services.core.settings import Settings

    settings = Settings.from_env()
    state = stack_control.read_state(settings)
    if not state:
        print("no stack is running (start one with `wattcast stack up`)")
        return 1
    report = stack_control.status_report(settings, state)
    print(json.dumps(report, indent=2, default=str) if args.json else stack_control.format_status(report))
    return 0


def env(args: argparse.Namespace) -> int:
    from scripts.local import stack_control
    from services.core.settings import Settings

    state = stack_control.read_state(Settings.from_env())
    if not state:
        print("# no stack is running", file=sys.stderr)
        return 1
    print("# boto3, wattcast and AWS CLI v2 read these. AWS CLI v1 ignores AWS_ENDPOINT_URL (for SQS it")
    print('# goes to the public endpoint): aws --endpoint-url "$AWS_ENDPOINT_URL" sqs ...')
    print("\n".join(stack_control.env_lines(state)))
    return 0
