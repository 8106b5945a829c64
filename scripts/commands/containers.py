"""`wattcast containers base|build|smoke|compose`: build the images with podman (or Docker), smoke-run
them, and run the docker-compose stack on the host's network."""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

IMAGE_NAMES = (
    "ingest",
    "preprocess",
    "portal",
    "accuracy",
    "trainer",
    "forecaster",
    "runner",
    "forecaster-slim",
    "forecaster-local",
)
NAMES_HELP = f"any of {', '.join(IMAGE_NAMES)} (default: all)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("containers", help="build and smoke-run the images (podman or Docker)")
    commands = parser.add_subparsers(dest="containers_command", required=True, metavar="ACTION")
    base = commands.add_parser("base", help="debootstrap bookworm + python3 and import it as a base image")
    base.add_argument("--suite", default="bookworm", help="Debian release (bookworm: Python 3.11.2)")
    base.add_argument("--tag", help="default localhost/wattcast-base:SUITE")
    base.add_argument("--mirror", default="http://deb.debian.org/debian")
    base.set_defaults(func=run_base)
    build = commands.add_parser("build", help="build the images (report seconds and sizes)")
    build.add_argument(
        "images", nargs="*", choices=[*IMAGE_NAMES, []], metavar="IMAGE", help=str(IMAGE_NAMES)
    )
    build.add_argument("--base", help="BASE_IMAGE build argument (default: the debootstrapped base)")
    build.add_argument("--no-cache", action="store_true")
    build.set_defaults(func=run_build)
    smoke = commands.add_parser("smoke", help="run each built image once and check its answers")
    smoke.add_argument(
        "images", nargs="*", choices=[*IMAGE_NAMES, []], metavar="IMAGE", help=str(IMAGE_NAMES)
    )
    smoke.set_defaults(func=run_smoke)
    compose = commands.add_parser(
        "compose",
        help="the compose stack on Docker, where nothing can be pulled: moto, the host's network",
    )
    compose.add_argument("action", choices=["up", "down", "logs"])
    compose.add_argument("--base", help="BASE_IMAGE build argument (default: the debootstrapped base)")
    compose.add_argument("--no-build", action="store_true", help="up: use the images already built")
    compose.set_defaults(func=run_compose)


def run_base(args: argparse.Namespace) -> int:
    from scripts.devtools import containers

    tag = args.tag or f"localhost/wattcast-base:{args.suite}"
    seconds = _engine_call(lambda: containers.make_base(tag, args.mirror, args.suite))
    print(f"base image {tag}: {seconds:.0f} s, {containers.image_size_mb(tag):,.0f} MB")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from scripts.devtools import containers

    base = args.base or containers.BASE_TAG
    if base == containers.BASE_TAG and not containers.image_exists(base):
        print(f"{base} is missing: making it first (wattcast containers base)")
        _engine_call(containers.make_base)
    built = _engine_call(
        lambda: containers.build(containers.selected(args.images), base, no_cache=args.no_cache)
    )
    print(f"\n{'image':<36} {'build s':>8} {'size MB':>9}")
    for item in built:
        print(f"{item.image.tag:<36} {item.seconds:>8.0f} {item.size_mb:>9,.0f}")
    return 0


def run_smoke(args: argparse.Namespace) -> int:
    from scripts.devtools import containers, smoke

    checks = _engine_call(lambda: smoke.run_smoke(containers.selected(args.images)))
    print(f"\n{sum(c.ok for c in checks)} of {len(checks)} checks passed")
    return 0 if checks and all(check.ok for check in checks) else 1


def run_compose(args: argparse.Namespace) -> int:
    import os

    from scripts.devtools import containers
    from scripts.devtools.compose import AWS_ENDPOINT, ComposeStack, ensure_docker_daemon

    os.environ["WATTCAST_CONTAINER_ENGINE"] = "docker"  # compose runs on Docker's daemon
    base = args.base or containers.BASE_TAG
    stack = ComposeStack(base_image=base)
    if args.action == "down":
        stack.down()
        return 0
    if args.action == "logs":
        print(stack.logs())
        return 0
    if ensure_docker_daemon() is not None:
        print("started dockerd (no bridge, no iptables): containers use the host's network only")
    if base == containers.BASE_TAG and not containers.image_exists(base):
        print(f"{base} is missing: making it first ({_engine_call(containers.make_base):.0f} s)")
    if not args.no_build:
        print(f"built the compose images in {stack.build():.0f} s")
    print(
        f"up: init created the resources in {stack.up():.1f} s; running: {' '.join(sorted(stack.running()))}"
    )
    print(f"AWS on {AWS_ENDPOINT}, the forecaster on 127.0.0.1:8080, the household API on 127.0.0.1:8090")
    return 0


def _engine_call(call: Any) -> Any:
    from scripts.devtools.containers import ContainersError

    try:
        return call()
    except subprocess.CalledProcessError as exc:
        raise ContainersError(
            f"{' '.join(map(str, exc.cmd))} failed with exit code {exc.returncode}"
        ) from exc
