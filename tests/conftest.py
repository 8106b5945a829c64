"""Shared fixtures: a real AWS emulator (moto server) on 127.0.0.1 for functional tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.core.clients import AwsClients, reset_clients
from services.core.settings import Settings

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test ever reaches a real AWS account: fake credentials, no inherited endpoints."""
    for name in list(os.environ):
        if name.startswith(("AWS_ENDPOINT_URL", "WATTCAST_", "AWS_PROFILE")):
            monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    yield
    reset_clients()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server for the session, on loopback; yields its endpoint URL."""
    from scripts.local.emulator import MotoEmulator

    emulator = MotoEmulator()
    yield emulator.start()
    emulator.stop()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    """Clients pointed at a freshly reset moto server through AWS_ENDPOINT_URL (as users do)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    reset_clients()
    yield AwsClients(Settings.from_env())


@pytest.fixture(scope="session")
def sample_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample LSTM and Prophet bundles (archives and unpacked folders), built once."""
    from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle
    from tests.bundle_fixtures import unpacked_copy

    root = tmp_path_factory.mktemp("bundles")
    lstm = sample_lstm_bundle(root / "lstm.tar.gz")
    prophet = sample_prophet_bundle(root / "prophet.tar.gz")
    return {
        "lstm.tar.gz": lstm,
        "prophet.tar.gz": prophet,
        "lstm": unpacked_copy(lstm, root / "unpacked" / "lstm"),
        "prophet": unpacked_copy(prophet, root / "unpacked" / "prophet"),
    }
