"""Tariffs: the band of each hour (local time, across daylight saving), and what kWh cost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.portal.tariffs import DAYS_PER_YEAR, TariffError, load_tariff, parse_tariff, tariff_ids


def hour(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) // 3600


def test_the_default_tariff_is_the_dated_french_regulated_grid_in_both_options() -> None:
    assert "fr_tarif_bleu_2025-02" in tariff_ids()
    base = load_tariff()
    assert [(b.name, b.price_per_kwh) for b in base.bands] == [("base", 0.2016)]
    assert base.currency == "EUR" and base.vat_multiplier == 1.0
    assert base.standing_charge(DAYS_PER_YEAR) == pytest.approx(164.64)
    two = load_tariff("fr_tarif_bleu_2025-02", "off_peak_peak")
    assert {b.name: b.price_per_kwh for b in two.bands} == {"off_peak": 0.1696, "peak": 0.2146}


@pytest.mark.parametrize(
    ("utc", "band"),
    [
        ("2010-01-15T21:00", "off_peak"),  # 22:00 in Paris in winter (UTC+1)
        ("2010-01-15T20:00", "peak"),
        ("2010-01-15T04:00", "off_peak"),  # 05:00 local
        ("2010-01-15T05:00", "peak"),  # 06:00 local
        ("2010-07-15T20:00", "off_peak"),  # 22:00 in Paris in summer (UTC+2)
        ("2010-07-15T04:00", "peak"),  # 06:00 local
        ("2010-07-15T03:00", "off_peak"),
    ],
)
def test_off_peak_hours_are_local_hours(utc: str, band: str) -> None:
    assert load_tariff(option="off_peak_peak").band_of(hour(utc)).name == band


def test_a_days_kwh_split_by_band_and_costed() -> None:
    tariff = load_tariff(option="off_peak_peak")
    first = hour("2010-01-15T00:00")
    by_band = tariff.kwh_by_band({first + h: 1.0 for h in range(24)})
    assert by_band == {"off_peak": 8.0, "peak": 16.0}
    assert tariff.energy_cost(by_band) == pytest.approx({"off_peak": 8 * 0.1696, "peak": 16 * 0.2146})
    with pytest.raises(TariffError, match="no band base"):
        tariff.energy_cost({"base": 1.0})


def test_a_profile_splits_a_projected_total_across_bands() -> None:
    tariff = load_tariff(option="off_peak_peak")
    night_only = {23: 2.0}  # UTC 23:00 is midnight in Paris in winter
    assert tariff.band_shares(night_only, hour("2010-01-16T00:00"), 48) == {"off_peak": 1.0, "peak": 0.0}
    flat = tariff.band_shares({}, hour("2010-01-16T00:00"), 24)  # no profile: every hour alike
    assert flat == pytest.approx({"off_peak": 8 / 24, "peak": 16 / 24})


def document(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "t",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "prices_include_vat": False,
        "vat_rate": 0.2,
        "options": {
            "o": {"standing_charge_per_year": 100.0, "bands": [{"name": "all", "price_per_kwh": 0.1}]}
        },
    }
    return {**base, **changes}


def test_prices_without_vat_get_it_added() -> None:
    tariff = parse_tariff(document(), "o")
    assert tariff.energy_cost({"all": 10.0}) == pytest.approx({"all": 1.2})
    assert tariff.standing_charge(DAYS_PER_YEAR) == pytest.approx(120.0)


@pytest.mark.parametrize(
    ("changes", "option", "words"),
    [
        ({}, "other", "no option 'other'"),
        ({"currency": "euro"}, "o", "ISO 4217"),
        ({"timezone": "Mars/Olympus"}, "o", "time zone"),
        ({"options": {"o": {"standing_charge_per_year": -1, "bands": []}}}, "o", "exactly one band"),
        (
            {
                "options": {
                    "o": {"standing_charge_per_year": 1, "bands": [{"name": "a", "price_per_kwh": -0.1}]}
                }
            },
            "o",
            "price_per_kwh must be a non-negative number",
        ),
        (
            {
                "options": {
                    "o": {
                        "standing_charge_per_year": 1,
                        "bands": [
                            {"name": "a", "price_per_kwh": 0.1, "hours": [[0, 8]]},
                            {"name": "b", "price_per_kwh": 0.1, "hours": [[6, 9]]},
                            {"name": "c", "price_per_kwh": 0.1},
                        ],
                    }
                }
            },
            "o",
            "claims hours another band claims",
        ),
        (
            {
                "options": {
                    "o": {
                        "standing_charge_per_year": 1,
                        "bands": [
                            {"name": "a", "price_per_kwh": 0.1, "hours": [[20, 26]]},
                            {"name": "b", "price_per_kwh": 0.1},
                        ],
                    }
                }
            },
            "o",
            "not within 0..24",
        ),
    ],
)
def test_a_bad_tariff_is_refused_with_the_reason(changes: dict[str, Any], option: str, words: str) -> None:
    with pytest.raises(TariffError, match=words):
        parse_tariff(document(**changes), option)


def test_an_unknown_tariff_id_names_the_known_ones() -> None:
    with pytest.raises(TariffError, match="fr_tarif_bleu_2025-02"):
        load_tariff("nowhere")
