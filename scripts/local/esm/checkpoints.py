"""Checkpoints: the last sequence number fully processed, per (function, stream ARN, shard)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scripts.local.esm import EsmError

CHECKPOINTS_FILE_NAME = "checkpoints.json"


@dataclass(frozen=True)
class CheckpointKey:
    function_name: str
    stream_arn: str
    shard_id: str


class CheckpointStore(Protocol):
    def get(self, key: CheckpointKey) -> str | None: ...

    def put(self, key: CheckpointKey, sequence_number: str) -> None: ...


class InMemoryCheckpointStore:
    def __init__(self) -> None:
        self._checkpoints: dict[CheckpointKey, str] = {}
        self._lock = threading.Lock()

    def get(self, key: CheckpointKey) -> str | None:
        with self._lock:
            return self._checkpoints.get(key)

    def put(self, key: CheckpointKey, sequence_number: str) -> None:
        with self._lock:
            self._checkpoints[key] = sequence_number


Nested = dict[str, dict[str, dict[str, str]]]


class JsonFileCheckpointStore:
    """Checkpoints in one JSON file: {function: {stream ARN: {shard: sequence number}}}.

    Every put re-reads the file, changes one entry and replaces the file atomically (temp file +
    os.replace), so runners for different functions can share a file. Two writers of the same key
    are not supported.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def in_directory(cls, directory: Path) -> JsonFileCheckpointStore:
        return cls(directory / CHECKPOINTS_FILE_NAME)

    def get(self, key: CheckpointKey) -> str | None:
        with self._lock:
            return self._read().get(key.function_name, {}).get(key.stream_arn, {}).get(key.shard_id)

    def put(self, key: CheckpointKey, sequence_number: str) -> None:
        with self._lock:
            checkpoints = self._read()
            shards = checkpoints.setdefault(key.function_name, {}).setdefault(key.stream_arn, {})
            shards[key.shard_id] = sequence_number
            self._write(checkpoints)

    def _read(self) -> Nested:
        try:
            loaded: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise EsmError(f"cannot read checkpoints from {self.path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise EsmError(f"{self.path} does not hold a JSON object of checkpoints")
        return loaded

    def _write(self, checkpoints: Nested) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self.path, checkpoints)


def write_json_atomically(path: Path, value: Any) -> None:
    """Write JSON to a temp file in the same directory, then rename it over `path`."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=2, sort_keys=True)
            handle.write("\n")
        Path(temp_name).replace(path)  # os.replace: atomic on POSIX and Windows
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
