"""Compile once: the aggregate yearly fit, cold and warm compile caches, whole process.

Targets: the aggregate yearly fit on the embedded published counts (4 chains
x 1,000 draws) with a warm compile cache under 5 s; cold under 25 s.  Compared,
each in fresh processes, cold (a fresh compile folder) and warm (the first cold
run's folder again):

* ``pm.sample(nuts_sampler="nutpie")`` with PyTensor's compile folder set by
  ``PYTENSOR_FLAGS``;
* the library's fit, ``CareFlowModel.fit`` (the compile folder chosen by
  :mod:`sctforecast.demand.compile_cache`, nutpie's C wrappers);
* nutpie fed PyTensor's cached functions as Python callbacks
  (``compile_nutpie(model, callbacks="python")``): no wrapper to compile, slower
  gradients.

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
mode, root = sys.argv[1], sys.argv[2]
if mode == "pymc":
    os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={root}/pytensor"
else:
    from sctforecast.demand.compile_cache import use_compile_cache
    use_compile_cache(root)
from sctforecast.datasets import sandwell_care_flows
from sctforecast.demand import CareFlowConfig, CareFlowModel
data = sandwell_care_flows()
config = CareFlowConfig(draws=1000, tune=1000, chains=4)
t1 = time.perf_counter()
if mode == "library":  # what CareFlowModel.fit does: nutpie's C wrappers
    fitted = CareFlowModel(config).fit(data, random_seed=1)
    post = fitted.posterior_dataset()
else:
    import nutpie
    import pymc as pm
    model = CareFlowModel(config).build(data)
    kw = dict(draws=1000, tune=1000, chains=4, target_accept=config.target_accept)
    if mode == "python-callbacks":
        from sctforecast.demand.compile_cache import compile_nutpie
        post = nutpie.sample(compile_nutpie(model, callbacks="python"), cores=2, seed=1,
                             progress_bar=False, **kw).posterior
    else:
        with model:
            post = pm.sample(nuts_sampler="nutpie", cores=2, random_seed=1, progressbar=False,
                             compute_convergence_checks=False, **kw).posterior
t2 = time.perf_counter()
name = sorted(post.data_vars)[0]
print(json.dumps({"fit_s": t2 - t1, "a_mean": float(post[name].mean()), "param": name}))
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
    for mode, label in (
        ("pymc", "pm.sample(nuts_sampler='nutpie')"),
        ("library", "CareFlowModel.fit (nutpie, C wrappers)"),
        ("python-callbacks", "nutpie fed the cached functions (callbacks='python')"),
    ):
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
                    "posterior mean": f"{runs[0]['param']} {runs[0]['a_mean']:.6f}",
                }
            )
            print(rows[-1], flush=True)
    print_table("Aggregate yearly fit: compile caches (4 chains x 1,000 draws)", rows)
    return [{"case": r["case"], "seconds": r["fit s"], "target": r["target"]} for r in rows]


if __name__ == "__main__":
    main(int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3)
