"""Where tests find the full UCI file: beside the repository (../shared/data, as on our machines and
in CI), or wherever WATTCAST_FULL_DATA points. Tests that need it skip when it is absent."""

import os
from pathlib import Path

FULL_UCI_FILE = Path(
    os.environ.get(
        "WATTCAST_FULL_DATA",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "household_power_consumption.txt.gz",
    )
)
