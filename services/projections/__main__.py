"""`python -m services.projections [--as-of YYYY-MM-DD] [--households h000,h001]`: one night's month
projections against the stack the settings name (the batch route's job; its summary on stdout)."""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

from services.core.clients import AwsClients
from services.core.errors import WattcastError
from services.core.forecast_store import DynamoForecastStore
from services.core.settings import Settings
from services.projections.aws import DynamoFleet, S3Bundles
from services.projections.bundles import NightBundles
from services.projections.job import NightOutcome, NightPorts, Shard, ShardError, project_night


def night_ports(clients: AwsClients, settings: Settings) -> NightPorts:
    return NightPorts(
        DynamoFleet(clients, settings),
        NightBundles(S3Bundles(clients, settings), settings),
        DynamoForecastStore(clients, settings),
    )


def project_part(as_of: date, households: list[str] | None, shard: Shard) -> NightOutcome:
    """One process's part of the night, with its own clients (a spawned process shares nothing)."""
    settings = Settings.from_env()
    return project_night(as_of, night_ports(AwsClients(settings), settings), settings, households, shard)


def project_in_processes(
    as_of: date, households: list[str] | None, shard: Shard, processes: int
) -> NightOutcome:
    """The shard over `processes` processes (one per vCPU: a projection holds one core)."""
    if processes == 1:
        return project_part(as_of, households, shard)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(project_part, as_of, households, part) for part in shard.split(processes)]
        parts = [future.result() for future in futures]
    outcome = parts[0]
    for part in parts[1:]:
        outcome.merge(part)
    return outcome


RESOURCE_CONFIG = Path("/opt/ml/config/resourceconfig.json")  # SageMaker's description of the cluster


def parse_shard(text: str, resource_config: Path = RESOURCE_CONFIG) -> Shard:
    """`I/N`, or `auto`: this host's place among a SageMaker job's hosts (one shard per instance)."""
    if text == "auto":
        try:
            cluster = json.loads(resource_config.read_text())
            return Shard(sorted(cluster["hosts"]).index(cluster["current_host"]), len(cluster["hosts"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ShardError(
                f"--shard auto: cannot read this host's place from {resource_config}: {exc}"
            ) from exc
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()):
        raise ShardError(f"--shard {text!r}: give INDEX/COUNT (0/4) or auto")
    return Shard(int(index), int(count))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.projections")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="project from the days before this date (default: today, UTC)",
    )
    parser.add_argument("--households", help="comma-separated ids (default: every household)")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="processes (default: one per CPU)"
    )
    parser.add_argument(
        "--shard", default="0/1", help="INDEX/COUNT of the fleet, or auto (a SageMaker job's hosts)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    households = args.households.split(",") if args.households else None
    if args.processes < 1:
        parser.error("--processes must be >= 1")
    try:
        outcome = project_in_processes(args.as_of, households, parse_shard(args.shard), args.processes)
    except WattcastError as exc:
        print(f"projections: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(outcome.summary()))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
