"""`wattcast monitor`'s report: production error, fleet and household, beside the models' test error.

Reads what the accuracy function keeps (each household's rolling error and drift mark, the days'
error sums, the months' projection scores) and the test metrics published beside each bundle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.accuracy import records
from services.accuracy.drift import Baseline
from services.accuracy.ports import FLEET, AccuracyStore, Baselines
from services.accuracy.scoring import ErrorSums

SHOWN_LEADS = (1, 6, 12, 24)


@dataclass(frozen=True)
class MonitorReport:
    window_days: int
    as_of: str | None
    fleet: dict[str, Any] | None
    households: list[dict[str, Any]]
    months: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "as_of": self.as_of,
            "fleet": self.fleet,
            "households": self.households,
            "months": self.months,
        }


def monitor_report(
    store: AccuracyStore, baselines: Baselines, window_days: int, household_ids: Sequence[str] | None = None
) -> MonitorReport:
    marks = {i["household_id"]: i for i in store.everyone(records.DRIFT_KEY, records.DRIFT_KEY)}
    rolling = {i["household_id"]: i for i in store.everyone(records.ROLLING_KEY, records.ROLLING_KEY)}
    wanted = set(household_ids) if household_ids else {h for h in rolling if h != FLEET}
    newest = max((date.fromisoformat(rolling[h]["as_of"]) for h in wanted if h in rolling), default=None)
    if newest is None:
        return MonitorReport(window_days, None, None, [], [])
    first = newest - timedelta(days=window_days - 1)
    days = [
        i
        for i in store.everyone(records.day_key(first), records.day_key(newest))
        if i["household_id"] in wanted
    ]
    households = [_household(h, rolling.get(h), marks.get(h), baselines) for h in sorted(wanted)]
    months = [_month(i) for i in store.everyone("month#", "month#~") if i["household_id"] in wanted]
    return MonitorReport(
        window_days, newest.isoformat(), _fleet(days, marks.get(FLEET), baselines), households, months
    )


def _fleet(
    days: list[dict[str, Any]], mark: dict[str, Any] | None, baselines: Baselines
) -> dict[str, Any] | None:
    if not days:
        return None
    total, models = ErrorSums(), defaultdict[str, int](int)
    for item in days:
        _, sums, model = records.day_sums(item)
        total.add(sums)
        models[model] += 1
    model = max(models, key=models.__getitem__)
    baseline = baselines.baseline(model)
    return {
        "households": len({i["household_id"] for i in days}),
        "model": model,
        "by_lead": {str(lead): _versus(records.lead_summary(total.by_lead[lead]), baseline, lead)
                    for lead in SHOWN_LEADS if lead in total.by_lead},
        "overall": _versus(records.lead_summary(total.overall()), baseline, None),
        "drift": _mark(mark),
    }  # fmt: skip


def _household(
    household_id: str, rolling: dict[str, Any] | None, mark: dict[str, Any] | None, baselines: Baselines
) -> dict[str, Any]:
    if rolling is None:
        return {"household_id": household_id, "as_of": None, "drift": _mark(mark)}
    baseline = baselines.baseline(str(rolling.get("model", "")))
    by_lead = rolling.get("by_lead", {})
    return {
        "household_id": household_id,
        "as_of": rolling["as_of"],
        "days": rolling["days"],
        "model": rolling.get("model"),
        "next_hour": _versus(by_lead.get("1") or {}, baseline, 1),
        "overall": _versus(rolling.get("overall") or {}, baseline, None),
        "drift": _mark(mark),
    }


def _versus(summary: dict[str, Any], baseline: Baseline | None, lead: int | None) -> dict[str, Any]:
    """A production summary beside the model's test RMSE (and band coverage) at that lead."""
    test_rmse = test_coverage = None
    if baseline is not None:
        if lead is None:
            test_rmse = baseline.rmse_kw
            coverage = baseline.coverage_by_lead
            test_coverage = sum(coverage) / len(coverage) if coverage else None
        elif lead <= len(baseline.rmse_by_lead_kw):
            test_rmse = baseline.rmse_by_lead_kw[lead - 1]
            if lead <= len(baseline.coverage_by_lead):
                test_coverage = baseline.coverage_by_lead[lead - 1]
    rmse = summary.get("rmse_kw")
    ratio = rmse / test_rmse if isinstance(rmse, int | float) and test_rmse else None
    return summary | {
        "test_rmse_kw": None if test_rmse is None else round(test_rmse, 4),
        "rmse_vs_test": None if ratio is None else round(ratio, 2),
        "test_coverage": None if test_coverage is None else round(test_coverage, 4),
    }


def _mark(mark: dict[str, Any] | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {k: mark.get(k) for k in ("status", "since", "day", "ratio", "run_days")}


def _month(item: dict[str, Any]) -> dict[str, Any]:
    projections = item.get("projections") or []
    errors = [abs(p["error_pct"]) for p in projections if isinstance(p.get("error_pct"), int | float)]
    within = [p["within_interval"] for p in projections if p.get("within_interval") is not None]
    return {
        "household_id": item["household_id"],
        "month": item["month"],
        "actual_kwh": item["actual_kwh"],
        "hours_measured_share": item.get("hours_measured_share"),
        "projections": len(projections),
        "mean_abs_error_pct": round(sum(errors) / len(errors), 2) if errors else None,
        "within_interval": round(sum(within) / len(within), 3) if within else None,
    }


def format_report(report: MonitorReport) -> list[str]:
    if report.as_of is None:
        return ["no scored forecasts yet: the accuracy function scores each hour as it closes"]
    lines = [f"production accuracy over the {report.window_days} days to {report.as_of}"]
    if report.fleet:
        lines += _fleet_lines(report.fleet)
    lines += [
        "",
        _row("household", "days", "next-h MAE", "next-h RMSE", "x test", "all RMSE", "x test", "coverage"),
    ]
    lines += [_household_line(h) for h in report.households]
    if report.months:
        lines += ["", _row("household", "month", "actual kWh", "projections", "mean|err|%", "in interval")]
        lines += [
            _row(m["household_id"], m["month"], _f(m["actual_kwh"], 1), m["projections"],
                 _f(m["mean_abs_error_pct"], 2), _f(m["within_interval"]))
            for m in report.months
        ]  # fmt: skip
    return lines


def _fleet_lines(fleet: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"fleet: {fleet['households']} households, model {fleet['model']}, drift "
        + (_status(fleet["drift"]) if fleet["drift"] else "not swept yet (the daily sweep marks the fleet)"),
        _row("lead", "pairs", "MAE kW", "RMSE kW", "test RMSE", "x test", "coverage", "test cov"),
    ]
    for lead, r in [*fleet["by_lead"].items(), ("all", fleet["overall"])]:
        lines.append(
            _row(lead, r["pairs"], _f(r["mae_kw"]), _f(r["rmse_kw"]), _f(r["test_rmse_kw"]),
                 _f(r["rmse_vs_test"], 2), _f(r["coverage"]), _f(r["test_coverage"]))
        )  # fmt: skip
    return lines


def _household_line(h: dict[str, Any]) -> str:
    if h["as_of"] is None:
        return _row(h["household_id"], "not scored yet")
    nh, ov = h["next_hour"], h["overall"]
    cells = (
        nh.get("mae_kw"),
        nh.get("rmse_kw"),
        nh.get("rmse_vs_test"),
        ov.get("rmse_kw"),
        ov.get("rmse_vs_test"),
    )
    values = [_f(v, 2 if i in (2, 4) else 3) for i, v in enumerate(cells)]
    return _row(h["household_id"], h["days"], *values, _f(ov.get("coverage"))) + "  " + _status(h["drift"])


def _row(first: Any, *cells: Any) -> str:
    return f"  {first!s:<12}" + "".join(f" {cell!s:>11}" for cell in cells)


def _status(mark: dict[str, Any] | None) -> str:
    if not mark:
        return "not checked"
    if mark.get("status") == "drifting":
        return f"DRIFTING since {mark.get('since')} (x{mark.get('ratio')} of test)"
    return f"steady (x{mark.get('ratio')} of test)"


def _f(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "-"
