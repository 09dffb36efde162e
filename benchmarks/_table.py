"""Shared helpers for the benchmark scripts: timing and a printed table."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"


def print_table(title: str, rows: list[dict[str, object]]) -> None:
    cols = list(rows[0])
    width = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in cols}
    print(f"\n{title}  ({machine()})")
    print("  ".join(c.ljust(width[c]) for c in cols))
    print("  ".join("-" * width[c] for c in cols))
    for r in rows:
        print("  ".join(_fmt(r[c]).ljust(width[c]) for c in cols))


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def process_times(
    argv: list[str],
    repeat: int = 5,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
) -> list[float]:
    """Wall times (seconds) of ``repeat`` runs of a whole process; raises when it
    exits with a code not in ``ok``."""
    import subprocess

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = subprocess.run(argv, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if res.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} failed:\n{res.stderr[-2000:]}")
    return times


def median(values: list[float]) -> float:
    return float(np.median(values))
