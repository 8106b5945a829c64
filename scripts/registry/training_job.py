"""The SageMaker training container's entry: `docker run IMAGE train` runs `wattcast models retrain`.

SageMaker writes the job's hyperparameters (all strings) to /opt/ml/input/config/hyperparameters.json:

    model            lstm (default) | prophet (= prophet-default)
    households       comma-separated stored households (default: all)
    lookback, horizon, units, epochs, max_minutes, validation_days, seed    LSTM training
    force            "true": promote even if the challenger is not better (reported)

The report goes to /opt/ml/output/data/retrain.json (SageMaker uploads it with the job's output);
a failure's reason to /opt/ml/output/failure, which SageMaker shows as the job's FailureReason.
The AWS names and the holdout come from the WATTCAST_* environment, as everywhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from services.core.errors import SettingsError

OPT_ML = Path("/opt/ml")
HYPERPARAMETERS = Path("input/config/hyperparameters.json")
REPORT = Path("output/data/retrain.json")
FAILURE = Path("output/failure")
SLOTS = {"lstm": "lstm", "prophet": "prophet-default", "prophet-default": "prophet-default"}
NUMBERS = ("lookback", "horizon", "units", "epochs", "max_minutes", "validation_days", "seed")
TRUE = ("1", "true", "yes", "on")


def retrain_argv(hyperparameters: Mapping[str, Any], report: Path | None = None) -> list[str]:
    """The `wattcast` arguments for the job's hyperparameters; SettingsError for an unknown one."""
    values = {key: str(value).strip() for key, value in hyperparameters.items()}
    unknown = sorted(set(values) - {"model", "households", "force", *NUMBERS})
    if unknown:
        raise SettingsError(f"unknown hyperparameters: {', '.join(unknown)}")
    model = values.get("model", "lstm")
    if model not in SLOTS:
        raise SettingsError(f"hyperparameter model must be lstm or prophet, got {model!r}")
    argv = ["models", "retrain", SLOTS[model]]
    for household in filter(None, (h.strip() for h in values.get("households", "").split(","))):
        argv += ["--household", household]
    for name in NUMBERS:
        if name in values:
            argv += [f"--{name.replace('_', '-')}", values[name]]
    if values.get("force", "").lower() in TRUE:
        argv.append("--force")
    if report is not None:
        argv += ["--report", str(report)]
    return argv


def main(argv: Sequence[str] | None = None, root: Path = OPT_ML) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["train"]:
        print("usage: IMAGE train   (the SageMaker training contract)", file=sys.stderr)
        return 2
    from scripts.cli import main as wattcast

    path = root / HYPERPARAMETERS
    try:
        hyperparameters = json.loads(path.read_text()) if path.exists() else {}
        code = wattcast(retrain_argv(hyperparameters, root / REPORT))
    except (SettingsError, ValueError) as exc:
        print(f"training job: {exc}", file=sys.stderr)
        code, reason = 2, str(exc)
    else:
        reason = f"wattcast models retrain exited with {code}; see the job's log"
    if code != 0 and (root / FAILURE).parent.is_dir():
        (root / FAILURE).write_text(reason)
    return code


if __name__ == "__main__":
    sys.exit(main())
