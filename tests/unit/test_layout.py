"""The layout's rules, held against the code: what ships to AWS never reaches for the laptop tooling,
core declares what it imports, and each service image copies core and its own package only."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"
# Distribution name -> the top-level module it installs, where they differ.
MODULE_OF = {"aws-lambda-powertools": "aws_lambda_powertools", "boto3": "boto3"}
PROVIDED_BY = {"botocore": "boto3"}  # imported directly, installed by another requirement
EXTRA_OF_MODULE = {"partial_batch": "lambda", "features": "features", "publisher": "kpl"}  # need an extra


def imported_modules(path: Path) -> set[str]:
    """Top-level modules a file imports at run time (imports only for type checkers left out)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            node.body = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m not in {"services", "__future__"}}


def requirement_modules(requirements: list[str]) -> set[str]:
    names = {re.split(r"[\s<>=~!\[;]", r, maxsplit=1)[0] for r in requirements}
    return {MODULE_OF.get(name, name.replace("-", "_")) for name in names}


def project() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]  # type: ignore[no-any-return]


def test_nothing_in_services_imports_the_laptop_tooling_or_the_tests() -> None:
    offending = {
        str(path.relative_to(REPO)): sorted(imported_modules(path) & {"scripts", "tests", "model_bundles"})
        for path in SERVICES.rglob("*.py")
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_core_declares_what_it_imports() -> None:
    meta = project()
    base = requirement_modules(list(meta["dependencies"]))  # type: ignore[call-overload]
    extras: dict[str, list[str]] = meta["optional-dependencies"]  # type: ignore[assignment]
    for path in sorted((SERVICES / "core").glob("*.py")):
        extra = EXTRA_OF_MODULE.get(path.stem)
        declared = base | (requirement_modules(extras[extra]) if extra else set())
        used = {PROVIDED_BY.get(m, m) for m in third_party(imported_modules(path))}
        assert used <= declared, f"{path.name} imports {sorted(used - declared)}, which core does not declare"


def test_each_service_image_copies_core_and_its_own_package_only() -> None:
    for service in ("ingest", "preprocess", "portal", "forecaster", "accuracy"):
        dockerfile = (REPO / "docker" / f"{service}.Dockerfile").read_text()
        production = dockerfile.split("AS local")[0]  # the forecaster's compose-only stage comes after
        copied = {line.split()[1] for line in production.splitlines() if line.startswith("COPY ")}
        assert copied == {
            "pyproject.toml",
            "services/__init__.py",
            "services/core",
            f"services/{service}",
        }, service


def test_the_containers_command_offers_every_image_the_tooling_builds() -> None:
    from scripts.commands.containers import IMAGE_NAMES
    from scripts.devtools.containers import IMAGES

    assert tuple(image.name for image in IMAGES) == IMAGE_NAMES
