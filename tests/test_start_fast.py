"""Start fast: the library, its modules and the light commands never import the heavy
libraries (PyMC, PyTensor, ArviZ, matplotlib, Dask) until a function needs them.
(Import times are measured by benchmarks/bench_start.py, not here.)"""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

HEAVY = ("pymc", "pytensor", "arviz", "matplotlib", "dask", "distributed", "nutpie", "numba")

PROBE = """
import contextlib, io, json, sys
{setup}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _imported(setup: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup, heavy=HEAVY)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cli(*argv: str) -> str:
    return (
        "from sctforecast.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main({list(argv)!r})"
    )


@pytest.mark.parametrize(
    "setup",
    [
        "import sctforecast",
        "import sctforecast.demand",
        "from sctforecast.demand import CareFlowModel, PlacementFlowModel",
        "import sctforecast.mtfp",
        "import sctforecast.regional",
        _cli("--help"),
        _cli("reconcile", str(ROOT / "sctforecast" / "datasets" / "data" / "outturns.csv")),
        _cli("cache", "info"),
    ],
    ids=[
        "import",
        "demand",
        "demand-models",
        "mtfp",
        "regional",
        "help",
        "reconcile",
        "cache-info",
    ],
)
def test_light_paths_import_no_heavy_library(setup):
    assert _imported(setup) == []


def test_the_probe_sees_a_heavy_import():
    """The check above can fail: importing matplotlib is seen."""
    assert "matplotlib" in _imported("import matplotlib")


def test_forecasting_from_a_saved_fit_imports_no_sampler(tmp_path):
    """The analyst's rerun: a saved aggregate fit is loaded and forecast without PyMC,
    PyTensor, nutpie or ArviZ (wrapping the posterior for ArviZ waits until asked)."""
    from _aggregate import pinned_model

    from sctforecast.datasets import sandwell_care_flows, sandwell_profile

    path = pinned_model(sandwell_care_flows(), mix=sandwell_profile().mix).save(tmp_path / "m.nc")
    setup = (
        "from sctforecast.demand import CareFlowModel\n"
        f"m = CareFlowModel.load({str(path)!r})\n"
        "m.demand(2024, 5, random_seed=1)"
    )
    sampling = {"pymc", "pytensor", "nutpie", "numba", "arviz"}  # (xarray itself may load dask)
    assert sampling.isdisjoint(_imported(setup))
    assert "arviz" in _imported(setup + "\nm.idata")  # and ArviZ is there when asked for
