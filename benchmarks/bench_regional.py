"""Many authorities and many scenarios.

Targets (regional issue), on the 2-core machine:
* the hierarchical model for 150 synthetic authorities x 84 months,
  4 chains x 1,000 draws: under 40 s;
* a grid of 1,000 scenarios x 10,000 draws through the distributed engine:
  throughput, and the speed-up with two workers over a serial run.

Usage: python benchmarks/bench_regional.py [--skip-fit] [--skip-grid] [--full] [--scenarios N]
(--full adds the negative-binomial likelihood, which took 268 s here)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402


def main(
    skip_fit: bool = False,
    n_scenarios: int = 1000,
    draws: int = 10_000,
    full: bool = False,
    skip_grid: bool = False,
) -> list[dict]:
    warnings.simplefilter("ignore")
    import numpy as np

    from sctforecast.regional import PooledCareFlowModel, run_scenario_grid, synthetic_authorities

    rows: list[dict] = []
    if not skip_fit:
        panel, truth = synthetic_authorities(n=150, months=84, random_seed=0)
        cases = [("poisson", "centered"), ("poisson", "noncentered")] + (
            [("negbin", "centered")] if full else []
        )
        for likelihood, param in cases:
            t0 = time.perf_counter()
            m = PooledCareFlowModel(
                likelihood=likelihood, parameterization=param, draws=1000, tune=1000, chains=4
            ).fit(panel, random_seed=1)
            t1 = time.perf_counter()
            r = m.rates()
            err = float(
                np.mean(
                    np.abs(
                        np.log(r["entry_rate_per_10k"].to_numpy())
                        - np.log(truth.entry_rate_per_10k)
                    )
                )
            )
            cov = float(
                np.mean(
                    (r["entry_lower"] <= truth.entry_rate_per_10k)
                    & (truth.entry_rate_per_10k <= r["entry_upper"])
                )
            )
            rows.append(
                {
                    "case": f"hierarchical 150 x 84, {likelihood}, {param}",
                    "seconds": t1 - t0,
                    "target": "< 40 s",
                    "detail": f"r_hat {m.diagnostics.max_r_hat:.3f}, {m.diagnostics.divergences} div, "
                    f"mean |log error| {err:.3f}, 90% coverage of entry rates {cov:.0%}",
                }
            )
            print(rows[-1], flush=True)
    if skip_grid:
        print_table("Regional benchmark", rows)
        return rows
    axes_n = int(round(n_scenarios ** (1 / 3)))
    uplift = list(np.round(np.linspace(0.0, 0.05, axes_n), 4))
    growth = list(np.round(np.linspace(-0.02, 0.08, axes_n), 4))
    pay = list(np.round(np.linspace(0.02, 0.05, int(np.ceil(n_scenarios / axes_n**2))), 4))
    from sctforecast.regional import scenario_grid

    grid = dict(
        list(
            scenario_grid(
                {
                    "contract_sum.uplift": uplift,
                    "placements.volume_growth": growth,
                    "staffing.pay_award": pay,
                }
            ).items()
        )[:n_scenarios]
    )
    sub = max(20, n_scenarios // 10)
    sub_grid = dict(list(grid.items())[:sub])
    t0 = time.perf_counter()
    serial_df, _ = run_scenario_grid(sub_grid, draws=draws, serial=True)
    t_serial = (time.perf_counter() - t0) * len(grid) / sub
    from sctforecast.regional.engine import close_client, make_client

    t0 = time.perf_counter()
    client = make_client(n_workers=2)
    client.run(lambda: __import__("sctforecast.mtfp"))  # workers import the library once
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    dist_df, res = run_scenario_grid(grid, draws=draws, client=client)
    t_dist = time.perf_counter() - t0
    close_client(client)
    same = dist_df.set_index("scenario").loc[serial_df["scenario"]].reset_index()
    identical = bool(np.allclose(same["closing_mean"], serial_df["closing_mean"], rtol=0, atol=0))
    rows.append(
        {
            "case": f"scenario grid serial ({sub} timed, scaled to {len(grid)})",
            "seconds": t_serial,
            "target": "",
            "detail": f"{len(grid) / t_serial:.1f} scenarios/s",
        }
    )
    rows.append(
        {
            "case": "start a local cluster of 2 workers",
            "seconds": t_start,
            "target": "",
            "detail": "",
        }
    )
    rows.append(
        {
            "case": f"scenario grid on Dask, 2 workers, {len(grid)} x {draws:,} draws",
            "seconds": t_dist,
            "target": "",
            "detail": f"{len(grid) / t_dist:.1f} scenarios/s, speed-up {t_serial / t_dist:.2f}x "
            f"({t_serial / (t_dist + t_start):.2f}x with the cluster start); "
            f"identical to serial: {identical}",
        }
    )
    print_table("Regional benchmark", rows)
    return rows


if __name__ == "__main__":
    args = sys.argv[1:]
    n = int(args[args.index("--scenarios") + 1]) if "--scenarios" in args else 1000
    main(
        skip_fit="--skip-fit" in args,
        n_scenarios=n,
        full="--full" in args,
        skip_grid="--skip-grid" in args,
    )
