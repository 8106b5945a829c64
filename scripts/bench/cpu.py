"""Process and thread CPU time from /proc (Linux), and the arithmetic of the benchmarks' figures."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stat_cpu_seconds(stat: str) -> float:
    """utime + stime of a /proc/<pid>/stat (or task) line, in seconds. The command name in
    parentheses may hold spaces, so fields are counted after its closing parenthesis."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of the whole line


def _read_cpu(path: Path) -> float:
    try:
        return stat_cpu_seconds(path.read_text())
    except (OSError, ValueError):
        return 0.0  # the process or thread ended between listing and reading


def process_tree_cpu(pid: int, proc: Path = PROC) -> float:
    """CPU seconds of a process and its live descendants (gunicorn's master and workers)."""
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
            except (OSError, ValueError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier += children
    return sum(_read_cpu(proc / str(p) / "stat") for p in tree)


def threads_cpu(prefixes: Iterable[str]) -> float:
    """CPU seconds of this process's live threads whose names start with one of `prefixes`."""
    wanted = tuple(prefixes)
    ids = [t.native_id for t in threading.enumerate() if t.name.startswith(wanted) and t.native_id]
    return sum(_read_cpu(PROC / "self" / "task" / str(tid) / "stat") for tid in ids)


def percentiles(values: Sequence[float], points: Mapping[str, float]) -> dict[str, float]:
    """Named percentiles (numpy's linear interpolation), rounded to the millisecond; NaN if empty."""
    if not values:
        return {name: float("nan") for name in points}
    array = np.asarray(values, dtype=float)
    return {name: round(float(np.percentile(array, q)), 3) for name, q in points.items()}


def per_household_hour(cpu_seconds: float, household_hours: float) -> float:
    """CPU seconds per household-hour of readings."""
    if household_hours <= 0:
        raise ValueError("no household-hours measured")
    return cpu_seconds / household_hours


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")
