"""The command line as users type it: `wattcast stack up/status/down`, `replay` and `demo`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.core.bundle_format import metadata_sidecar

pytestmark = pytest.mark.functional


def wattcast(
    *args: str, env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "WATTCAST_"))}
    repo = str(Path(__file__).resolve().parents[2])
    return env | {"WATTCAST_STACK_DIR": str(tmp_path / "stack"), "PYTHONPATH": repo, "NO_COLOR": "1"}


def test_stack_up_replay_status_down(tmp_path: Path, cli_env: dict[str, str]) -> None:
    up = wattcast("stack", "up", env=cli_env, cwd=tmp_path)
    try:
        assert "stack up" in up.stdout
        lines = wattcast("stack", "env", env=cli_env, cwd=tmp_path).stdout.splitlines()
        exports = [line for line in lines if not line.startswith("#")]
        stack_env = dict(line.removeprefix("export ").split("=", 1) for line in exports)
        assert stack_env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert stack_env["WATTCAST_PORTAL_URL"].startswith("http://127.0.0.1:")
        assert stack_env["WATTCAST_ALERTS_TOPIC_ARN"].startswith("arn:aws:sns:")
        env = cli_env | stack_env
        sent = json.loads(
            wattcast("replay", "--households", "2", "--days", "0.25", "--json", env=env, cwd=tmp_path).stdout
        )
        assert sent["records"] == 2 * 360 and sent["failed"] == 0
        delivered = 0
        for _ in range(50):
            status = json.loads(wattcast("stack", "status", "--json", env=env, cwd=tmp_path).stdout)
            shards = status["mappings"][0]["shards"].values() if status["mappings"] else []
            delivered = sum(shard["records_delivered"] for shard in shards)
            if delivered == 720:
                break
            time.sleep(0.3)
        assert delivered == 720 and status["emulator_reachable"] is True
        shown = wattcast("stack", "status", env=env, cwd=tmp_path).stdout
        assert "iterator age" in shown and f"household API on {stack_env['WATTCAST_PORTAL_URL']}" in shown
    finally:
        down = wattcast("stack", "down", env=cli_env, cwd=tmp_path)
    assert "stopped" in down.stdout
    assert wattcast("stack", "status", env=cli_env, cwd=tmp_path, check=False).returncode == 1


def test_the_demo_runs_the_whole_pipeline(
    tmp_path: Path, cli_env: dict[str, str], sample_bundles: dict[str, Path]
) -> None:
    cache = tmp_path / "models"
    for target, bundle in (
        ("lstm/default.tar.gz", "lstm.tar.gz"),
        ("prophet/default.tar.gz", "prophet.tar.gz"),
    ):
        (cache / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample_bundles[bundle], cache / target)
    try:
        result = wattcast(
            "demo",
            "--households",
            "2",
            "--days",
            "3",
            "--models",
            str(cache),
            "--out",
            str(tmp_path / "plots"),
            env=cli_env,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        lines = [line.split() for line in result.stdout.splitlines() if line.startswith("h00")]
        assert [(row[0], row[1], row[6]) for row in lines] == [
            ("h000", "4,320", "24"),
            ("h001", "4,320", "24"),
        ]
        assert "every good reading stored once" in result.stdout
        assert (tmp_path / "plots" / "forecast_vs_actual.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "plots" / "prophet_month.png").read_bytes()[:4] == b"\x89PNG"
        _the_printed_curl_line_works(result.stdout, cli_env, tmp_path)
    finally:
        wattcast("stack", "down", env=cli_env, cwd=tmp_path, check=False)


def _the_printed_curl_line_works(stdout: str, env: dict[str, str], cwd: Path) -> None:
    """The demo leaves the stack running and ends with a curl line: run it as a shell would."""
    [line] = [line.strip() for line in stdout.splitlines() if line.strip().startswith("curl ")]
    match = re.fullmatch(
        r'curl -s -H "Authorization: Bearer \$\((.+) portal token --household (\S+)\)" (\S+)', line
    )
    assert match is not None, line
    command, household, url = match.groups()
    issued = subprocess.run(
        [*shlex.split(command), "portal", "token", "--household", household],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    token = issued.stdout.strip()
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        summary = json.loads(response.read())
    assert summary["household_id"] == household and summary["last_hour"]["kw"] is not None
    assert len(summary["next_24_hours"]["hours"]) == 24 and summary["month"]["projected_kwh"] is not None


def test_bad_arguments_are_a_clear_error(tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = wattcast("replay", "--bad-share", "1.5", env=cli_env, cwd=tmp_path, check=False)
    assert result.returncode == 2 and "--bad-share" in result.stderr
    assert "Traceback" not in result.stderr


def test_stack_up_with_a_dead_endpoint_says_what_to_unset(tmp_path: Path, cli_env: dict[str, str]) -> None:
    dead = cli_env | {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}  # a stopped stack's address
    started = time.monotonic()
    result = wattcast("stack", "up", env=dead, cwd=tmp_path, check=False)
    assert result.returncode == 2 and time.monotonic() - started < 20
    assert "does not answer" in result.stderr and "unset AWS_ENDPOINT_URL" in result.stderr


def test_models_push_uploads_the_cached_bundles_where_the_endpoint_fetches_them(
    aws, sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    from scripts.cli import main
    from scripts.local.bootstrap import bootstrap

    bootstrap(aws, readings_shards=1)
    settings = aws.settings
    for target, bundle in (
        (settings.lstm_target_model, "lstm.tar.gz"),
        (settings.prophet_default_model, "prophet.tar.gz"),
    ):
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample_bundles[bundle], tmp_path / target)
    assert main(["models", "push", "--cache", str(tmp_path)]) == 0
    listed = aws.s3.list_objects_v2(Bucket=settings.data_bucket, Prefix=settings.models_prefix)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        settings.models_prefix + key
        for t in (settings.lstm_target_model, settings.prophet_default_model)
        for key in (t, metadata_sidecar(t))  # each bundle's metadata beside it
    )
    for parameter, target in (
        ("lstm", settings.lstm_target_model),
        ("prophet-default", settings.prophet_default_model),
    ):
        value = aws.client("ssm").get_parameter(Name=f"/wattcast/models/{parameter}")["Parameter"]["Value"]
        assert json.loads(value)["champion"] == target  # the pointers name the defaults
    assert main(["models", "push", "--cache", str(tmp_path / "empty")]) == 0  # already in S3: no training
