"""Compile once: the aggregate yearly fit, cold and warm compile caches, whole process.

Targets (speed issue): the aggregate yearly fit (4 chains x 1,000 draws) with a
warm compile cache under 5 s; cold under 25 s.  Compared, each in fresh
processes:

* ``pm.sample(nuts_sampler="nutpie")`` with PyTensor's compile folder in a
  fresh folder (cold) and again with the same folder (warm): what the fit did
  before;
* the library's fit (:mod:`sctforecast.demand.compile_cache`: the folder in the
  cache, a digamma PyTensor can cache, nutpie fed the cached functions).

"fit s" is compile plus sampling inside the process; "process s" the whole
process (imports included).  Medians of ``--repeat`` runs (default 3).

Usage: python benchmarks/bench_compile.py [--repeat N]
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
from _table import median, print_table  # noqa: E402

CHILD = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
mode, root = sys.argv[1], sys.argv[2]
if mode == "library":
    from sctforecast.demand.compile_cache import use_compile_cache
    use_compile_cache(root)
else:
    os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={root}/pytensor"
from sctforecast.demand import CareFlowConfig, CareFlowData, CareFlowModel
import pymc as pm
data = CareFlowData.sandwell()
model = CareFlowModel(CareFlowConfig(draws=1000, tune=1000, chains=4)).build(data)
t1 = time.perf_counter()
kw = dict(draws=1000, tune=1000, chains=4, target_accept=0.9)
if mode == "library":
    import nutpie
    from sctforecast.demand.compile_cache import compile_nutpie
    idata = nutpie.sample(compile_nutpie(model, callbacks=sys.argv[3]), cores=2, seed=1,
                          progress_bar=False, **kw)
else:
    with model:
        idata = pm.sample(nuts_sampler="nutpie", cores=2, random_seed=1, progressbar=False,
                          compute_convergence_checks=False, **kw)
t2 = time.perf_counter()
print(json.dumps({"fit_s": t2 - t1, "a_mean": float(idata.posterior["a"].mean())}))
"""


def _run(mode: str, root: str) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, root],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTENSOR_FLAGS", "NUMBA_CACHE_DIR")},
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {**res, "process_s": time.perf_counter() - t0}


def main(repeat: int = 3) -> list[dict]:
    rows = []
    for mode, label in (("pymc", "pm.sample nutpie"), ("library", "library fit")):
        cold, warm = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(repeat):
                cold.append(_run(mode, f"{tmp}/cold{k}"))  # a fresh folder each time
                warm.append(_run(mode, f"{tmp}/cold0"))  # the first cold run's folder
        for state, runs, target in (("cold", cold, "< 25 s"), ("warm", warm, "< 5 s")):
            fit = median([r["fit_s"] for r in runs])
            rows.append(
                {
                    "case": f"{label}, {state} compile cache",
                    "fit s": fit,
                    "process s": median([r["process_s"] for r in runs]),
                    "runs (fit s)": " ".join(f"{r['fit_s']:.1f}" for r in runs),
                    "target": target if mode == "library" else "",
                    "met": ("yes" if fit < float(target[2:-2]) else "no")
                    if mode == "library"
                    else "",
                    "posterior mean a": f"{runs[0]['a_mean']:.6f}",
                }
            )
            print(rows[-1], flush=True)
    print_table("Aggregate yearly fit: compile caches (4 chains x 1,000 draws)", rows)
    return [{"case": r["case"], "seconds": r["fit s"], "target": r["target"]} for r in rows]


if __name__ == "__main__":
    main(int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3)
