"""Compile the aggregate model once and reuse the compiled code in later processes.

A fit with nutpie spends most of its time compiling, not sampling: PyTensor
turns the model's log density and gradient into numba functions, and nutpie
wraps them in C callbacks.  What each option buys was measured (see
``docs/speed.md``); this module keeps the best:

* **PyTensor's numba cache in the cache folder.**  :func:`use_compile_cache`
  points PyTensor's compile folder (``base_compiledir``: its numba cache and
  its C modules) into ``<cache>/compile`` before PyTensor is imported, so
  ``sctforecast cache clear`` empties it with everything else.
* **A graph PyTensor can cache whole.**  The negative binomial's gradient
  needs the digamma function, which PyTensor's numba backend calls through a
  scipy function pointer; a function that calls a pointer cannot be cached, so
  neither could the model's whole log density, and every process recompiled
  it.  :func:`register_cacheable_digamma` gives PyTensor a digamma written in
  numba (series and recurrence; for the positive arguments the models meet it
  agrees with scipy's to about 1e-13, relative).
* **No per-process wrappers.**  nutpie compiles two C callbacks around the
  log density in every process, and they cannot be cached (they hold a
  pointer to the model's data; ``cache=True`` fails to pickle it).
  :func:`compile_nutpie` hands nutpie the cached numba functions as Python
  callables instead: the same sampler, the same draws for the same seed, a
  little call overhead per gradient instead of seconds of compilation.

Nothing here changes a result: the draws depend on the data, the model and
the seed, never on the cache.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "digamma",
    "compile_nutpie",
    "keep_pytensor_default",
    "register_cacheable_digamma",
    "use_compile_cache",
]

log = logging.getLogger(__name__)

#: Folder of the compile caches inside the cache folder.
COMPILE_FOLDER = "compile"
_ENV = "PYTENSOR_FLAGS"


_CHOICE: list[Path | None] = []


def keep_pytensor_default() -> None:
    """Leave PyTensor's compiled code in its own folder (``~/.pytensor``) for this
    process: later :func:`use_compile_cache` calls do nothing (``--no-cache``)."""
    if not _CHOICE:
        _CHOICE.append(None)


def use_compile_cache(folder: str | os.PathLike[str] | None = None) -> Path | None:
    """Keep PyTensor's compiled code (numba cache, C modules) in ``folder``
    (default: ``compile`` in the cache folder, :func:`sctforecast.cache.cache_dir`).

    The first choice in a process holds (the command line makes it from
    ``--cache-dir`` and ``--no-cache`` before any fit).  Takes effect only
    before PyTensor is first imported, and only when ``PYTENSOR_FLAGS`` does
    not already choose a compile folder (a choice of yours wins).  Returns the
    folder PyTensor will use, or ``None`` when it keeps its own
    (``~/.pytensor``, also kept between processes).
    """
    if _CHOICE:
        return _CHOICE[0]
    if folder is None:
        from sctforecast.cache import cache_dir

        folder = cache_dir() / COMPILE_FOLDER
    chosen = _use(Path(folder))
    _CHOICE.append(chosen)
    return chosen


def _use(folder: Path) -> Path | None:
    target = folder.expanduser().resolve() / "pytensor"
    if "pytensor" in sys.modules:
        current = Path(str(sys.modules["pytensor"].config.base_compiledir))
        if current.resolve() == target:
            return target
        log.info("PyTensor is already imported: its compiled code stays in %s", current)
        return None
    flags = os.environ.get(_ENV, "")
    if "compiledir" in flags:
        log.info("PYTENSOR_FLAGS chooses PyTensor's compile folder (%s)", flags)
        return None
    target.mkdir(parents=True, exist_ok=True)
    os.environ[_ENV] = ",".join(f for f in (flags, f"base_compiledir={target}") if f)
    return target


def _digamma(x: float) -> float:
    """digamma(x): recurrence up to x >= 10, then the asymptotic series (terms to
    B14, error below 1e-16 there); reflection for negative x."""
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return -math.inf if x == 0.0 else math.nan
    result = 0.0
    if x < 0.0:
        result = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12
        + f
        * (
            1.0 / 120
            + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760 - f / 12))))
        )
    )
    return result + math.log(x) - 0.5 / x + series


def digamma(x: Any) -> np.ndarray:
    """The digamma function PyTensor is given (vectorised, for tests and checks)."""
    return np.vectorize(_digamma, otypes=[np.float64])(x)


_REGISTERED: list[bool] = []


def register_cacheable_digamma() -> None:
    """Give PyTensor's numba backend a digamma it can cache (float64 only; other
    dtypes keep PyTensor's own).  Idempotent."""
    if _REGISTERED:
        return
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key
    from pytensor.link.numba.dispatch.scalar import numba_funcify_ScalarOp, scalar_op_cache_key
    from pytensor.scalar.math import Psi

    jitted = numba_basic.numba_njit(_digamma)

    @register_funcify_and_cache_key(Psi)
    def _numba_funcify_psi(op, node, **kwargs):  # type: ignore[no-untyped-def]
        if node.outputs[0].type.dtype != "float64":
            return numba_funcify_ScalarOp(op, node=node, **kwargs)
        return jitted, scalar_op_cache_key(op, cache_version="sctforecast-digamma-1")

    _REGISTERED.append(True)


def _pyfunc_model(model: Any) -> Any:
    """The model as nutpie's Python-callback model over PyTensor's numba functions
    (what nutpie does for its JAX backend, with numba)."""
    from nutpie.compile_pymc import _make_functions, _prepare_dims_and_coords, _wrap_with_lock
    from nutpie.compiled_pyfunc import from_pyfunc
    from pymc.initial_point import make_initial_point_fn

    start = _wrap_with_lock(  # as nutpie.compile_pymc_model: support point, jittered
        make_initial_point_fn(
            model=model,
            default_strategy="support_point",
            jitter_rvs=set(model.free_RVs),
            return_transformed=True,
        )
    )
    n_dim, _, logp_pt, expand_pt, initial_point_fn, shape_info = _make_functions(
        model,
        mode="NUMBA",
        compute_grad=True,
        join_expanded=False,
        pymc_initial_point_fn=start,
        var_names=None,
    )
    logp_fn, expand_fn = logp_pt.vm.jit_fn, expand_pt.vm.jit_fn
    # the model's data (pm.Data) bound once, not passed by name on every call
    logp_data = tuple(np.asarray(v.get_value()) for v in logp_pt.get_shared())
    expand_data = tuple(np.asarray(v.get_value()) for v in expand_pt.get_shared())
    names, _, shapes = shape_info
    dtypes = [np.dtype("float64")] * len(names)

    def make_logp_func():  # type: ignore[no-untyped-def]
        def logp(_x):  # type: ignore[no-untyped-def]
            value, grad = logp_fn(_x, *logp_data)
            return float(value), np.asarray(grad, dtype="float64", order="C")

        return logp

    def make_expand_func(seed1, seed2, chain):  # type: ignore[no-untyped-def]
        def expand(_x):  # type: ignore[no-untyped-def]
            values = expand_fn(_x, *expand_data)
            return {
                name: np.asarray(v, order="C", dtype=dt).reshape(shape)
                for name, v, dt, shape in zip(names, values, dtypes, shapes, strict=True)
            }

        return expand

    dims, coords = _prepare_dims_and_coords(model, shape_info)
    return from_pyfunc(
        ndim=n_dim,
        make_logp_fn=make_logp_func,
        make_expand_fn=make_expand_func,
        make_initial_point_fn=initial_point_fn,
        expanded_dtypes=dtypes,
        expanded_shapes=shapes,
        expanded_names=names,
        dims=dims,
        coords=coords,
    )


def compile_nutpie(model: Any) -> Any:
    """``model`` (a ``pymc.Model``) compiled for ``nutpie.sample``, reusing compiled
    code between processes: sampling it gives the same draws as
    ``nutpie.compile_pymc_model(model)`` with the same seed."""
    import nutpie

    register_cacheable_digamma()
    try:
        return _pyfunc_model(model)
    except (ImportError, AttributeError, TypeError) as err:
        # nutpie's internals moved: its own compile (correct, recompiled per process)
        log.info("nutpie's Python-callback model is not available (%s); compiling its C model", err)
        return nutpie.compile_pymc_model(model)
