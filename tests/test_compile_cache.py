"""Compiled code is reused between processes: PyTensor's folder in the cache folder,
a digamma PyTensor can cache, nutpie fed the cached functions (the same draws)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from scipy import special

from sctforecast.demand.compile_cache import digamma


def test_digamma_agrees_with_scipy():
    """Positive arguments (the negative binomial's): to rounding; negative ones
    (reflection, never met in the models) to 1e-10."""
    pos = np.concatenate(
        [np.logspace(-8, 8, 2001), np.array([0.5, 1.0, 1.4616321449683623, 9.99, 10.0, 1e12])]
    )
    np.testing.assert_allclose(digamma(pos), special.psi(pos), rtol=2e-13, atol=2e-14)
    neg = -np.logspace(-8, 3, 501) + 0.25
    neg = neg[~np.isclose(neg, np.round(neg))]
    np.testing.assert_allclose(digamma(neg), special.psi(neg), rtol=1e-10)
    assert digamma(0.0) == -np.inf and np.isnan(digamma(-3.0))


def _child(code: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


USE = """
import json, os, sys
from sctforecast.demand.compile_cache import use_compile_cache
first = use_compile_cache(sys.argv[1] if len(sys.argv) > 1 else {folder!r})
import pytensor
again = use_compile_cache({folder!r})
other = use_compile_cache({other!r})
print(json.dumps({{"first": str(first), "again": str(again), "other": str(other),
                   "pytensor": str(pytensor.config.base_compiledir)}}))
"""


def test_compile_folder_is_set_before_pytensor_is_imported(tmp_path):
    folder, other = tmp_path / "compile", tmp_path / "elsewhere"
    env = {k: "" for k in ("PYTENSOR_FLAGS",)}
    got = _child(USE.format(folder=str(folder), other=str(other)), env)
    assert got["first"] == got["again"] == got["pytensor"] == str(folder / "pytensor")
    assert got["other"] == got["first"]  # the first choice in a process holds
    mine = tmp_path / "mine"
    got = _child(
        USE.format(folder=str(folder), other=str(other)),
        {"PYTENSOR_FLAGS": f"base_compiledir={mine}"},
    )
    assert got["first"] == "None" and got["pytensor"] == str(mine)  # the user's choice wins
    got = _child(
        USE.replace(
            "first = use_compile_cache", "keep_pytensor_default(); first = use_compile_cache"
        )
        .replace("import use_compile_cache", "import keep_pytensor_default, use_compile_cache")
        .format(folder=str(folder), other=str(other)),
        env,
    )
    assert got["first"] == "None" and got["pytensor"] != str(folder / "pytensor")  # --no-cache


@pytest.mark.slow
def test_nutpie_gets_the_cached_functions_and_gives_the_same_draws():
    import warnings

    import nutpie
    import pymc as pm
    from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key

    from sctforecast.demand.compile_cache import compile_nutpie, register_cacheable_digamma

    y = np.array([31, 42, 38, 55, 47, 60])
    with pm.Model() as model:
        log_mu = pm.Normal("log_mu", 3.5, 1.0)
        log_alpha = pm.Normal("log_alpha", 2.0, 1.0)
        pm.NegativeBinomial("y", mu=pm.math.exp(log_mu), alpha=pm.math.exp(log_alpha), observed=y)
    register_cacheable_digamma()
    logp = model.compile_fn(
        [model.logp(), *pm.gradient(model.logp(), model.value_vars)], mode="NUMBA"
    )
    _, key = numba_funcify_and_cache_key(logp.f.maker.fgraph)
    assert key is not None  # the whole log density and gradient can be cached
    kw = dict(draws=300, tune=300, chains=2, seed=7, target_accept=0.9, cores=1, progress_bar=False)
    ours = nutpie.sample(compile_nutpie(model), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nutpie.sample(nutpie.compile_pymc_model(model), **kw)
    for name in ("log_mu", "log_alpha"):
        np.testing.assert_array_equal(ours.posterior[name].values, theirs.posterior[name].values)
    assert int(ours.sample_stats["diverging"].sum()) == 0


def test_pytensor_imported_first_keeps_its_own_folder(tmp_path):
    code = (
        "import json, pytensor\n"
        "from sctforecast.demand.compile_cache import use_compile_cache\n"
        f"print(json.dumps({{'got': str(use_compile_cache({str(tmp_path)!r})),"
        " 'pytensor': str(pytensor.config.base_compiledir)}))"
    )
    got = _child(code, {"PYTENSOR_FLAGS": ""})
    assert got["got"] == "None" and not got["pytensor"].startswith(str(tmp_path))
