"""Start fast: whole-process times of imports and light commands.

Targets: ``import sctforecast.demand`` under 1 s; ``sctforecast
reconcile`` on a ledger under 1.5 s, whole process.  The interpreter alone is
timed too, as the floor.  Medians of ``--repeat`` runs (default 7).

Usage: python benchmarks/bench_start.py [--repeat N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import median, print_table, process_times  # noqa: E402

LEDGER = (
    Path(__file__).resolve().parent.parent / "sctforecast" / "datasets" / "data" / "outturns.csv"
)
CASES = [
    ("python -c pass (the floor)", ["-c", "pass"], None),
    ("import sctforecast", ["-c", "import sctforecast"], None),
    ("import sctforecast.demand", ["-c", "import sctforecast.demand"], 1.0),
    ("import sctforecast.mtfp", ["-c", "import sctforecast.mtfp"], None),
    ("sctforecast --help", ["-m", "sctforecast", "--help"], None),
    ("sctforecast reconcile <ledger>", ["-m", "sctforecast", "reconcile", str(LEDGER)], 1.5),
]


def main(repeat: int = 7) -> list[dict]:
    rows = []
    for case, argv, limit in CASES:
        # reconcile exits 1 on the embedded outturn (its published 49 difference): not a failure
        times = process_times([sys.executable, *argv], repeat, ok=(0, 1))
        m = median(times)
        rows.append(
            {
                "case": case,
                "seconds": m,
                "runs": " ".join(f"{t:.2f}" for t in times),
                "target": "" if limit is None else f"< {limit} s",
                "met": "" if limit is None else ("yes" if m < limit else "no"),
            }
        )
    print_table("Start-up (whole process)", rows)
    return rows


if __name__ == "__main__":
    main(int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 7)
