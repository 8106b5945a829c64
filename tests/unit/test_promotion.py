"""Champion and challenger over in-memory ports: a worse challenger is refused, a better one is
promoted, rollback restores the champion; and the training job's hyperparameters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from scripts.registry.holdout import Forecasts, scores
from scripts.registry.promotion import (
    Comparison,
    RegistryPorts,
    decide,
    ensure_pointer,
    promote,
    rollback,
    status,
)
from scripts.registry.training_job import main as training_job
from scripts.registry.training_job import retrain_argv
from services.core.errors import SettingsError
from services.core.model_pointer import ModelPointerError, ModelSlot, Pointer
from services.core.settings import Settings

SETTINGS = Settings.from_env({})
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class MemoryPointers:
    values: dict[ModelSlot, Pointer] = field(default_factory=dict)
    writes: int = 0

    def get(self, slot: ModelSlot) -> Pointer | None:
        return self.values.get(slot)

    def put(self, slot: ModelSlot, pointer: Pointer) -> str:
        self.values[slot] = pointer
        self.writes += 1
        return f"/wattcast/models/{slot}"


@dataclass
class MemoryBundles:
    targets: set[str]

    def exists(self, target: str) -> bool:
        return target in self.targets

    def download(self, target: str, destination: Path) -> Path:
        assert target in self.targets
        destination.write_text(target)
        return destination


@dataclass
class FakeEvaluator:
    """Each target's holdout RMSE; records what it was asked to compare."""

    rmse: dict[str, float]
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def compare(
        self, slot: ModelSlot, champion: tuple[str, Path | None], challenger: tuple[str, Path]
    ) -> Comparison:
        assert challenger[1].read_text() == challenger[0]  # the downloaded challenger
        self.asked.append((challenger[0], champion[0] if champion[1] is not None else None))
        return Comparison(
            metric="rmse_kw_next_24h_all_leads",
            window=("2026-11-17T00:00:00Z", "2026-11-30T23:00:00Z"),
            households=3,
            pairs=24_000,
            champion=champion[0],
            champion_score=self.rmse[champion[0]] if champion[1] is not None else None,
            challenger=challenger[0],
            challenger_score=self.rmse[challenger[0]],
        )


def ports(rmse: dict[str, float], pointers: MemoryPointers | None = None) -> RegistryPorts:
    return RegistryPorts(pointers or MemoryPointers(), MemoryBundles(set(rmse)), FakeEvaluator(rmse))


def test_a_worse_challenger_is_refused_and_both_scores_are_reported() -> None:
    registry = ports({"lstm/default.tar.gz": 0.60, "lstm/2.tar.gz": 0.65})
    result = promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS, now=NOW)
    assert not result.changed and result.pointer.champion == "lstm/default.tar.gz"
    assert registry.pointers.get(ModelSlot.LSTM) is None  # nothing written
    report = result.report()
    assert report["promoted"] is False and report["forced"] is False
    assert report["holdout"]["champion"] == {"target": "lstm/default.tar.gz", "score": 0.60}
    assert report["holdout"]["challenger"] == {"target": "lstm/2.tar.gz", "score": 0.65}


def test_an_equal_challenger_is_refused_too() -> None:
    registry = ports({"lstm/default.tar.gz": 0.60, "lstm/2.tar.gz": 0.60})
    assert not promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS, now=NOW).changed


def test_a_better_challenger_moves_the_pointer_with_the_comparison_that_promoted_it() -> None:
    registry = ports({"lstm/default.tar.gz": 0.60, "lstm/2.tar.gz": 0.55})
    result = promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS, now=NOW)
    pointer = registry.pointers.get(ModelSlot.LSTM)
    assert result.changed and pointer == result.pointer
    assert pointer is not None and pointer.champion == "lstm/2.tar.gz"
    assert pointer.previous == ("lstm/default.tar.gz",) and pointer.promoted_at == "2026-12-01T12:00:00Z"
    assert pointer.holdout["challenger"]["score"] == 0.55 and pointer.holdout["forced"] is False


def test_force_promotes_a_worse_challenger_and_says_so() -> None:
    registry = ports({"lstm/default.tar.gz": 0.60, "lstm/2.tar.gz": 0.65})
    result = promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS, force=True, now=NOW)
    assert result.changed and result.decision.forced
    assert result.decision.reason.startswith("forced: challenger 0.65 is not below champion 0.6")
    assert registry.pointers.get(ModelSlot.LSTM).holdout["forced"] is True  # type: ignore[union-attr]


def test_rollback_restores_the_champion_a_promotion_replaced() -> None:
    registry = ports({"lstm/default.tar.gz": 0.60, "lstm/2.tar.gz": 0.55, "lstm/3.tar.gz": 0.50})
    promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS, now=NOW)
    promote(ModelSlot.LSTM, "lstm/3.tar.gz", registry, SETTINGS, now=NOW)
    assert registry.evaluator.asked == [  # type: ignore[union-attr]
        ("lstm/2.tar.gz", "lstm/default.tar.gz"),
        ("lstm/3.tar.gz", "lstm/2.tar.gz"),
    ]
    before, after = rollback(ModelSlot.LSTM, registry, SETTINGS, now=NOW)
    assert before.champion == "lstm/3.tar.gz" and after.champion == "lstm/2.tar.gz"
    assert registry.pointers.get(ModelSlot.LSTM) == after
    rollback(ModelSlot.LSTM, registry, SETTINGS, now=NOW)
    assert registry.pointers.get(ModelSlot.LSTM).champion == "lstm/default.tar.gz"  # type: ignore[union-attr]
    with pytest.raises(ModelPointerError, match="nothing to roll back"):
        rollback(ModelSlot.LSTM, registry, SETTINGS, now=NOW)


def test_rollback_needs_a_pointer_and_the_previous_bundle() -> None:
    with pytest.raises(ModelPointerError, match="has no pointer"):
        rollback(ModelSlot.LSTM, ports({}), SETTINGS)
    pointers = MemoryPointers({ModelSlot.LSTM: Pointer("lstm/2.tar.gz", ("lstm/gone.tar.gz",))})
    with pytest.raises(ModelPointerError, match="no longer in the models prefix"):
        rollback(ModelSlot.LSTM, ports({"lstm/2.tar.gz": 0.5}, pointers), SETTINGS)
    assert pointers.writes == 0


def test_a_missing_champion_bundle_is_no_bar_and_a_challenger_that_forecast_nothing_is() -> None:
    registry = ports({"prophet/default/2.tar.gz": 3.1})
    result = promote(ModelSlot.PROPHET_DEFAULT, "prophet/default/2.tar.gz", registry, SETTINGS, now=NOW)
    assert result.changed and result.decision.reason == "no champion bundle prophet/default.tar.gz to beat"
    blank = Comparison("m", ("a", "b"), 1, 0, "c", 1.0, "d", None)
    assert decide(blank) == decide(blank, force=False)
    assert not decide(blank).promote and decide(blank, force=True).forced


def test_promotion_needs_pointers_on_and_a_new_target() -> None:
    registry = ports({"lstm/default.tar.gz": 0.6, "lstm/2.tar.gz": 0.5})
    with pytest.raises(ModelPointerError, match="pointers are off"):
        promote(ModelSlot.LSTM, "lstm/2.tar.gz", registry, SETTINGS.replace(model_pointer_prefix=""))
    with pytest.raises(ModelPointerError, match="champion already"):
        promote(ModelSlot.LSTM, "lstm/default.tar.gz", registry, SETTINGS)


def test_ensure_pointer_names_the_fixed_target_once_and_status_shows_it() -> None:
    pointers = MemoryPointers()
    created = ensure_pointer(ModelSlot.LSTM, pointers, SETTINGS, now=NOW)
    assert created == Pointer(
        "lstm/default.tar.gz", (), "2026-12-01T12:00:00Z", {"reason": "the default model"}
    )
    pointers.values[ModelSlot.LSTM] = Pointer("lstm/2.tar.gz", ("lstm/default.tar.gz",))
    assert ensure_pointer(ModelSlot.LSTM, pointers, SETTINGS).champion == "lstm/2.tar.gz"  # type: ignore[union-attr]
    assert pointers.writes == 1
    rows = status(RegistryPorts(pointers, MemoryBundles(set())), SETTINGS)
    assert rows[0]["parameter"] == "/wattcast/models/lstm" and rows[0]["champion"] == "lstm/2.tar.gz"
    assert rows[1] == {
        "slot": "prophet-default",
        "parameter": "/wattcast/models/prophet-default",
        "champion": "prophet/default.tar.gz",
        "pointer": "none (the fixed target)",
    }


def test_scores_compare_both_models_on_the_cases_both_forecast() -> None:
    nan = np.nan
    actual = np.array([[1.0, 2.0], [1.0, nan], [3.0, 3.0]])
    challenger = Forecasts(np.array([[1.5, 2.0], [1.0, 9.0], [nan, 3.0]]), actual)
    champion = Forecasts(np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 0.0], [3.0, 4.0, 0.0]]), actual)
    # shared leads: 2; usable: (0,0) (0,1) (1,0) (2,1): challenger errors .5 0 0 0, champion 0 1 1 1
    assert scores(challenger, champion) == (0.25, round(np.sqrt(3 / 4), 4), 4)
    assert scores(challenger, None) == (0.25, None, 4)


def test_the_training_job_turns_hyperparameters_into_the_retrain_command(tmp_path: Path) -> None:
    argv = retrain_argv(
        {"model": "prophet", "households": "h1, h2", "epochs": "3", "max_minutes": 2.5, "force": "True"},
        tmp_path / "report.json",
    )
    assert argv == [
        "models", "retrain", "prophet-default", "--household", "h1", "--household", "h2",
        "--epochs", "3", "--max-minutes", "2.5", "--force", "--report", str(tmp_path / "report.json"),
    ]  # fmt: skip
    assert retrain_argv({}) == ["models", "retrain", "lstm"]
    with pytest.raises(SettingsError, match="unknown hyperparameters: learning_rate"):
        retrain_argv({"learning_rate": "0.1"})
    with pytest.raises(SettingsError, match="lstm or prophet"):
        retrain_argv({"model": "gbm"})


def test_the_training_job_reports_a_bad_hyperparameter_as_the_jobs_failure(tmp_path: Path) -> None:
    (tmp_path / "input/config").mkdir(parents=True)
    (tmp_path / "output").mkdir()
    (tmp_path / "input/config/hyperparameters.json").write_text(json.dumps({"model": "arima"}))
    assert training_job(["train"], root=tmp_path) == 2
    assert "lstm or prophet" in (tmp_path / "output/failure").read_text()
    assert training_job(["serve"], root=tmp_path) == 2
