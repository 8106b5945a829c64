"""`wattcast evaluate`: backtest the served bundles, write evaluation.json and the plots to a folder.

Per household: the LSTM bundle's next hours (scripts.evaluation.next_hours) and, where the folder
holds one, the household's Prophet bundle's months (scripts.evaluation.months). The members' own
test figures come from the LSTM bundle's metadata (measured at training, on the same hours).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.data.simulate import apply_profile, household_profiles
from scripts.data.uci import hourly_series, load_uci
from scripts.evaluation import plots
from scripts.evaluation.months import month_cases, month_scores
from scripts.evaluation.next_hours import backtest, scores
from scripts.evaluation.served import ServedBundle
from scripts.training.prophet import daily_kwh_of
from services.core import features

logger = logging.getLogger(__name__)
MEMBER_KEYS = ("members_rmse_kw", "members_rmse_lead24_kw", "band_coverage_by_lead", "gbm_rmse_by_lead_kw")


@dataclass(frozen=True)
class EvaluationOptions:
    data: Path
    out: Path
    lstm: Path | None
    prophet_dir: Path | None
    households: tuple[str, ...] = ("h000",)
    train_end: str = "2010-01-01"
    seed: int = 0


def evaluate(options: EvaluationOptions) -> dict[str, Any]:
    options.out.mkdir(parents=True, exist_ok=True)
    frame = load_uci(options.data)
    profiles = {p.household_id: p for p in household_profiles(_count(options.households), seed=options.seed)}
    first_hour = features.epoch_hour(f"{options.train_end}T00:00:00Z")
    report: dict[str, Any] = {"train_end": options.train_end, "households": {}}
    lstm = ServedBundle(options.lstm, "lstm") if options.lstm else None
    try:
        if lstm is not None:
            report["lstm_bundle"] = {
                "version": lstm.metadata.get("version"),
                "members_at_training": {k: lstm.metadata.get("metrics", {}).get(k) for k in MEMBER_KEYS},
                "blend": lstm.metadata.get("blend"),
            }
        for household in options.households:
            series = hourly_series(apply_profile(frame, profiles[household]))
            report["households"][household] = _household(household, series, lstm, first_hour, options)
    finally:
        if lstm is not None:
            lstm.close()
    (options.out / "evaluation.json").write_text(json.dumps(report, indent=2))
    return report


def _household(
    household: str,
    series: features.HourlySeries,
    lstm: ServedBundle | None,
    first_hour: int,
    options: EvaluationOptions,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if lstm is not None:
        logger.info("%s: next hours from %s", household, options.train_end)
        hours = backtest(lstm, series, first_hour)
        result["next_hours"] = scores(hours)
        plots.rmse_by_lead(result["next_hours"], options.out / f"{household}_rmse_by_lead.png", household)
        plots.band_calibration(hours, options.out / f"{household}_band_calibration.png", household)
    bundle = options.prophet_dir / household / "model.tar.gz" if options.prophet_dir else None
    if bundle is not None and bundle.exists():
        logger.info("%s: months from %s", household, options.train_end)
        with ServedBundle(bundle, "prophet") as prophet:
            cases = month_cases(prophet, daily_kwh_of(series), options.train_end)
        result["months"] = {**month_scores(cases), "cases": cases}
        plots.month_projections(cases, options.out / f"{household}_months.png", household)
    return result


def _count(households: tuple[str, ...]) -> int:
    indexes = [int(h.lstrip("h")) for h in households if h.lstrip("h").isdigit()]
    if len(indexes) != len(households):
        raise ValueError(f"household ids are h000, h001, ...; got {', '.join(households)}")
    return max(indexes) + 1


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures the README quotes, per household."""
    lines: dict[str, Any] = {}
    for household, result in report["households"].items():
        line: dict[str, Any] = {}
        if "next_hours" in result:
            by_lead = result["next_hours"]["by_lead"]
            for method, values in by_lead.items():
                line[f"{method}_rmse_lead1"] = values["rmse_kw"][0]
                line[f"{method}_rmse_lead24"] = values["rmse_kw"][-1]
            coverage = result["next_hours"].get("band_p10_p90_coverage_by_lead")
            if coverage:
                line["band_coverage_lead1"], line["band_coverage_lead24"] = coverage[0], coverage[-1]
        if "months" in result:
            line["month_mape_pct_from_day15"] = result["months"]["mape_pct_from_day15"]
            line["month_interval_coverage"] = result["months"]["interval_coverage"]
        lines[household] = line
    return lines
