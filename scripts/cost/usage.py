"""The measured inputs of the cost model, as `wattcast cost measure` writes them (usage.json).

Every figure is per unit of its function's driver: the ingest function's per reading, the others'
per household-hour (one hour closes per household and hour whatever the meter's reading rate).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from scripts.cost.errors import CostInputError

DEFAULT_USAGE = Path(__file__).with_name("usage.json")
Per = Literal["reading", "household_hour"]
FUNCTIONS: dict[str, Per] = {
    "ingest": "reading",
    "preprocess": "household_hour",
    "alerts": "household_hour",
    "statements": "household_hour",
    "accuracy": "household_hour",
}


@dataclass(frozen=True)
class FunctionUsage:
    per: Per
    invocations: float
    handler_seconds: float  # wall time, against the emulator
    calls: dict[str, float] = field(default_factory=dict)  # "service.Operation"
    dynamodb_write_units: float = 0.0
    dynamodb_read_units: float = 0.0
    kinesis_records: dict[str, float] = field(default_factory=dict)  # by stream: hourly, forecasted
    kinesis_bytes: dict[str, float] = field(default_factory=dict)
    s3_bytes_written: float = 0.0
    handler_cpu_seconds: float = 0.0  # the handler thread's CPU time (no waiting on AWS)

    def call(self, service: str, operations: tuple[str, ...] = ()) -> float:
        """Calls of a service (of the given operations only, if any)."""
        return sum(
            count
            for name, count in self.calls.items()
            if name.split(".")[0] == service and (not operations or name.split(".", 1)[1] in operations)
        )


@dataclass(frozen=True)
class ForecasterUsage:
    lstm_forecasts_per_s_per_instance: float  # HTTP, gunicorn, batches of 64, on the measuring machine
    prophet_cold_load_s: float  # fresh process: imports, unpack, load, first answer
    prophet_warm_projection_s: float  # a long-lived process: load model.json + one projection
    prophet_model_mb: float


@dataclass(frozen=True)
class Usage:
    produced_by: str
    measured_at: str
    replay: dict[str, Any]
    readings_bytes_per_reading: float  # the readings stream's payload, per reading
    functions: dict[str, FunctionUsage]
    forecaster: ForecasterUsage
    dynamodb_bytes_per_household_hour: dict[str, float]  # stored, by table
    notes: list[str] = field(default_factory=list)

    def function(self, name: str) -> FunctionUsage:
        try:
            return self.functions[name]
        except KeyError:
            raise CostInputError(f"the usage file has no figures for the {name} function") from None


def usage_to_json(usage: Usage) -> dict[str, Any]:
    return asdict(usage)


def usage_from_json(document: dict[str, Any], origin: str = "usage") -> Usage:
    try:
        functions = {name: FunctionUsage(**entry) for name, entry in document["functions"].items()}
        forecaster = ForecasterUsage(**document["forecaster"])
        usage = Usage(
            produced_by=document["produced_by"],
            measured_at=document["measured_at"],
            replay=dict(document["replay"]),
            readings_bytes_per_reading=float(document["readings_bytes_per_reading"]),
            functions=functions,
            forecaster=forecaster,
            dynamodb_bytes_per_household_hour=dict(document["dynamodb_bytes_per_household_hour"]),
            notes=list(document.get("notes", [])),
        )
    except (KeyError, TypeError) as exc:
        raise CostInputError(f"{origin} is not a usage file of `wattcast cost measure`: {exc!r}") from exc
    for name, per in FUNCTIONS.items():
        if usage.function(name).per != per:
            raise CostInputError(f"{origin}: the {name} function's figures must be per {per}")
    return usage


def load_usage(path: Path = DEFAULT_USAGE) -> Usage:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostInputError(f"no usage file at {path}: run `wattcast cost measure` first") from None
    except json.JSONDecodeError as exc:
        raise CostInputError(f"{path} is not JSON: {exc}") from exc
    return usage_from_json(document, str(path))


def save_usage(usage: Usage, path: Path) -> None:
    path.write_text(json.dumps(usage_to_json(usage), indent=2, sort_keys=False) + "\n", encoding="utf-8")
