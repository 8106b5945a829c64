"""`wattcast bench pipeline`: the whole embedded pipeline under load.

Hour-close -> forecast-stored latency (p50/p95: the forecast item's store time minus the arrival of
its hour-closed event), forecasts stored per second while preprocess is busy, and the AWS calls the
two Lambdas make per 1,000 readings, by service and operation (ESM polling excluded: on AWS that is
Lambda's own work). Sample bundles stand in for trained ones (same layout and handlers).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from scripts.bench.aws_calls import count_calls, count_calls_of, per_1000
from scripts.data.replay import ReplayOptions, replay
from scripts.local.mappings import default_mappings
from scripts.local.stack import EmbeddedStack
from scripts.stores.forecasts import forecast_items
from scripts.training.samples import sample_lstm_bundle, sample_prophet_bundle


def measure(households: int, days: float, per_record: int, bundles: dict[str, Path]) -> dict[str, Any]:
    stack = EmbeddedStack()
    try:
        stack.start(mappings=False)
        assert stack.clients is not None
        settings = stack.clients.settings
        for target, bundle in (
            (settings.lstm_target_model, bundles["lstm"]),
            (settings.prophet_default_model, bundles["prophet"]),
        ):
            stack.clients.s3.upload_file(str(bundle), settings.data_bucket, settings.models_prefix + target)
        calls = count_calls()
        scoring = count_calls_of(settings.accuracy_function)
        stack.start_mappings(default_mappings(settings))
        options = ReplayOptions(
            households=households,
            days=days,
            start="2010-01-04",
            readings_per_record=per_record,
            bad_share=0.02,
            progress=False,
        )
        started = time.monotonic()
        sent = replay(options, stack.clients)
        stack.run_until_idle(idle_seconds=2.0, timeout=1800)
        elapsed = time.monotonic() - started
        items = [i for h in sent.readings_by_household for i in forecast_items(stack.clients, h, "lstm")]
    finally:
        stack.stop()
    latency = np.array([i["stored_at"] - i["event_arrival"] for i in items])
    stored = np.array(sorted(i["stored_at"] for i in items))
    by_service, by_operation = per_1000(calls, sent.readings, digits=3)
    _, scoring_by_operation = per_1000(scoring, sent.readings, digits=3)
    return {
        "readings_per_record": per_record,
        "readings": sent.readings,
        "forecasts": len(items),
        "seconds": round(elapsed, 1),
        "latency_p50_s": round(float(np.percentile(latency, 50)), 3),
        "latency_p95_s": round(float(np.percentile(latency, 95)), 3),
        "forecasts_per_s_while_busy": round(len(items) / max(stored[-1] - stored[0], 1e-9), 1),
        "calls_per_1000_readings": by_service,
        "calls_per_1000_by_operation": by_operation,
        # of those, what production scoring adds (the accuracy function's own calls)
        "scoring_calls_per_1000_by_operation": scoring_by_operation,
    }


def _in_fresh_process(
    households: int, days: float, per_record: int, bundles: dict[str, Path]
) -> dict[str, Any]:
    """One scenario per process: a second run in the same process undercounts its calls (clients
    and hooks carried over from the first), and a benchmark should start cold anyway."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, households, days, per_record, bundles).result()


def pipeline_figures(
    households: int = 10, days: float = 4.0, per_record: tuple[int, ...] = (60, 1)
) -> list[dict[str, Any]]:
    """One scenario per readings-per-record value, each in a fresh process."""

    with tempfile.TemporaryDirectory() as tmp:
        bundles = {
            "lstm": sample_lstm_bundle(Path(tmp) / "lstm.tar.gz"),
            "prophet": sample_prophet_bundle(Path(tmp) / "p.tar.gz"),
        }
        return [_in_fresh_process(households, days, k, bundles) for k in per_record]
