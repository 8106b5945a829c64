"""The evaluation's pictures: RMSE by lead, the band's calibration, month projections against truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from scripts.evaluation.next_hours import Backtest

NOMINAL = 0.8


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def rmse_by_lead(scores: dict[str, Any], path: Path, household: str) -> None:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 4))
    for method, values in scores["by_lead"].items():
        rmse = [np.nan if v is None else v for v in values["rmse_kw"]]
        axis.plot(range(1, len(rmse) + 1), rmse, marker=".", label=method.replace("_", " "))
    axis.set_xlabel("lead (hours ahead)")
    axis.set_ylabel("RMSE (kW)")
    axis.set_title(f"{household}: next-hours RMSE by lead, test period")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def band_calibration(result: Backtest, path: Path, household: str) -> None:
    """Share of hours below each quantile, by lead: a calibrated P10 holds 10 %, P90 90 %."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 4))
    leads = np.arange(1, result.actual.shape[1] + 1)
    for name, values in result.quantiles.items():
        usable = ~np.isnan(values) & ~np.isnan(result.actual)
        below = [
            (result.actual[usable[:, k], k] <= values[usable[:, k], k]).mean() for k in range(len(leads))
        ]
        axis.plot(leads, below, marker=".", label=f"{name}: share of hours at or below")
        axis.axhline(int(name[1:]) / 100, color="grey", linewidth=0.8, linestyle="--")
    axis.set_ylim(0, 1)
    axis.set_xlabel("lead (hours ahead)")
    axis.set_ylabel("share of test hours")
    axis.set_title(f"{household}: quantile calibration (dashed: nominal)")
    axis.legend(loc="center right")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def month_projections(cases: list[dict[str, Any]], path: Path, household: str) -> None:
    """Each complete month's projected total (as of days 8, 15, 22, with the interval) and its truth."""
    plt = _pyplot()
    complete = [c for c in cases if c["complete"]]
    months = sorted({c["month"] for c in complete})
    figure, axis = plt.subplots(figsize=(10, 4))
    offsets = {8: -0.2, 15: 0.0, 22: 0.2}
    for day, offset in offsets.items():
        rows = [c for c in complete if c["as_of_day"] == day]
        x = [months.index(c["month"]) + offset for c in rows]
        y = [c["projected_month_kwh"] for c in rows]
        low = [c["projected_month_kwh"] - c["projected_month_kwh_lower"] for c in rows]
        high = [c["projected_month_kwh_upper"] - c["projected_month_kwh"] for c in rows]
        axis.errorbar(x, y, yerr=[low, high], fmt="o", capsize=3, label=f"projected as of day {day}")
    truth = {c["month"]: c["month_actual_kwh"] for c in complete}
    axis.scatter(
        range(len(months)), [truth[m] for m in months], marker="_", s=400, color="black", label="actual"
    )
    axis.set_xticks(range(len(months)), months, rotation=30)
    axis.set_ylabel("month total (kWh)")
    axis.set_title(f"{household}: month projections with their {NOMINAL:.0%} interval against the truth")
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
