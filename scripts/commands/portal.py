"""`wattcast portal serve|token`: the household API on this machine, and tokens for it."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands import given


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("portal", help="the household API: serve it locally, issue local tokens")
    commands = parser.add_subparsers(dest="portal_command", required=True, metavar="ACTION")
    serve = commands.add_parser("serve", help="the local HTTP API (JWT authorizer + the API's Lambda)")
    serve.add_argument("--host", default=argparse.SUPPRESS, help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=argparse.SUPPRESS, help="port (default WATTCAST_PORTAL_PORT)"
    )
    serve.add_argument("--workers", type=int, default=argparse.SUPPRESS, help="gunicorn workers")
    serve.add_argument(
        "--runtime-api",
        metavar="HOST:PORT",
        default=argparse.SUPPRESS,
        help="serve the portal image polling a Lambda Runtime API on HOST:PORT (docker-compose)",
    )
    serve.add_argument("--handler", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # the benchmark's
    serve.set_defaults(func=run_serve)
    token = commands.add_parser("token", help="print a token for the local API, signed by the stack's key")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--household", help="the household id the token reaches")
    who.add_argument("--operator", action="store_true", help="an operator's token: every household")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    token.set_defaults(func=run_token)


def run_serve(args: argparse.Namespace) -> int:
    from scripts.local.gateway.server import GatewayOptions, serve
    from services.core.settings import Settings

    settings = Settings.from_env()
    options: dict[str, Any] = {"port": settings.portal_port, "workers": settings.portal_workers}
    options |= given(args, ("host", "port", "workers", "handler"))
    if hasattr(args, "runtime_api"):
        host, _, port = args.runtime_api.rpartition(":")
        if not host or not port.isdigit():
            raise SystemExit(f"--runtime-api must be HOST:PORT, got {args.runtime_api!r}")
        options["runtime_api"] = (host, int(port))
    return serve(settings, GatewayOptions(**options))


def run_token(args: argparse.Namespace) -> int:
    from scripts.local.gateway.tokens import TokenRequest, issue
    from services.core.reading import HOUSEHOLD_ID_PATTERN
    from services.core.settings import Settings

    if args.household is not None and not HOUSEHOLD_ID_PATTERN.fullmatch(args.household):
        raise SystemExit("--household must be 1-64 of letters, digits, '_', '.' and '-'")
    if not 60 <= args.ttl <= 86_400 * 30:
        raise SystemExit("--ttl must be 60 s to 30 days")
    request = TokenRequest(household_id=args.household, operator=args.operator, ttl_seconds=args.ttl)
    print(issue(Settings.from_env(), request))
    return 0
