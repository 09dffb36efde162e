"""Task functions the engine fans out (top-level so Dask can ship them).

An authority's forecast reports children in care; its MTFP figures (placement
cost, P(breakeven), the Contract Sum needed, the deficit) are computed by the
projector (:func:`sctforecast.mtfp.project`) from the authority's own baseline
when its folder holds ``ledger.csv`` (or ``ledger.xlsx``) and ``profile.csv``,
with its ``scenario.toml`` or the run's scenario; otherwise those columns stay
empty and ``plan`` says which file is missing.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM, TYPE_DIM, interval_bounds
from sctforecast.demand.simulate import simulate_aggregate
from sctforecast.errors import DataQualityWarning
from sctforecast.money import to_pence

__all__ = [
    "forecast_series_task",
    "forecast_ssda903_task",
    "scenario_batch_task",
    "plan_files",
    "LEDGER_FILES",
    "PROFILE_FILE",
    "SCENARIO_FILE",
]

#: Files of an authority folder that give it an MTFP plan (besides its SSDA903 returns).
LEDGER_FILES = ("ledger.csv", "ledger.xlsx")
PROFILE_FILE = "profile.csv"
SCENARIO_FILE = "scenario.toml"


def _children_end(children: np.ndarray, *, source: str) -> dict[str, Any]:
    """Children in care at the end of the horizon: mean and central interval."""
    lo, hi = interval_bounds(DEFAULT_CI_PROB)
    end = np.asarray(children, dtype=float)[:, -1]
    return {
        "source": source,
        "children_in_care_end_mean": float(end.mean()),
        "children_in_care_end_lower": float(np.quantile(end, lo)),
        "children_in_care_end_upper": float(np.quantile(end, hi)),
    }


def forecast_series_task(
    *,
    name: str,
    posterior: dict[str, list],
    stock0: float,
    population: float,
    last_period: str,
    tt_last: float,
    horizon: int,
    seed: int,
) -> dict[str, Any]:
    """Forecast one authority's children in care from its draws of the pooled
    model's posterior (a series has no placement mix or ledger: no MTFP plan)."""
    p = {k: np.asarray(v) for k, v in posterior.items()}
    rng = np.random.default_rng(seed)
    first = pd.Period(last_period, freq="M") + 1
    sims = simulate_aggregate(
        rng,
        eta_last=p["a"] + p["b"] * tt_last - np.log(12.0),
        slope_last=p["b"],
        xi_last=p["g"] + p["d"] * tt_last,
        xslope_last=p["d"],
        alpha=np.exp(p["log_alpha"]),
        alpha_x=np.exp(p["log_alpha_x"]),
        changepoint_scale=0.05,
        stock0=stock0,
        population=population,
        horizon=horizon,
        dt=1 / 12,
        season=p["season"],
        season_x=p["season_x"],
        first_month=first.month - 1,
        changepoint_every=12,
        damping=0.8,
    )
    out = _children_end(sims["stock"], source=f"pooled model ({name})")
    out["plan"] = "a series of counts: no ledger, profile or placement mix, so no MTFP plan"
    return out


def plan_files(
    folder: str | os.PathLike[str], scenario: str | None = None
) -> tuple[dict[str, str], str]:
    """The ledger, profile and scenario of an authority folder, and a note:
    ``({}, why)`` when a file is missing, else ``(files, "")``."""
    root = Path(folder)
    ledger = next((root / f for f in LEDGER_FILES if (root / f).exists()), None)
    profile = root / PROFILE_FILE
    own = root / SCENARIO_FILE
    missing = [] if ledger else [" or ".join(LEDGER_FILES)]
    missing += [] if profile.exists() else [PROFILE_FILE]
    chosen = str(own) if own.exists() else scenario
    if chosen is None:
        missing.append(f"{SCENARIO_FILE} (or a scenario for the run)")
    if missing:
        return {}, f"no MTFP plan: {root.name}/ has no {', '.join(missing)}"
    return {"ledger": str(ledger), "profile": str(profile), "scenario": str(chosen)}, ""


def _plan_summary(inputs: Any, projection: Any, answers: pd.DataFrame) -> dict[str, Any]:
    """The final year's MTFP figures, money in pence."""
    lo, hi = interval_bounds(DEFAULT_CI_PROB)
    final = answers.iloc[-1]
    year = str(final["financial_year"])
    deficit = projection.line("in_year_deficit", year).astype(float) / 100
    closing = projection.line("closing_cumulative_deficit", year).astype(float) / 100
    placements = projection.line("placements", year).astype(float) / 100
    return {
        "final_year": year,
        "placement_cost_final_mean_pence": to_pence(float(placements.mean())),
        "contract_sum_final_pence": int(final["contract_sum_pence"]),
        "contract_sum_needed_final_mean_pence": int(final["contract_sum_needed_mean_pence"]),
        "p_breakeven_final": float(final["p_breakeven"]),
        "deficit_final_mean_pence": to_pence(float(deficit.mean())),
        "deficit_final_lower_pence": to_pence(float(np.quantile(deficit, lo))),
        "deficit_final_upper_pence": to_pence(float(np.quantile(deficit, hi))),
        "closing_cumulative_deficit_final_mean_pence": to_pence(float(closing.mean())),
        "plan": f"scenario {inputs.scenario.name!r} on {inputs.ledger.origin}",
    }


def forecast_ssda903_task(
    *,
    name: str,
    folder: str,
    horizon: int,
    draws: int,
    seed: int,
    scenario: str | None = None,
) -> dict[str, Any]:
    """Read one authority's SSDA903 returns, fit the placement model and forecast
    children in care ``horizon`` months ahead; with a ledger, profile and scenario,
    run the main job's steps for its MTFP figures."""
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.pipeline import (
        MIN_DRAWS,
        RunInputs,
        calibrate_costs,
        fit_demand,
        forecast_demand,
        mtfp_answers,
        project_plan,
    )
    from sctforecast.ssda903 import read_ssda903

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read_ssda903(folder)
    files, note = plan_files(folder, scenario)
    source = f"SSDA903 returns ({name})"
    if not files:
        alone = PlacementFlowModel(n_draws=draws).fit(data)
        out = _children_end(_total(alone.forecast_draws(horizon, random_seed=seed)), source=source)
        return {**out, "plan": note}
    inputs = RunInputs.resolve(
        ledger=files["ledger"],
        ssda903=data,
        profile=files["profile"],
        scenario=files["scenario"],
        draws=max(draws, MIN_DRAWS),
        random_seed=seed,
    )
    model = fit_demand(inputs)
    out = _children_end(_total(model.forecast_draws(horizon, random_seed=seed)), source=source)
    projection = project_plan(inputs, forecast_demand(model, inputs), calibrate_costs(inputs))
    return {**out, **_plan_summary(inputs, projection, mtfp_answers(projection, inputs))}


def _total(ds: Any) -> np.ndarray:
    """Children in care at month ends, (draw, month), from a ``forecast_draws`` Dataset."""
    return ds["children"].sum(TYPE_DIM).transpose(DRAW_DIM, MONTH_DIM).values


def scenario_batch_task(
    *,
    scenarios: dict[str, dict],
    draws: int,
    seed: int,
    ledger: Any,
    profile: Any,
    base: Any,
) -> dict[str, Any]:
    """Project a batch of variants of the ``base`` scenario (the ``j``-th with seed
    ``seed + j``) on the caller's ``ledger`` and ``profile``; per variant,
    breakeven and deficit figures."""
    from sctforecast.mtfp import project

    lo, hi = interval_bounds(DEFAULT_CI_PROB)
    out = {}
    for j, (name, changes) in enumerate(scenarios.items()):
        p = project(
            ledger,
            base.override(changes, name=name),
            profile=profile,
            draws=draws,
            random_seed=seed + j,
        )
        last = p.years[-1]
        c = p.line("closing_cumulative_deficit", last) / 100
        lo, hi = interval_bounds(DEFAULT_CI_PROB)
        out[name] = {
            "p_breakeven_first": p.probability_of_breakeven(p.years[1]),
            "p_breakeven_last": p.probability_of_breakeven(last),
            "closing_mean": float(c.mean()),
            "closing_lower": float(np.quantile(c, lo)),
            "closing_upper": float(np.quantile(c, hi)),
        }
    return out
