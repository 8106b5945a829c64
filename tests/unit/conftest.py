"""Fixtures shared by the household API's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.local.portal_memory import MemoryStores
from services.portal import api
from tests.portal_api import seeded_stores


@pytest.fixture
def fakes() -> Iterator[MemoryStores]:
    """The API over in-memory stores seeded with household h1 (see tests/portal_api.py)."""
    stores = seeded_stores()
    api.use_ports(stores.portal)
    yield stores
