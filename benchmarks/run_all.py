"""Run every benchmark and print one table at the end.

Usage: python benchmarks/run_all.py [--quick]
--quick skips the slowest studies (the 150-authority hierarchical fit and the
backtests) and runs a 200-scenario grid instead of 1,000.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_costs  # noqa: E402
import bench_demand  # noqa: E402
import bench_main  # noqa: E402
import bench_mtfp  # noqa: E402
import bench_regional  # noqa: E402
import bench_scenarios  # noqa: E402
import bench_start  # noqa: E402
from _table import print_table  # noqa: E402


def main(quick: bool = False) -> None:
    t0 = time.perf_counter()
    rows: list[dict] = []

    def add(source: str, results: list[dict]) -> None:
        for r in results:
            rows.append(
                {
                    "benchmark": source,
                    "case": f"{r.get('case', '')} {r.get('sampler', '')} "
                    f"{r.get('cache', '')}".strip(),
                    "seconds": r.get("seconds", r.get("fit s")),
                    "target": r.get("target", ""),
                }
            )

    add("start-up", bench_start.main())
    add("main job", bench_main.main())
    add("cost kernel", bench_costs.main())
    add("MTFP projector", bench_mtfp.main())
    add("scenario batch", bench_scenarios.main(repeat=3 if quick else 5))
    add("demand fits", bench_demand.main())
    add("regional", bench_regional.main(skip_fit=quick, n_scenarios=200 if quick else 1000))
    if not quick:
        import backtest

        backtest.main()
    print_table(f"All benchmarks ({time.perf_counter() - t0:.0f} s in all)", rows)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
