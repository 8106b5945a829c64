import pytest

from scripts.local.stack_control import env_lines, localstack_endpoint


def test_localstack_endpoint_follows_localstack_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_HOST", raising=False)
    assert localstack_endpoint() == "http://localhost:4566"
    monkeypatch.setenv("LOCALSTACK_HOST", "ls.internal:4577")
    assert localstack_endpoint() == "http://ls.internal:4577"


def test_env_lines_point_at_the_emulator_with_its_credentials() -> None:
    state = {"endpoint": "http://127.0.0.1:5000", "region": "eu-west-1", "external": False}
    assert env_lines(state) == [
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000",
        "export AWS_DEFAULT_REGION=eu-west-1",
        "export AWS_ACCESS_KEY_ID=testing",
        "export AWS_SECRET_ACCESS_KEY=testing",
    ]
    assert env_lines(state | {"external": True}) == ["export AWS_ENDPOINT_URL=http://127.0.0.1:5000"]
