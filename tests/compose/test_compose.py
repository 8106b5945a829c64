"""The docker-compose flow end to end (opt-in: `make test-compose`, or pytest -m compose).

Builds every compose image FROM the debootstrap base, starts the stack on the host's network (moto's
server in LocalStack's place: docker/compose.moto.yml, docker/compose.host.yml), seeds the sample
models, replays two households from the host, and checks what the containers stored: the hours, every
forecast, each equal to the embedded mode's on the same data, the scores, and the household API.

Skipped with the reason where no Docker daemon answers and none can be started (root + docker.io), or
where docker-compose is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.data.replay import ReplayOptions, replay
from scripts.devtools import containers
from scripts.devtools.compose import AWS_ENDPOINT, ComposeStack, compose_command, ensure_docker_daemon
from scripts.stores.forecasts import forecast_items
from scripts.stores.readings import hourly_rows
from services.core.clients import AwsClients, reset_clients
from services.core.settings import Settings
from tests.functional.test_pipeline_e2e import start_pipeline

HOUSEHOLDS = ("h000", "h001")
REPLAY = ReplayOptions(households=2, days=3, start="2010-01-04", readings_per_record=60, progress=False)
HOURS, FORECASTS, MONTHS = 72, 70 - 47 + 1, 2  # 3 days; forecasts from the 48th hour on; 1 per day closed
# When an item was stored or its event arrived, and its time to live: not what was forecast.
WHEN_STORED = {"stored_at", "event_arrival", "expires_at"}


def can_run_docker() -> bool:
    return containers.docker_engine() is not None or (
        shutil.which("dockerd") is not None and os.geteuid() == 0
    )


pytestmark = [
    pytest.mark.compose,
    pytest.mark.timeout(2400),
    pytest.mark.skipif(compose_command() is None, reason="docker-compose is not installed"),
    pytest.mark.skipif(not can_run_docker(), reason="no Docker daemon answers and dockerd cannot start"),
]


@pytest.fixture(scope="module")
def compose() -> Iterator[ComposeStack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WATTCAST_CONTAINER_ENGINE", "docker")
        daemon = ensure_docker_daemon()
        base = os.environ.get("WATTCAST_CONTAINERS_BASE", containers.BASE_TAG)
        if base == containers.BASE_TAG and not containers.image_exists(base):
            print(f"debootstrap base: {containers.make_base():.0f} s")
        stack = ComposeStack(base_image=base)
        stack.down()  # a stack left by an interrupted run
        print(f"compose build: {stack.build():.0f} s")
        print(f"compose up until init exited 0: {stack.up():.1f} s")
        try:
            yield stack
        finally:
            print(stack.logs(tail=30))
            stack.down()
            if daemon is not None:
                daemon.terminate()
                daemon.wait(timeout=30)


def stored(clients: AwsClients) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {
        household: {kind: forecast_items(clients, household, kind) for kind in ("lstm", "month")}
        for household in HOUSEHOLDS
    }


def counts(clients: AwsClients) -> dict[str, tuple[int, int, int]]:
    found = stored(clients)
    return {
        h: (len(hourly_rows(clients, h)), len(found[h]["lstm"]), len(found[h]["month"])) for h in HOUSEHOLDS
    }


def wait_for_forecasts(clients: AwsClients, timeout: float) -> float:
    started = time.monotonic()
    want = dict.fromkeys(HOUSEHOLDS, (HOURS, FORECASTS, MONTHS))
    while (seen := counts(clients)) != want:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"after {timeout:.0f} s: (hours, forecasts, months) {seen}, want {want}")
        time.sleep(2)
    return time.monotonic() - started


def without_when_stored(items: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        household: {
            kind: [{k: v for k, v in item.items() if k not in WHEN_STORED} for item in rows]
            for kind, rows in kinds.items()
        }
        for household, kinds in items.items()
    }


def seed_models(clients: AwsClients, sample_bundles: dict[str, Path]) -> None:
    settings = clients.settings
    for target, bundle in (
        (settings.lstm_target_model, "lstm.tar.gz"),
        (settings.prophet_default_model, "prophet.tar.gz"),
    ):
        clients.s3.upload_file(
            str(sample_bundles[bundle]), settings.data_bucket, settings.models_prefix + target
        )


def household_summary(compose: ComposeStack, household: str) -> dict[str, Any]:
    """GET the summary from the household API on 127.0.0.1:8090 with a token the portal container signs."""
    token = compose.run(
        "exec",
        "-T",
        "portal",
        "/opt/venv/bin/python",
        "-m",
        "scripts.cli",
        "portal",
        "token",
        "--household",
        household,
        capture=True,
    ).stdout.split()[-1]
    request = urllib.request.Request(
        f"http://127.0.0.1:8090/households/{household}/summary", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        summary: dict[str, Any] = json.load(response)
    return summary


def scored_hours(clients: AwsClients, household: str) -> int:
    page = clients.dynamodb.query(
        TableName=clients.settings.accuracy_table,
        KeyConditionExpression="household_id = :h AND begins_with(score_key, :k)",
        ExpressionAttributeValues={":h": {"S": household}, ":k": {"S": "hour#"}},
        Select="COUNT",
    )
    return int(page["Count"])


def test_compose_stores_the_forecasts_the_embedded_mode_stores(
    compose: ComposeStack,
    moto_server: str,
    sample_bundles: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert compose.running() >= {
        "localstack",
        "runner",
        "ingest",
        "preprocess",
        "forecaster",
        "accuracy",
        "portal",
    }
    for name, value in {
        "AWS_ENDPOINT_URL": AWS_ENDPOINT,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    clients = AwsClients(Settings.from_env())
    seed_models(clients, sample_bundles)
    replay(REPLAY, clients)
    seconds = wait_for_forecasts(clients, timeout=600)
    print(f"compose: replay -> {FORECASTS} forecasts per household stored in {seconds:.1f} s")
    in_compose = stored(clients)
    latest = in_compose["h000"]["lstm"][0]
    summary = household_summary(compose, "h000")
    assert summary["next_24_hours"]["origin"] == latest["origin"]
    assert [hour["kw"] for hour in summary["next_24_hours"]["hours"]] == latest["kw"]
    deadline = time.monotonic() + 120  # the accuracy container scores each forecasted hour
    while scored_hours(clients, "h000") == 0 and time.monotonic() < deadline:
        time.sleep(2)
    assert scored_hours(clients, "h000") > 0

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    embedded = start_pipeline(sample_bundles, tmp_path, monkeypatch)
    try:
        assert embedded.clients is not None
        replay(REPLAY, embedded.clients)
        embedded.run_until_idle(idle_seconds=1.0, timeout=300)
        in_embedded = stored(embedded.clients)
    finally:
        embedded.stop()
    assert without_when_stored(in_compose) == without_when_stored(in_embedded)
    assert sum(len(rows) for kinds in in_compose.values() for rows in kinds.values()) == 2 * (
        FORECASTS + MONTHS
    )
