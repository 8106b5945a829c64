"""The registry over AWS: its ports built from the clients (SSM pointers, S3 bundles, the holdout
read from the hourly table), and each command's use case on them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts.registry.bundles import S3Bundles, publish_versioned
from scripts.registry.holdout import Holdout, HoldoutEvaluator, load_holdout
from scripts.registry.promotion import RegistryPorts, promote, rollback, status
from services.core.clients import AwsClients
from services.core.model_pointer import ModelSlot, SsmPointers


def registry_ports(clients: AwsClients, holdout: Holdout | None = None) -> RegistryPorts:
    evaluator = HoldoutEvaluator(holdout) if holdout is not None else None
    return RegistryPorts(SsmPointers(clients), S3Bundles(clients), evaluator)


def publish_challenger(clients: AwsClients, slot: ModelSlot, archive: Path) -> str:
    """Publish a trained bundle as a new versioned target of the slot (and its sidecar)."""
    return publish_versioned(S3Bundles(clients), slot, archive)


def promote_target(
    clients: AwsClients,
    slot: ModelSlot,
    challenger: str,
    *,
    households: Sequence[str] = (),
    force: bool = False,
) -> dict[str, Any]:
    """Evaluate a published challenger against the champion on the recent holdout; promote if it wins."""
    holdout = load_holdout(clients, clients.settings.retrain_holdout_days, households or None)
    promotion = promote(slot, challenger, registry_ports(clients, holdout), clients.settings, force=force)
    return promotion.report()


def rollback_slot(clients: AwsClients, slot: ModelSlot) -> dict[str, Any]:
    before, after = rollback(slot, registry_ports(clients), clients.settings)
    return {
        "slot": slot.value,
        "rolled_back_from": before.champion,
        "champion": after.champion,
        "previous": list(after.previous),
    }


def slot_status(clients: AwsClients) -> list[dict[str, Any]]:
    return status(registry_ports(clients), clients.settings)
