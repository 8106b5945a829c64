"""Build every image and smoke-run it (opt-in: `make test-containers`, or pytest -m containers).

Skipped when no container engine is available. The base image is $WATTCAST_CONTAINERS_BASE, else the
local debootstrap base (made on first use; needs root and debootstrap), as `scripts.devtools.containers` does.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from scripts.devtools import containers, smoke

pytestmark = [
    pytest.mark.containers,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(containers.engine() is None, reason="no container engine (podman or Docker)"),
]


@pytest.fixture(scope="module")
def built() -> dict[str, containers.Built]:
    base = os.environ.get("WATTCAST_CONTAINERS_BASE", containers.BASE_TAG)
    if base == containers.BASE_TAG and not containers.image_exists(base):
        if os.geteuid() != 0:
            pytest.skip("the debootstrap base needs root; set WATTCAST_CONTAINERS_BASE to a pullable image")
        containers.make_base()
    return {item.image.name: item for item in containers.build(containers.selected(None), base)}


def inspect(tag: str) -> dict[str, Any]:
    output = containers.run_engine("image", "inspect", tag, capture=True).stdout
    config: dict[str, Any] = json.loads(output)[0]["Config"]
    return config


def test_every_image_builds_and_runs_as_a_non_root_user(built) -> None:
    assert set(built) == {image.name for image in containers.IMAGES if image.needs.exists()}
    for item in built.values():
        assert inspect(item.image.tag)["User"] == "10001"
    assert built["ingest"].size_mb < 400


def test_the_lambda_images_run_awslambdaric_with_their_handler(built) -> None:
    for name in ("ingest", "preprocess"):
        if name in built:
            config = inspect(built[name].image.tag)
            assert config["Entrypoint"] == ["/opt/venv/bin/python", "-m", "awslambdaric"]
            assert config["Cmd"] == [f"services.{name}.handler.lambda_handler"]


def test_the_portal_image_runs_the_api_handler_and_the_alerts_handler_by_cmd(built) -> None:
    if "portal" in built:
        config = inspect(built["portal"].image.tag)
        assert config["Entrypoint"] == ["/opt/venv/bin/python", "-m", "awslambdaric"]
        assert config["Cmd"] == ["services.portal.handler.api_handler"]


def test_the_forecaster_image_follows_the_sagemaker_contract(built) -> None:
    config = inspect(built["forecaster"].image.tag)
    assert config["Labels"]["com.amazonaws.sagemaker.capabilities.multi-models"] == "true"
    assert config["Labels"]["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"] == "true"
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "-m", "services.forecaster"]
    assert config["Cmd"] == ["serve"]
    assert "8080/tcp" in config["ExposedPorts"]


def test_smoke_runs_pass(built) -> None:
    checks = smoke.run_smoke([item.image for item in built.values()])
    failed = [f"{check.name}: {check.detail}" for check in checks if not check.ok]
    assert not failed
    names = {check.name for check in checks}
    assert {"forecaster /ping", "forecaster /invocations", "forecaster SIGTERM"} <= names
    assert {"ingest partial-batch response", "ingest writes"} <= names
    if "portal" in built:
        assert {
            "portal hours",
            "portal 404 for a household with nothing stored",
            "portal serves the household's page",
            "statements function wrote h1's January",
        } <= names


SERVICE_TREES = {
    "ingest": ("/var/task", {"__init__.py", "core", "ingest"}),
    "preprocess": ("/var/task", {"__init__.py", "core", "preprocess"}),
    "portal": ("/var/task", {"__init__.py", "core", "portal"}),
    "forecaster": ("/opt/program", {"__init__.py", "core", "forecaster"}),
}


def test_each_service_image_carries_core_and_its_own_package_only(built) -> None:
    for name, (root, packages) in SERVICE_TREES.items():
        tag = built[name].image.tag

        def listing(folder: str, tag: str = tag) -> set[str]:
            output = containers.run_engine(
                "run", "--rm", "--entrypoint", "/bin/ls", tag, folder, capture=True
            )
            return set(output.stdout.split()) - {"__pycache__"}

        assert listing(root) == {"services"}, name
        assert listing(f"{root}/services") == packages, name


def test_the_slim_forecaster_has_no_tensorflow_and_serves_an_onnx_bundle(built) -> None:
    slim, full = built["forecaster-slim"], built["forecaster"]
    assert slim.size_mb < full.size_mb - 1000  # TensorFlow is 1.3 GB of the full image
    probe = (
        "import importlib.util as u; print(*(u.find_spec(m) is None for m in ('tensorflow', 'onnxruntime')))"
    )
    output = containers.run_engine(
        "run", "--rm", "--entrypoint", "/opt/venv/bin/python", slim.image.tag, "-c", probe, capture=True
    )
    assert output.stdout.split() == ["True", "False"]
    checks = smoke.run_smoke([slim.image])  # single-model, on the sample bundle's model.onnx
    assert {c.name: c.ok for c in checks} == {
        "forecaster-slim /ping": True,
        "forecaster-slim /invocations": True,
        "forecaster-slim SIGTERM": True,
    }
