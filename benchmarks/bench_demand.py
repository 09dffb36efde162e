"""Demand model fits.

Targets (demand issue), on the 2-core machine:
* the aggregate model on the published Sandwell series (6 years of flows, 15
  published stocks, 2 rolling flows, 13 foster counts, 2 UASC counts), and on 84
  monthly points, with 4 chains x 1,000 draws: under 15 s wall with a warm
  compile cache, under 35 s cold; compared with PyMC's own NUTS sampler
  ("compile s" and "sample s" split nutpie's fit);
* the placement-level model on an authority with about 1,000 children in care
  and 8 years of episodes: fit and simulate 60 months x 1,000 draws in under 10 s.

Each aggregate fit runs in a fresh process; "cold" points PyTensor's and
Numba's caches at empty folders, "warm" runs again with the same folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from sctforecast.datasets import sandwell_care_flows
from sctforecast.demand import CareFlowConfig, CareFlowData, CareFlowModel
from sctforecast.ssda903 import monthly_counts, read_ssda903
kind, sampler = sys.argv[1], sys.argv[2]
if kind == "yearly":
    data = sandwell_care_flows()
else:
    d = read_ssda903(sys.argv[3])
    data = CareFlowData.from_monthly_counts(monthly_counts(d, start="2017-04", end="2024-03"), population=85_824)
t1 = time.perf_counter()
m = CareFlowModel(CareFlowConfig(draws=1000, tune=1000, chains=4, sampler=sampler)).fit(data, random_seed=1)
t2 = time.perf_counter()
print(json.dumps({"periods": data.T, "import_s": t1 - t0, "fit_s": t2 - t1, "total_s": t2 - t0,
                  "compile_s": m.fit_seconds["compile"], "sample_s": m.fit_seconds["sample"],
                  "r_hat": m.diagnostics.max_r_hat, "divergences": m.diagnostics.divergences}))
"""


def run_child(kind: str, sampler: str, cache: str, folder: str) -> dict:
    env = dict(
        os.environ, PYTENSOR_FLAGS=f"compiledir={cache}/pytensor", NUMBA_CACHE_DIR=f"{cache}/numba"
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, sampler, folder],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


CASES = (("yearly", "nutpie"), ("yearly", "pymc"), ("monthly", "nutpie"))


def main(cases: tuple[tuple[str, str], ...] = CASES) -> list[dict]:
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.ssda903 import default_truth, read_ssda903, synthetic_ssda903, write_ssda903

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        h, e, _ = synthetic_ssda903(
            years=8, initial_children=1000, truth=default_truth(scale=1.5), random_seed=7
        )
        write_ssda903(h, e, Path(tmp) / "ssda903")
        for kind, sampler in cases:
            cache = tempfile.mkdtemp(dir=tmp)
            for state in ("cold", "warm"):
                r = run_child(kind, sampler, cache, str(Path(tmp) / "ssda903"))
                rows.append(
                    {
                        "case": f"aggregate {kind} ({r['periods']} points)",
                        "sampler": sampler,
                        "cache": state,
                        "fit s": r["fit_s"],
                        "compile s": r["compile_s"],
                        "sample s": r["sample_s"],
                        "process s": r["total_s"],
                        "target": "< 15 s warm, < 35 s cold",
                        "max r_hat": r["r_hat"],
                        "divergences": r["divergences"],
                    }
                )
                print(rows[-1], flush=True)
        data = read_ssda903(Path(tmp) / "ssda903")
        t0 = time.perf_counter()
        m = PlacementFlowModel(n_draws=1000).fit(data, since="2016-04-01")
        t1 = time.perf_counter()
        m.simulate(60, random_seed=1)
        t2 = time.perf_counter()
        in_care = int(m.start_state.sum())
        rows.append(
            {
                "case": f"placement model ({in_care} in care, 8 years)",
                "sampler": "conjugate",
                "cache": "-",
                "fit s": t1 - t0,
                "compile s": float("nan"),
                "sample s": float("nan"),
                "process s": t2 - t0,
                "target": "< 10 s fit + 60x1000 sim",
                "max r_hat": float("nan"),
                "divergences": 0,
            }
        )
    print_table("Demand model benchmark ('process s' adds imports and data loading)", rows)
    return rows


if __name__ == "__main__":
    # "all" adds the monthly model with PyMC's own NUTS, which took over 7 minutes here
    main(CASES + (("monthly", "pymc"),) if sys.argv[1:] == ["all"] else CASES)
