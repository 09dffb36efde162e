"""A distributed engine on Dask: fan out tasks, save results as they arrive, resume.

The same code runs on a local cluster (the default: two worker processes) or
on any Dask scheduler address.  Each task carries its own random seed, so a
distributed run gives the same numbers as a serial one.  A task that fails
because of its data (a :class:`SctForecastError`) is reported by its key and
the others go on; a worker that dies has its tasks retried on the others.
Finished results are saved as they arrive, one JSON entry per task in a
:class:`~sctforecast.cache.ResultCache`, so an interrupted run picks up where
it stopped.  An entry is keyed by what made it (:func:`sctforecast.cache.result_key`:
the task's inputs and settings and the library version), never by the task's
name alone: a rerun with other settings or changed data computes afresh.  A
failure is reported but never saved, so the next run tries the task again.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sctforecast.cache import ResultCache, content_hash, result_key
from sctforecast.errors import ConfigError, SctForecastError

__all__ = ["ManyResult", "run_tasks", "make_client", "close_client", "task_key"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManyResult:
    """Results by task key, errors by task key, which keys were loaded from a
    previous run, and the wall time."""

    results: dict[str, Any]
    errors: dict[str, str]
    resumed: tuple[str, ...] = ()
    seconds: float = 0.0
    workers: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _safe_call(func: Callable[..., Any], key: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Run one task; a data error becomes a reported error, anything else raises (and is retried)."""
    try:
        return {"ok": func(**kwargs)}
    except SctForecastError as err:
        return {"error": f"{type(err).__name__}: {err}"}


#: Environment of local worker processes.  One thread per worker for numpy's
#: BLAS, OpenMP and Arrow pools: the workers already use every core between
#: them, and pools of one thread per core in each would fight over them.
#: Dask's nanny also makes workers hand freed memory back to the system at once
#: (MALLOC_TRIM_THRESHOLD_=64 KiB); the projector allocates and frees large
#: arrays per scenario, and re-faulting them doubled its cost, so local workers
#: keep the C library's default.
_LOCAL_WORKER_ENVIRON = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS": 1,
    "distributed.nanny.pre-spawn-environ.MKL_NUM_THREADS": 1,
    "distributed.nanny.pre-spawn-environ.OPENBLAS_NUM_THREADS": 1,
}


def make_client(scheduler: str | None = None, *, n_workers: int = 2, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """A ``dask.distributed.Client``: a local cluster of ``n_workers`` processes,
    or a connection to ``scheduler`` (``tcp://host:8786``)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as err:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler} ({err}); check the address and that it is running, "
                "or leave --scheduler out to use a local cluster"
            ) from err
    import dask

    with dask.config.set(_LOCAL_WORKER_ENVIRON):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    return Client(cluster)


def close_client(client) -> None:  # type: ignore[no-untyped-def]
    """Close a client and, if it made one, its local cluster."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def task_key(func: Callable[..., Any], kwargs: Mapping[str, Any], *, inputs: str = "") -> str:
    """The saved-result key of ``func(**kwargs)``: the function, every argument
    (by value) and ``inputs`` (the :func:`~sctforecast.cache.content_hash` of any
    files the task reads), under :func:`~sctforecast.cache.result_key`."""
    return result_key(
        f"task-{func.__name__}",
        inputs=content_hash(data={"inputs": inputs, "kwargs": dict(kwargs)}),
        settings={"function": f"{func.__module__}.{func.__qualname__}"},
    )


def _cache_of(
    cache: ResultCache | None, results_dir: str | os.PathLike[str] | None
) -> ResultCache | None:
    if cache is not None and results_dir is not None:
        raise ConfigError("give cache or results_dir (a cache folder), not both")
    if results_dir is not None:
        return ResultCache(Path(results_dir))
    return cache


def _saved(cache: ResultCache | None, kind: str, key: str) -> Any | None:
    """A saved success for ``key``; a saved failure (from an older version) is never served."""
    if cache is None:
        return None
    value = cache.load_json(kind, key)
    if isinstance(value, dict) and "ok" in value:
        return value
    if value is not None:
        cache.remove(kind, key, ".json")
    return None


def run_tasks(
    func: Callable[..., Any],
    tasks: Mapping[str, Mapping[str, Any]],
    *,
    client=None,  # type: ignore[no-untyped-def]
    scheduler: str | None = None,
    n_workers: int = 2,
    serial: bool = False,
    cache: ResultCache | None = None,
    keys: Mapping[str, str] | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    retries: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> ManyResult:
    """Run ``func(**kwargs)`` for every task, in process (``serial``) or on Dask.

    Results must be JSON-serialisable.  With a ``cache`` (or ``results_dir``, a
    cache folder), each success is saved as it arrives under ``keys[k]``
    (default :func:`task_key` of the function and the task's arguments; give
    keys made with :func:`~sctforecast.cache.result_key` when a task reads
    files or its arguments are large), and a task whose key is saved is
    resumed instead of run.  Failures are reported in ``errors`` and not saved.
    """
    t0 = time.perf_counter()
    store = _cache_of(cache, results_dir)
    kind = f"task-{func.__name__}"
    key_of = (
        {k: (keys[k] if keys is not None else task_key(func, tasks[k])) for k in tasks}
        if store is not None
        else {}
    )
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    resumed = []
    for k in tasks:
        saved = _saved(store, kind, key_of[k]) if store is not None else None
        if saved is not None:
            resumed.append(k)
            results[k] = saved["ok"]
    todo = [k for k in tasks if k not in results]
    total, finished = len(tasks), len(resumed)
    if progress:
        progress(finished, total)

    def record(key: str, outcome: dict[str, Any]) -> None:
        nonlocal finished
        if "ok" in outcome:
            if store is not None:
                store.save_json(kind, key_of[key], outcome)
            results[key] = outcome["ok"]
        else:
            errors[key] = outcome["error"]
        finished += 1
        if progress:
            progress(finished, total)

    workers = 0
    if serial:
        for k in todo:
            record(k, _safe_call(func, k, tasks[k]))
    elif todo:
        from dask.distributed import as_completed

        own = client is None
        client = client or make_client(scheduler, n_workers=n_workers)
        try:
            workers = len(client.scheduler_info().get("workers", {}))
            run = uuid.uuid4().hex[:8]  # task names recur between runs on one client
            futures = {
                client.submit(
                    _safe_call,
                    func,
                    k,
                    dict(tasks[k]),
                    key=f"sctforecast-{run}-{k}",
                    retries=retries,
                    pure=False,
                ): k
                for k in todo
            }
            for fut in as_completed(futures):
                k = futures[fut]
                try:
                    record(k, fut.result())
                except Exception as err:  # noqa: BLE001 - a task that failed after its retries
                    record(k, {"error": f"{type(err).__name__}: {err}"})
        finally:
            if own:
                close_client(client)
    ordered = {k: results[k] for k in tasks if k in results}
    return ManyResult(ordered, errors, tuple(resumed), time.perf_counter() - t0, workers)
