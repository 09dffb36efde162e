"""A distributed engine on Dask: fan out tasks, save results as they arrive, resume.

The same code runs on a local cluster (the default: two worker processes) or
on any Dask scheduler address.  Each task carries its own random seed, so a
distributed run gives the same numbers as a serial one.  A task that fails
because of its data (a :class:`SctForecastError`) is reported by its key and
the others go on; a worker that dies has its tasks retried on the others.
Finished results are written, one JSON file per task, to ``results_dir`` as
they arrive, so an interrupted run picks up where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sctforecast._io import atomic_file
from sctforecast.errors import ConfigError, SctForecastError

__all__ = ["ManyResult", "run_tasks", "make_client", "close_client"]

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

    # Dask's nanny makes workers hand freed memory back to the system at once
    # (MALLOC_TRIM_THRESHOLD_=64 KiB); the projector allocates and frees large
    # arrays per scenario, and on this kind of machine re-faulting them doubled
    # its cost, so local workers keep the C library's default.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
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


def _load(results_dir: Path | None) -> dict[str, Any]:
    done: dict[str, Any] = {}
    if results_dir is None or not results_dir.exists():
        return done
    for p in results_dir.glob("*.json"):
        try:
            done[p.stem] = json.loads(p.read_text())
        except (
            OSError,
            json.JSONDecodeError,
        ):  # a half-written file cannot exist (atomic), but be safe
            continue
    return done


def _save(results_dir: Path | None, key: str, value: Any) -> None:
    if results_dir is None:
        return
    results_dir.mkdir(parents=True, exist_ok=True)
    with atomic_file(results_dir / f"{key}.json") as tmp:
        tmp.write_text(json.dumps(value))


def run_tasks(
    func: Callable[..., Any],
    tasks: Mapping[str, Mapping[str, Any]],
    *,
    client=None,  # type: ignore[no-untyped-def]
    scheduler: str | None = None,
    n_workers: int = 2,
    serial: bool = False,
    results_dir: str | os.PathLike[str] | None = None,
    retries: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> ManyResult:
    """Run ``func(**kwargs)`` for every task, in process (``serial``) or on Dask.

    Task keys must be usable as file names.  Results must be JSON-serialisable.
    """
    t0 = time.perf_counter()
    rdir = Path(results_dir) if results_dir is not None else None
    previous = _load(rdir)
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    resumed = []
    for k in tasks:
        if k in previous:
            resumed.append(k)
            if "ok" in previous[k]:
                results[k] = previous[k]["ok"]
            else:
                errors[k] = previous[k]["error"]
    todo = [k for k in tasks if k not in previous]
    total, finished = len(tasks), len(resumed)
    if progress:
        progress(finished, total)

    def record(key: str, outcome: dict[str, Any]) -> None:
        nonlocal finished
        _save(rdir, key, outcome)
        if "ok" in outcome:
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
            futures = {
                client.submit(
                    _safe_call,
                    func,
                    k,
                    dict(tasks[k]),
                    key=f"sctforecast-{k}",
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
