"""Retraining from live data: train a slot's model on the hourly table up to the recent holdout,
publish it as a new versioned bundle, and promote it only if it beats the champion on that holdout.

This is what the schedule runs (on AWS the trainer image's `train`, see docker/trainer.Dockerfile;
locally `wattcast models retrain`). The challenger never sees the holdout: it trains on the hours
before it, and its own test metrics (those in its metadata sidecar) are measured on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.data.hourly_store import holdout_start, household_ids, newest_hour, store_series
from scripts.registry.aws import registry_ports
from scripts.registry.bundles import S3Bundles, publish_versioned
from scripts.registry.holdout import Holdout, load_holdout
from scripts.registry.promotion import promote
from services.core import features
from services.core.clients import AwsClients
from services.core.model_pointer import ModelSlot


@dataclass(frozen=True)
class RetrainOptions:
    slot: ModelSlot = ModelSlot.LSTM
    households: tuple[str, ...] = ()  # empty: every household of the table
    lookback: int = 168
    horizon: int = 24
    units: int = 64
    epochs: int = 40
    max_minutes: float = 8.0
    validation_days: int = 14
    seed: int = 0
    force: bool = False


def store_source(clients: AwsClients) -> Path:
    """How a store-trained bundle's options name its data."""
    return Path(f"dynamodb:{clients.settings.hourly_table}")


def train_end_of(holdout: Holdout) -> str:
    """The first day not trained on: the holdout's first day."""
    return features.hour_ts(holdout.first_hour)[:10]


def train_challenger(
    clients: AwsClients,
    options: RetrainOptions,
    fleet: Mapping[str, features.HourlySeries],
    train_end: str,
    out: Path,
) -> Path:
    """The slot's model trained on `fleet` before `train_end`; returns its archive."""
    if options.slot is ModelSlot.LSTM:
        from scripts.training.lstm import LstmOptions, train_lstm

        lstm = LstmOptions(
            data=store_source(clients),
            out=out,
            train_end=train_end,
            lookback=options.lookback,
            horizon=options.horizon,
            units=options.units,
            epochs=options.epochs,
            max_minutes=options.max_minutes,
            validation_days=options.validation_days,
            seed=options.seed,
        )
        train_lstm(lstm, fleet)
        return out / "model.tar.gz"
    from scripts.training.prophet import ProphetOptions, default_from_fleet

    prophet = ProphetOptions(data=store_source(clients), out=out, train_end=train_end, seed=options.seed)
    return default_from_fleet(prophet, fleet)


def retrain(clients: AwsClients, options: RetrainOptions) -> dict[str, Any]:
    """Train, publish and (if it wins) promote a challenger; the report says what happened."""
    settings = clients.settings
    households: Sequence[str] = options.households or household_ids(clients)
    holdout = load_holdout(clients, settings.retrain_holdout_days, households)
    train_end = train_end_of(holdout)
    fleet = store_series(clients, households)
    with tempfile.TemporaryDirectory(prefix="wattcast-retrain-") as tmp:
        archive = train_challenger(clients, options, fleet, train_end, Path(tmp))
        challenger = publish_versioned(S3Bundles(clients), options.slot, archive)
    promotion = promote(
        options.slot, challenger, registry_ports(clients, holdout), settings, force=options.force
    )
    return {"challenger": challenger, "train_end": train_end, "households": len(fleet), **promotion.report()}


def store_training_data(
    clients: AwsClients, households: Sequence[str] = (), train_end: str | None = None
) -> tuple[dict[str, features.HourlySeries], str]:
    """Every (or the given) household's stored series, and the first day not to train on: by
    default the recent holdout's first day, so promotion scores the model on hours it never saw."""
    wanted = list(households) or household_ids(clients)
    if train_end is None:
        newest = newest_hour(clients, wanted)
        train_end = holdout_start(newest, clients.settings.retrain_holdout_days).date().isoformat()
    return store_series(clients, wanted), train_end
