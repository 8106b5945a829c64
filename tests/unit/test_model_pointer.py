"""The model pointer's value, promotion and rollback, and preprocess's cached reader of it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from services.core.errors import DependencyError
from services.core.model_pointer import (
    MAX_PREVIOUS,
    ModelPointerError,
    ModelPointerReader,
    ModelSlot,
    Pointer,
    parameter_name,
    parse,
    promoted,
    rolled_back,
    serialise,
)
from services.core.settings import Settings

SETTINGS = Settings.from_env({})
NOW = datetime(2026, 12, 1, 12, 6, 24, tzinfo=UTC)
HOLDOUT = {"metric": "rmse_kw_next_24h_all_leads", "champion": 0.61, "challenger": 0.58}


def test_parameter_names_follow_the_prefix_and_an_empty_prefix_turns_pointers_off() -> None:
    assert parameter_name(SETTINGS, ModelSlot.LSTM) == "/wattcast/models/lstm"
    assert parameter_name(SETTINGS, ModelSlot.PROPHET_DEFAULT) == "/wattcast/models/prophet-default"
    assert parameter_name(SETTINGS.replace(model_pointer_prefix=""), ModelSlot.LSTM) is None


def test_a_pointer_round_trips_through_its_json_value() -> None:
    pointer = Pointer("lstm/20261201120624.tar.gz", ("lstm/default.tar.gz",), "2026-12-01T12:06:24Z", HOLDOUT)
    text = serialise(pointer)
    assert parse(text) == pointer
    assert text.startswith('{"champion":"lstm/20261201120624.tar.gz","previous":["lstm/default.tar.gz"]')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"previous": []}', "needs a champion"),
        ('{"champion": "lstm/x"}', "needs a champion"),  # not an archive name
        ('{"champion": "lstm/a.tar.gz", "previous": "lstm/b.tar.gz"}', "list of targets"),
        ('{"champion": "lstm/a.tar.gz", "holdout": [1]}', "holdout must be an object"),
    ],
)
def test_an_invalid_value_is_a_pointer_error(text: str, message: str) -> None:
    with pytest.raises(ModelPointerError, match=message):
        parse(text)


def test_a_value_too_long_for_ssm_is_refused() -> None:
    with pytest.raises(ModelPointerError, match="4096"):
        serialise(Pointer("lstm/a.tar.gz", holdout={"notes": "x" * 5000}))


def test_the_first_promotion_keeps_the_fixed_target_as_the_previous_champion() -> None:
    pointer = promoted(None, "lstm/1.tar.gz", fallback="lstm/default.tar.gz", now=NOW, holdout=HOLDOUT)
    assert pointer == Pointer("lstm/1.tar.gz", ("lstm/default.tar.gz",), "2026-12-01T12:06:24Z", HOLDOUT)


def test_promotions_keep_the_newest_previous_champions_once_each() -> None:
    pointer = promoted(None, "lstm/1.tar.gz", fallback="lstm/default.tar.gz", now=NOW, holdout={})
    for version in range(2, 9):
        pointer = promoted(pointer, f"lstm/{version}.tar.gz", fallback="unused", now=NOW, holdout={})
    assert pointer.champion == "lstm/8.tar.gz"
    assert pointer.previous == tuple(f"lstm/{v}.tar.gz" for v in (7, 6, 5, 4, 3))
    assert len(pointer.previous) == MAX_PREVIOUS
    again = promoted(pointer, "lstm/5.tar.gz", fallback="unused", now=NOW, holdout={})  # a former champion
    assert again.previous == tuple(f"lstm/{v}.tar.gz" for v in (8, 7, 6, 4, 3))


def test_promoting_the_champion_itself_is_refused() -> None:
    with pytest.raises(ModelPointerError, match="champion already"):
        promoted(None, "lstm/default.tar.gz", fallback="lstm/default.tar.gz", now=NOW, holdout={})


def test_rollback_restores_the_previous_champion_and_forgets_the_rolled_back_one() -> None:
    pointer = promoted(None, "lstm/1.tar.gz", fallback="lstm/default.tar.gz", now=NOW, holdout={})
    pointer = promoted(pointer, "lstm/2.tar.gz", fallback="unused", now=NOW, holdout={})
    back = rolled_back(pointer, now=NOW)
    assert back.champion == "lstm/1.tar.gz" and back.previous == ("lstm/default.tar.gz",)
    assert back.holdout == {"rolled_back_from": "lstm/2.tar.gz"}
    assert rolled_back(back, now=NOW).champion == "lstm/default.tar.gz"
    with pytest.raises(ModelPointerError, match="nothing to roll back"):
        rolled_back(rolled_back(back, now=NOW), now=NOW)


@dataclass
class FakeSource:
    pointers: dict[ModelSlot, Pointer] = field(default_factory=dict)
    failing: bool = False
    reads: int = 0

    def get(self, slot: ModelSlot) -> Pointer | None:
        self.reads += 1
        if self.failing:
            raise DependencyError("SSM throttled")
        return self.pointers.get(slot)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_reader_reads_a_slot_once_per_cache_period() -> None:
    source, clock = FakeSource({ModelSlot.LSTM: Pointer("lstm/1.tar.gz")}), Clock()
    reader = ModelPointerReader(source, SETTINGS, clock)
    assert [reader.target(ModelSlot.LSTM) for _ in range(3)] == ["lstm/1.tar.gz"] * 3
    assert source.reads == 1
    source.pointers[ModelSlot.LSTM] = Pointer("lstm/2.tar.gz")
    clock.now += 59.0
    assert reader.target(ModelSlot.LSTM) == "lstm/1.tar.gz"
    clock.now += 1.0  # model_pointer_cache_seconds = 60
    assert reader.target(ModelSlot.LSTM) == "lstm/2.tar.gz" and source.reads == 2


def test_without_a_pointer_the_reader_serves_the_fixed_target_and_logs_it_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source, clock = FakeSource(), Clock()
    reader = ModelPointerReader(source, SETTINGS, clock)
    with caplog.at_level(logging.INFO, logger="services.core.model_pointer"):
        for _ in range(3):
            assert reader.target(ModelSlot.PROPHET_DEFAULT) == "prophet/default.tar.gz"
            clock.now += 61.0
    assert source.reads == 3
    assert [r.getMessage() for r in caplog.records] == [
        "no model pointer for prophet-default: serving the fixed target prophet/default.tar.gz"
    ]


def test_pointers_off_never_read_ssm() -> None:
    source = FakeSource({ModelSlot.LSTM: Pointer("lstm/1.tar.gz")})
    reader = ModelPointerReader(source, SETTINGS.replace(model_pointer_prefix=""), Clock())
    assert reader.target(ModelSlot.LSTM) == "lstm/default.tar.gz" and source.reads == 0


def test_an_unreadable_pointer_keeps_the_last_champion_or_fails_the_records() -> None:
    source, clock = FakeSource({ModelSlot.LSTM: Pointer("lstm/1.tar.gz")}), Clock()
    reader = ModelPointerReader(source, SETTINGS, clock)
    assert reader.target(ModelSlot.LSTM) == "lstm/1.tar.gz"
    source.failing = True
    clock.now += 61.0
    assert reader.target(ModelSlot.LSTM) == "lstm/1.tar.gz"
    assert reader.target(ModelSlot.LSTM) == "lstm/1.tar.gz" and source.reads == 2  # kept for a period
    fresh = ModelPointerReader(source, SETTINGS, clock)
    with pytest.raises(DependencyError, match="unreadable"):
        fresh.target(ModelSlot.LSTM)
