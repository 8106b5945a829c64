"""The household API's function over in-memory stores loaded from the benchmark's seed file: what the
API itself costs (token checks, the event, the views) without an emulator's per-item costs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scripts.bench.portal_seed import load_seed_file
from scripts.local.portal_memory import MemoryStores
from services.portal import api

SEED_ENV = "WATTCAST_BENCH_PORTAL_SEED"
_stores: list[MemoryStores] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _stores:
        _stores.append(load_seed_file(Path(os.environ[SEED_ENV])))
    api.use_ports(_stores[0].portal)
    return api.app.resolve(event, context)
