"""Champion and challenger: a slot's pointer moves to a challenger only if it beats the champion on
the recent holdout (strictly lower error; `force` overrides and says so), and moves back on rollback.

Orchestration over ports (the pointers, the bundles, the holdout evaluator), so the rule is tested
with fakes and run against SSM and S3 unchanged.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from services.core.model_pointer import (
    ModelPointerError,
    ModelSlot,
    Pointer,
    fixed_target,
    parameter_name,
    promoted,
    rolled_back,
    timestamp,
)
from services.core.settings import Settings


@dataclass(frozen=True)
class Comparison:
    """Both models' error on the same holdout cases (`pairs`: forecast-actual pairs both scored)."""

    metric: str
    window: tuple[str, str]
    households: int
    pairs: int
    champion: str
    champion_score: float | None  # None: no champion bundle to score
    challenger: str
    challenger_score: float | None  # None: the challenger forecast none of the holdout

    def summary(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "window": list(self.window),
            "households": self.households,
            "pairs": self.pairs,
            "champion": {"target": self.champion, "score": self.champion_score},
            "challenger": {"target": self.challenger, "score": self.challenger_score},
        }


@dataclass(frozen=True)
class Decision:
    promote: bool
    forced: bool
    reason: str


def decide(comparison: Comparison, *, force: bool = False) -> Decision:
    """Promote a challenger with a strictly lower holdout error (or any, forced)."""
    challenger, champion = comparison.challenger_score, comparison.champion_score
    if challenger is None:
        verdict = Decision(False, False, "the challenger forecast none of the holdout")
    elif champion is None:
        return Decision(True, False, f"no champion bundle {comparison.champion} to beat")
    elif challenger < champion:
        return Decision(True, False, f"challenger {challenger} < champion {champion} ({comparison.metric})")
    else:
        verdict = Decision(
            False, False, f"challenger {challenger} is not below champion {champion} ({comparison.metric})"
        )
    if force:
        return Decision(True, True, f"forced: {verdict.reason}")
    return verdict


class PointerStore(Protocol):
    def get(self, slot: ModelSlot) -> Pointer | None: ...

    def put(self, slot: ModelSlot, pointer: Pointer) -> str: ...


class BundleStore(Protocol):
    def exists(self, target: str) -> bool: ...

    def download(self, target: str, destination: Path) -> Path: ...


class Evaluator(Protocol):
    def compare(
        self, slot: ModelSlot, champion: tuple[str, Path | None], challenger: tuple[str, Path]
    ) -> Comparison:
        """Score both bundles (target, local archive; no champion archive: nothing to score) on the
        same holdout cases."""


@dataclass(frozen=True)
class RegistryPorts:
    pointers: PointerStore
    bundles: BundleStore
    evaluator: Evaluator | None = None  # only promotion evaluates


@dataclass(frozen=True)
class Promotion:
    slot: ModelSlot
    comparison: Comparison
    decision: Decision
    pointer: Pointer  # the slot's pointer after the decision
    changed: bool

    def report(self) -> dict[str, Any]:
        return {
            "slot": self.slot.value,
            "holdout": self.comparison.summary(),
            "promoted": self.changed,
            "forced": self.decision.forced,
            "reason": self.decision.reason,
            "champion": self.pointer.champion,
        }


def promote(
    slot: ModelSlot,
    challenger: str,
    ports: RegistryPorts,
    settings: Settings,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> Promotion:
    """Evaluate the challenger against the champion; move the pointer if it wins (or `force`)."""
    if parameter_name(settings, slot) is None:
        raise ModelPointerError("model pointers are off (model_pointer_prefix is empty): nothing to promote")
    if ports.evaluator is None:
        raise ModelPointerError("promotion needs a holdout evaluator")
    current = ports.pointers.get(slot)
    champion = current.champion if current is not None else fixed_target(settings, slot)
    if challenger == champion:
        raise ModelPointerError(f"{challenger} is the {slot.value} champion already")
    with tempfile.TemporaryDirectory(prefix="wattcast-promote-") as tmp:
        challenger_path = ports.bundles.download(challenger, Path(tmp) / "challenger.tar.gz")
        champion_path = (
            ports.bundles.download(champion, Path(tmp) / "champion.tar.gz")
            if ports.bundles.exists(champion)
            else None
        )
        comparison = ports.evaluator.compare(slot, (champion, champion_path), (challenger, challenger_path))
    decision = decide(comparison, force=force)
    if not decision.promote:
        return Promotion(slot, comparison, decision, current or Pointer(champion), changed=False)
    holdout = comparison.summary() | {"forced": decision.forced}
    pointer = promoted(current, challenger, fallback=champion, now=now or datetime.now(UTC), holdout=holdout)
    ports.pointers.put(slot, pointer)
    return Promotion(slot, comparison, decision, pointer, changed=True)


def rollback(
    slot: ModelSlot, ports: RegistryPorts, settings: Settings, *, now: datetime | None = None
) -> tuple[Pointer, Pointer]:
    """Restore the previous champion; returns (before, after)."""
    current = ports.pointers.get(slot)
    if current is None:
        target = fixed_target(settings, slot)
        raise ModelPointerError(f"{slot.value} has no pointer (it serves {target}): nothing to roll back")
    restored = rolled_back(current, now=now or datetime.now(UTC))
    if not ports.bundles.exists(restored.champion):
        raise ModelPointerError(
            f"the previous champion {restored.champion} is no longer in the models prefix"
        )
    ports.pointers.put(slot, restored)
    return current, restored


def status(ports: RegistryPorts, settings: Settings) -> list[dict[str, Any]]:
    """Each slot: its parameter, the champion it serves, the previous ones and why it is champion."""
    rows = []
    for slot in ModelSlot:
        pointer = ports.pointers.get(slot)
        row: dict[str, Any] = {"slot": slot.value, "parameter": parameter_name(settings, slot)}
        if pointer is None:
            row |= {"champion": fixed_target(settings, slot), "pointer": "none (the fixed target)"}
        else:
            row |= {
                "champion": pointer.champion,
                "previous": list(pointer.previous),
                "promoted_at": pointer.promoted_at,
                "holdout": dict(pointer.holdout),
            }
        rows.append(row)
    return rows


def ensure_pointer(
    slot: ModelSlot, pointers: PointerStore, settings: Settings, *, now: datetime | None = None
) -> Pointer | None:
    """Point the slot at its fixed target when it has no pointer yet (a new stack's default models);
    an existing pointer is left alone. None when pointers are off."""
    if parameter_name(settings, slot) is None:
        return None
    current = pointers.get(slot)
    if current is not None:
        return current
    stamp = timestamp(now or datetime.now(UTC))
    pointer = Pointer(fixed_target(settings, slot), (), stamp, {"reason": "the default model"})
    pointers.put(slot, pointer)
    return pointer
