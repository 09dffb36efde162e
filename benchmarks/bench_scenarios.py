"""Comparing scenarios: five scenarios on the same 2,000 paths against one.

Target: ``sctforecast project A B C D E --draws 2000`` (one
comparison table and chart, each scenario's tables) under 1.5 times
``sctforecast project A --draws 2000`` (one scenario's tables, workbook and
charts), whole process each, median of several runs, run alternately so both
see the same load.

Usage: python benchmarks/bench_scenarios.py [--repeat N]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import median, print_table, process_times  # noqa: E402

FIVE = ["default", "flat_cash", "high_demand", "inflation_funded", "savings_slippage"]


def main(repeat: int = 5) -> list[dict]:
    cmd = [sys.executable, "-m", "sctforecast", "project"]
    one: list[float] = []
    five: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):  # alternate, so both see the same load on a shared machine
            one += process_times([*cmd, FIVE[0], "--draws", "2000", "--out", f"{tmp}/one"], 1)
            five += process_times([*cmd, *FIVE, "--draws", "2000", "--out", f"{tmp}/five"], 1)
    ratio = median(five) / median(one)
    rows = [
        {
            "case": "project, 1 scenario x 2,000 paths",
            "median s": median(one),
            "runs": " ".join(f"{t:.2f}" for t in one),
            "ratio": 1.0,
            "target": "",
        },
        {
            "case": "project, 5 scenarios x 2,000 paths (same paths)",
            "median s": median(five),
            "runs": " ".join(f"{t:.2f}" for t in five),
            "ratio": ratio,
            "target": "ratio < 1.5" + (" (met)" if ratio < 1.5 else " (NOT met)"),
        },
    ]
    print_table("Scenario batch benchmark (whole process)", rows)
    return [{"case": r["case"], "seconds": r["median s"], "target": r["target"]} for r in rows]


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    main(n)
