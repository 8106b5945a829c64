"""The models prefix the training engines write to: a local folder or `s3://bucket/prefix`.

The layout is the one `wattcast train prophet` has always written: `<prefix>/<household>/model.tar.gz`,
`<prefix>/<household>/metrics.json`, `<prefix>/<household>/components.png` for the plotted household,
and the run's `<prefix>/metrics.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.errors import SettingsError

S3_SCHEME = "s3://"


@dataclass(frozen=True)
class HouseholdModel:
    """One household's trained bundle (model.tar.gz bytes), its metrics.json and optional plot."""

    household_id: str
    bundle: bytes
    metrics: dict[str, Any]
    plot: bytes | None = None

    def summary(self) -> dict[str, Any]:
        return {"household_id": self.household_id, **without_cases(self.metrics)}


def without_cases(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "by_month"}


@dataclass(frozen=True)
class ModelsPrefix:
    """`root` is a folder path, or with `bucket` set, the key prefix inside that bucket ("" for none)."""

    root: str
    bucket: str | None = None

    @classmethod
    def of(cls, prefix: str) -> ModelsPrefix:
        if not prefix.startswith(S3_SCHEME):
            return cls(prefix)
        bucket, _, key = prefix[len(S3_SCHEME) :].partition("/")
        if not bucket:
            raise SettingsError(f"models prefix {prefix!r} names no bucket (s3://bucket/prefix)")
        return cls(key.strip("/"), bucket)

    def write_bytes(self, name: str, body: bytes) -> str:
        """Write `body` at `name` under the prefix; where it went."""
        if self.bucket is None:
            path = Path(self.root) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            return str(path)
        from services.core.clients import get_clients

        key = f"{self.root}/{name}" if self.root else name
        get_clients().s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return f"{S3_SCHEME}{self.bucket}/{key}"

    def write_household(self, model: HouseholdModel) -> None:
        self.write_bytes(f"{model.household_id}/model.tar.gz", model.bundle)
        self.write_bytes(f"{model.household_id}/metrics.json", json.dumps(model.metrics, indent=2).encode())
        if model.plot is not None:
            self.write_bytes(f"{model.household_id}/components.png", model.plot)
