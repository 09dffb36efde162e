"""The main job, `sctforecast run`, on the embedded data: cold and warm.

Targets (main-job issue): cold run under 90 s, warm run under 45 s on the
2-core machine, peak memory under 2 GB.  "Cold" points PyTensor's and Numba's
caches at empty folders; "warm" runs again with the same folders.  Peak
memory is the largest resident set of the process and its children.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402


def main() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ, PYTENSOR_FLAGS=f"compiledir={tmp}/pytensor", NUMBA_CACHE_DIR=f"{tmp}/numba"
        )
        for state in ("cold", "warm"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t0 = time.perf_counter()
            res = subprocess.run(
                [sys.executable, "-m", "sctforecast", "run", "--out", f"{tmp}/out"],
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if res.returncode != 0:
                raise SystemExit(res.stderr[-2000:])
            rows.append(
                {
                    "case": f"sctforecast run ({state})",
                    "seconds": seconds,
                    "target": "< 90 s" if state == "cold" else "< 45 s",
                    "peak RSS MiB": max(peak, before) / 1024,
                    "memory target": "< 2048",
                }
            )
            print(rows[-1], flush=True)
    print_table("Main job benchmark", rows)
    return rows


if __name__ == "__main__":
    main()
