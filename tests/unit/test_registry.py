from pathlib import Path

import pytest

from services.core.bundle_format import Flavour
from services.forecaster import registry as registry_module
from services.forecaster.bundles import Hooks
from services.forecaster.errors import (
    BadRequestError,
    InsufficientMemoryError,
    ModelAlreadyLoadedError,
    ModelNotFoundError,
)
from services.forecaster.loaded_model import LoadedModel
from services.forecaster.registry import ModelRegistry

MB = 1024 * 1024


@pytest.fixture
def fake_loading(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Models whose memory is set by the test: url 'size:N' takes N MB."""
    sizes: dict[str, int] = {}

    def load_model(name, root, *, url=None, uncertainty_samples=300):
        memory = int(str(url).split(":")[1]) * MB
        sizes[name] = memory
        return LoadedModel(name, str(url), Path(), Flavour.PROPHET, {}, object(), Hooks(), memory)

    monkeypatch.setattr(registry_module, "load_model", load_model)
    monkeypatch.setattr(registry_module, "resident_bytes", lambda: 0)
    return sizes


def test_load_get_unload_and_the_documented_errors(fake_loading):
    registry = ModelRegistry(max_models=10, memory_budget_bytes=100 * MB)
    registry.load("a", "size:10")
    assert registry.get("a").name == "a"
    with pytest.raises(ModelAlreadyLoadedError):
        registry.load("a", "size:10")
    registry.unload("a")
    with pytest.raises(ModelNotFoundError):
        registry.get("a")
    with pytest.raises(ModelNotFoundError):
        registry.unload("a")


def test_the_least_recently_used_are_unloaded_to_respect_the_count(fake_loading):
    registry = ModelRegistry(max_models=2, memory_budget_bytes=100 * MB)
    registry.load("a", "size:1")
    registry.load("b", "size:1")
    registry.get("a")  # b is now the least recently used
    registry.load("c", "size:1")
    assert sorted(m.name for m in registry.list()[0]) == ["a", "c"]


def test_the_least_recently_used_are_unloaded_to_respect_the_memory_budget(fake_loading):
    registry = ModelRegistry(max_models=10, memory_budget_bytes=100 * MB)
    for name in ("a", "b", "c"):
        registry.load(name, "size:30")
    registry.load("d", "size:50")  # needs a and b gone: 30 + 50 <= 100
    assert sorted(m.name for m in registry.list()[0]) == ["c", "d"]
    assert registry.used_bytes() == 80 * MB


def test_a_model_larger_than_the_whole_budget_is_507_and_changes_nothing(fake_loading):
    registry = ModelRegistry(max_models=10, memory_budget_bytes=100 * MB)
    registry.load("a", "size:10")
    with pytest.raises(InsufficientMemoryError, match="more than the whole budget"):
        registry.load("huge", "size:101")
    assert [m.name for m in registry.list()[0]] == ["a"]


def test_listing_pages_with_tokens(fake_loading):
    registry = ModelRegistry(max_models=10, memory_budget_bytes=100 * MB)
    for name in "edcba":
        registry.load(name, "size:1")
    first, token = registry.list(max_results=2)
    second, token2 = registry.list(token, max_results=2)
    third, token3 = registry.list(token2, max_results=2)
    assert [m.name for m in first + second + third] == list("abcde")
    assert token3 is None
    with pytest.raises(BadRequestError, match="next_page_token"):
        registry.list("!!not-a-token!!")


def test_a_missing_target_is_fetched_once_then_served(fake_loading):
    fetched: list[str] = []

    def fetcher(target: str) -> Path:
        fetched.append(target)
        return Path("size:5")

    registry = ModelRegistry(max_models=10, memory_budget_bytes=100 * MB, fetcher=fetcher)
    assert registry.get_or_fetch("prophet/h1.tar.gz").name == "prophet/h1.tar.gz"
    assert registry.get_or_fetch("prophet/h1.tar.gz").name == "prophet/h1.tar.gz"
    assert fetched == ["prophet/h1.tar.gz"]
