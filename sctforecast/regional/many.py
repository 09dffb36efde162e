"""Many authorities and scenario grids: orchestration and the combined report."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sctforecast._io import atomic_directory, write_csv
from sctforecast.cache import ResultCache
from sctforecast.errors import ConfigError, DataValidationError, SctForecastError
from sctforecast.money import format_money
from sctforecast.regional.data import AuthorityPanel, read_authority_folder
from sctforecast.regional.engine import ManyResult, run_tasks, task_key
from sctforecast.regional.saved import (
    fit_pooled,
    folder_task_key,
    scenario_setting,
    series_task_key,
)

if TYPE_CHECKING:
    from sctforecast.ledger import Ledger
    from sctforecast.mtfp import Scenario
    from sctforecast.profile import AuthorityProfile

from sctforecast.regional.tasks import (
    SCENARIO_FILE,
    forecast_series_task,
    forecast_ssda903_task,
    scenario_batch_task,
)

__all__ = ["run_many", "scenario_grid", "run_scenario_grid", "REPORT_COLUMNS"]

REPORT_COLUMNS = (
    "authority",
    "source",
    "children_in_care_end_mean",
    "children_in_care_end_lower",
    "children_in_care_end_upper",
    "final_year",
    "placement_cost_final_mean_pence",
    "contract_sum_final_pence",
    "contract_sum_needed_final_mean_pence",
    "p_breakeven_final",
    "deficit_final_mean_pence",
    "deficit_final_lower_pence",
    "deficit_final_upper_pence",
    "closing_cumulative_deficit_final_mean_pence",
    "plan",
    "error",
)


def _seed(base: int, key: str) -> int:
    return (base * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(key))) % 2**31


def run_many(
    folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] = "sctforecast-output/many",
    cache: ResultCache | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    serial: bool = False,
    horizon_months: int = 60,
    draws: int = 500,
    random_seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    pooled_config: Mapping[str, Any] | None = None,
    scenario: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, ManyResult]:
    """Forecast every authority in ``folder`` and write a combined report.

    ``<name>.csv`` series are fitted together by the partially pooled model
    (one PyMC fit), then each authority's forecast of children in care is a
    task; ``<name>/`` SSDA903 folders are each a task (read, fit, simulate).
    An SSDA903 folder that also holds ``ledger.csv`` and ``profile.csv`` gets
    its MTFP figures from the projector on its own baseline, with its
    ``scenario.toml`` or ``scenario`` (a file or built-in name); the others
    have those columns empty and ``plan`` says why.  A malformed authority is
    reported by name; the others complete.

    Results are saved as they arrive in ``cache`` (default: the per-user cache
    folder; ``results_dir`` names another folder), each under a key of what
    made it (:mod:`sctforecast.regional.saved`): the pooled fit's posterior
    by the panel's numbers, its configuration and seed; each authority's
    forecast by its inputs (every byte of its folder), the scenario and the
    settings.  A rerun reuses what still matches (``ManyResult.resumed``,
    ``extra["pooled_reused"]``) and computes the rest; a failure is never
    saved, so it is tried again.  ``ResultCache(..., enabled=False)``
    computes everything and saves nothing.
    """
    if cache is not None and results_dir is not None:
        raise ConfigError("give cache or results_dir (a cache folder), not both")
    if cache is None:
        cache = ResultCache(Path(results_dir)) if results_dir is not None else ResultCache.default()
    inputs, problems = read_authority_folder(folder)
    series = {k: v for k, v in inputs.items() if isinstance(v, pd.DataFrame)}
    panel = _panel(series, str(folder), problems) if series else None
    groups: list[tuple[Callable[..., Any], dict[str, dict[str, Any]], dict[str, str]]] = []
    pooled_reused = False
    if panel is not None:
        cfg = {"draws": draws, "tune": max(draws, 300), "chains": 2, **(pooled_config or {})}
        post, pooled_reused, pooled = fit_pooled(panel, cfg, random_seed=random_seed, cache=cache)
        tasks = _series_tasks(panel, post, horizon=horizon_months, random_seed=random_seed)
        keys = {
            a: series_task_key(pooled, a, horizon=horizon_months, seed=t["seed"])
            for a, t in tasks.items()
        }
        groups.append((forecast_series_task, tasks, keys))
    folders = {a: v for a, v in inputs.items() if isinstance(v, Path)}
    if folders:
        tasks = {
            a: {
                "name": a,
                "folder": str(v),
                "horizon": horizon_months,
                "draws": draws,
                "seed": _seed(random_seed, a),
                "scenario": None if scenario is None else str(scenario),
            }
            for a, v in folders.items()
        }
        run_scenario = scenario_setting(scenario)
        keys = {
            a: folder_task_key(
                v,
                {
                    **{k: t[k] for k in ("horizon", "draws", "seed")},
                    "scenario": run_scenario,
                    "own_scenario": _own_scenario(v),
                },
            )
            for (a, v), t in zip(folders.items(), tasks.values(), strict=True)
        }
        groups.append((forecast_ssda903_task, tasks, keys))
    result = _run_groups(
        groups,
        cache=cache,
        scheduler=scheduler,
        n_workers=n_workers,
        serial=serial,
        progress=progress,
    )
    errors = {**result.errors, **problems}
    rows = [
        {"authority": a, **result.results.get(a, {}), "error": errors.get(a, "")}
        for a in sorted({a for _, tasks, _ in groups for a in tasks} | set(problems))
    ]
    table = pd.DataFrame(rows).reindex(columns=list(REPORT_COLUMNS))
    _write_report(table, out)
    return table, ManyResult(
        result.results,
        errors,
        result.resumed,
        result.seconds,
        result.workers,
        extra={"pooled_reused": pooled_reused},
    )


def _own_scenario(folder: Path) -> Any:
    """An authority folder's own scenario as a setting (its file is in the folder's
    bytes already; this adds any file it inherits from).  One that cannot be read
    is left to its task to report."""
    own = folder / SCENARIO_FILE
    if not own.exists():
        return None
    try:
        return scenario_setting(own)
    except SctForecastError:
        return "unreadable"


def _panel(series: dict[str, Any], where: str, problems: dict[str, str]) -> AuthorityPanel | None:
    """The series as one panel; authorities that break it are named in ``problems``
    and left out."""
    frames = pd.concat(series.values(), ignore_index=True)
    try:
        return AuthorityPanel.from_frame(frames, where=where)
    except DataValidationError as err:
        bad = [a for a in series if a in str(err)]
        for a in bad or list(series):
            problems[a] = str(err)
        good = [a for a in series if a not in bad] if bad else []
        return AuthorityPanel.from_frame(frames[frames["authority"].isin(good)]) if good else None


def _series_tasks(
    panel: AuthorityPanel, post: Any, *, horizon: int, random_seed: int
) -> dict[str, dict[str, Any]]:
    """One task per authority with its draws of the pooled posterior ``post``."""
    T = panel.T
    tt_last = ((T - 1) - (T - 1) / 2) / 12
    shared = {
        k: post[k].values.reshape(-1, *post[k].shape[2:]) for k in ("b", "d", "season", "season_x")
    }
    n_draws = shared["b"].shape[0]
    for k in ("log_alpha", "log_alpha_x"):  # a Poisson model: a very large dispersion
        shared[k] = post[k].values.reshape(-1) if k in post else np.full(n_draws, 12.0)
    a_all = post["a"].values.reshape(-1, panel.A)
    g_all = post["g"].values.reshape(-1, panel.A)
    return {
        a: {
            "name": a,
            "posterior": {
                "a": a_all[:, i].tolist(),
                "g": g_all[:, i].tolist(),
                **{k: v.tolist() for k, v in shared.items()},
            },
            "stock0": float(panel.stock[i, -1]),
            "population": float(panel.population[i]),
            "last_period": panel.periods[-1],
            "tt_last": tt_last,
            "horizon": horizon,
            "seed": _seed(random_seed, a),
        }
        for i, a in enumerate(panel.authorities)
    }


def _run_groups(
    groups: list[tuple[Callable[..., Any], dict[str, dict[str, Any]], dict[str, str]]],
    *,
    cache: ResultCache,
    scheduler: str | None,
    n_workers: int,
    serial: bool,
    progress: Callable[[int, int], None] | None,
) -> ManyResult:
    """Run each group of tasks on one client (or serially); results merged."""
    from sctforecast.regional.engine import close_client, make_client

    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    resumed: list[str] = []
    seconds, workers = 0.0, 0
    client = None if serial or not groups else make_client(scheduler, n_workers=n_workers)
    try:
        for func, tasks, keys in groups:
            res = run_tasks(
                func, tasks, client=client, serial=serial, cache=cache, keys=keys, progress=progress
            )
            results.update(res.results)
            errors.update(res.errors)
            resumed += res.resumed
            seconds += res.seconds
            workers = max(workers, res.workers)
    finally:
        if client is not None:
            close_client(client)
    return ManyResult(results, errors, tuple(resumed), seconds, workers)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the report shows it: money in whole pounds, children rounded."""
    shown = table.copy()
    for c in [c for c in shown.columns if str(c).endswith("_pence")]:
        shown[c] = [format_money(int(v)) if pd.notna(v) else "" for v in shown[c]]
    shown["p_breakeven_final"] = [
        f"{v:.0%}" if pd.notna(v) else "" for v in shown["p_breakeven_final"]
    ]
    for c in [c for c in shown.columns if str(c).startswith("children_in_care_end")]:
        shown[c] = [f"{v:,.0f}" if pd.notna(v) else "" for v in shown[c]]
    shown.columns = [str(c).removesuffix("_pence") for c in shown.columns]
    return shown


def _write_report(table: pd.DataFrame, out: str | os.PathLike[str]) -> None:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sctforecast: many authorities</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem} td,th{border:1px solid #ddd;padding:.2rem .4rem}"
        "table{border-collapse:collapse}</style></head><body><h1>Many authorities</h1>"
        "<p>Children in care at the end of the horizon (90% intervals). For an authority whose "
        "folder holds its ledger and profile, the final year of its MTFP scenario: placement "
        "cost, the stated Contract Sum and the Contract Sum needed to break even, the "
        "probability of breakeven and the in-year deficit with the stated Contract Sum, and the "
        "closing cumulative deficit, all projected from its own baseline. Where those columns "
        "are empty, <i>plan</i> says which file is missing. Authorities whose data could not "
        "be used are listed with the reason.</p>"
        + _shown(table).to_html(index=False, escape=True, na_rep="")
        + "</body></html>"
    )
    with atomic_directory(out) as tmp:
        write_csv(table, tmp / "authorities.csv")
        (tmp / "report.html").write_text(page, encoding="utf-8")


def scenario_grid(axes: Mapping[str, Sequence[Any]]) -> dict[str, dict]:
    """Every combination of values for dotted scenario keys, e.g.
    ``{"contract_sum.uplift": [0, 0.02], "placements.volume_growth": [0, 0.05]}``."""
    keys = list(axes)
    out = {}
    for combo in itertools.product(*(axes[k] for k in keys)):
        changes: dict[str, Any] = {}
        for k, v in zip(keys, combo, strict=True):
            section, _, leaf = k.partition(".")
            changes.setdefault(section, {})[leaf] = v
        name = "grid-" + "-".join(
            f"{k.split('.')[-1]}{v}" for k, v in zip(keys, combo, strict=True)
        )
        out[name.replace("/", "_")] = changes
    return out


#: Batches per worker in a scenario grid: enough that a slow worker does not hold
#: up the end, few enough that scheduling stays a small share of the time.
BATCHES_PER_WORKER = 4


def grid_batches(names: Sequence[str], n_batches: int) -> list[tuple[int, list[str]]]:
    """``names`` in ``n_batches`` contiguous batches of near-equal size, each
    with the grid position of its first scenario."""
    n_batches = max(1, min(int(n_batches), len(names)))
    bounds = np.linspace(0, len(names), n_batches + 1).round().astype(int)
    return [(int(a), list(names[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def run_scenario_grid(
    grid: Mapping[str, dict],
    *,
    ledger: Ledger,
    profile: AuthorityProfile,
    base: Scenario | str | os.PathLike[str] = "default",
    draws: int = 10_000,
    batch: int | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    serial: bool = False,
    cache: ResultCache | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    random_seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    client=None,  # type: ignore[no-untyped-def]
) -> tuple[pd.DataFrame, ManyResult]:
    """Project every scenario of ``grid`` (changes to the ``base`` scenario: a
    :class:`~sctforecast.mtfp.Scenario`, a built-in name or a TOML file) on the
    caller's ``ledger`` and ``profile``, on the engine, in batches (``client``:
    an existing ``dask.distributed.Client`` to reuse).  There is no default
    authority: pass ``datasets.load_outturn()`` and ``datasets.sandwell_profile()``
    to mean the embedded one.

    Scenario ``i`` of the grid is projected with seed ``random_seed + i``
    wherever it runs, so the numbers do not depend on the batching or on the
    workers: a distributed run equals a serial one.  ``batch`` is the number
    of scenarios per task; by default the grid is cut into
    :data:`BATCHES_PER_WORKER` batches per worker, so each worker process
    resolves the base scenario, ledger and profile once and the scheduler
    handles a few dozen tasks at most, not one per scenario.
    """
    names = list(grid)
    if batch is not None and batch < 1:
        from sctforecast.errors import ConfigError

        raise ConfigError(f"batch must be at least 1 scenario, got {batch}")
    from sctforecast.mtfp import Scenario

    base_scenario = base if isinstance(base, Scenario) else Scenario.resolve(base)
    _check_grid_inputs(ledger, profile)
    workers = 1 if serial else _worker_count(client, n_workers)
    n_batches = (
        -(-len(names) // batch) if batch is not None else BATCHES_PER_WORKER * max(workers, 1)
    )
    tasks = {
        f"batch{k:05d}": {
            "scenarios": {n: grid[n] for n in chunk},
            "draws": draws,
            "seed": random_seed + first,
            "ledger": ledger,
            "profile": profile,
            "base": base_scenario,
        }
        for k, (first, chunk) in enumerate(grid_batches(names, n_batches))
    }
    inputs = grid_inputs_hash(ledger, profile, base_scenario)
    res = run_tasks(
        scenario_batch_task,
        tasks,
        keys={
            k: task_key(
                scenario_batch_task,
                {n: t[n] for n in ("scenarios", "draws", "seed")},
                inputs=inputs,
            )
            for k, t in tasks.items()
        },
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        serial=serial,
        cache=cache,
        results_dir=results_dir,
        progress=progress,
    )
    rows = [{"scenario": n, **v} for r in res.results.values() for n, v in r.items()]
    return pd.DataFrame(rows), res


def _check_grid_inputs(ledger: object, profile: object) -> None:
    from sctforecast.ledger import Ledger
    from sctforecast.profile import AuthorityProfile

    problems = []
    if not isinstance(ledger, Ledger):
        problems.append(
            f"ledger must be a Ledger (read_ledger(...) or datasets.load_outturn()), "
            f"got {type(ledger).__name__}"
        )
    if not isinstance(profile, AuthorityProfile):
        problems.append(
            f"profile must be an AuthorityProfile (AuthorityProfile.from_csv(...) or "
            f"datasets.sandwell_profile()), got {type(profile).__name__}"
        )
    if problems:
        raise ConfigError(problems, where="run_scenario_grid")


def grid_inputs_hash(ledger: Ledger, profile: AuthorityProfile, base: Scenario) -> str:
    """The content of what a scenario grid projects on: every line of the ledger,
    every fact of the profile and the base scenario's settings (for saved results)."""
    from sctforecast.cache import content_hash

    return content_hash(
        data={"ledger": ledger.to_frame(), "profile": profile, "base": base.config_hash}
    )


def _worker_count(client, n_workers: int) -> int:  # type: ignore[no-untyped-def]
    if client is None:
        return n_workers
    return max(1, len(client.scheduler_info().get("workers", {})))
