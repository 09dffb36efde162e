"""Task functions the engine fans out (top-level so Dask can ship them)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.costs import PLACEMENT_TYPES, PlacementCostModel
from sctforecast.demand.simulate import simulate_aggregate
from sctforecast.errors import DataQualityWarning
from sctforecast.periods import FinancialYear

__all__ = [
    "summarise_authority",
    "forecast_series_task",
    "forecast_ssda903_task",
    "scenario_batch_task",
]

BUDGET_UPLIFT = 0.03


def summarise_authority(
    children: np.ndarray, pdays: xr.DataArray, *, source: str
) -> dict[str, Any]:
    """Children in care at the end, placement cost by financial year, and the gap to
    a placement budget set at the first year's mean cost, uprated 3% a year."""
    cost = PlacementCostModel().cost(pdays).by_year()["net"].sum("placement_type")  # (draw, year)
    v = cost.transpose("draw", "financial_year").values
    years = [str(y) for y in cost["financial_year"].values]
    budget = v[:, 0].mean() * (1 + BUDGET_UPLIFT) ** np.arange(len(years))
    gap = v - budget[None, :]
    end = children[:, -1]
    q = np.quantile
    return {
        "source": source,
        "children_in_care_end_mean": float(end.mean()),
        "children_in_care_end_lower": float(q(end, 0.05)),
        "children_in_care_end_upper": float(q(end, 0.95)),
        "final_year": years[-1],
        "placement_cost_final_mean": float(v[:, -1].mean()),
        "deficit_final_mean": float(gap[:, -1].mean()),
        "deficit_final_lower": float(q(gap[:, -1], 0.05)),
        "deficit_final_upper": float(q(gap[:, -1], 0.95)),
    }


def _days_from_children(
    children: np.ndarray, months: pd.PeriodIndex, mix: dict[str, float]
) -> xr.DataArray:
    share = np.array([mix.get(t, 0.0) for t in PLACEMENT_TYPES])
    days = children * months.days_in_month.to_numpy(dtype=float)[None, :]
    return xr.DataArray(
        days[:, :, None] * share[None, None, :],
        dims=("draw", "month", "placement_type"),
        coords={"month": [str(m) for m in months], "placement_type": list(PLACEMENT_TYPES)},
    )


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
    mix: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Forecast one authority from its draws of the pooled model's posterior.

    Placement cost needs the authority's own placement mix; without one only
    children in care are reported (the cost columns are left empty)."""
    p = {k: np.asarray(v) for k, v in posterior.items()}
    rng = np.random.default_rng(seed)
    first = pd.Period(last_period, freq="M") + 1
    # whole financial years: start at the next April
    skip = (4 - first.month) % 12
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
        horizon=horizon + skip,
        dt=1 / 12,
        season=p["season"],
        season_x=p["season_x"],
        first_month=first.month - 1,
        changepoint_every=12,
        damping=0.8,
    )
    children = sims["stock"][:, skip:]
    months = pd.period_range(first + skip, periods=horizon, freq="M")
    if mix is None:
        end = children[:, -1]
        return {
            "source": f"pooled model ({name})",
            "children_in_care_end_mean": float(end.mean()),
            "children_in_care_end_lower": float(np.quantile(end, 0.05)),
            "children_in_care_end_upper": float(np.quantile(end, 0.95)),
        }
    return summarise_authority(
        children, _days_from_children(children, months, mix), source=f"pooled model ({name})"
    )


def forecast_ssda903_task(
    *, name: str, folder: str, horizon: int, draws: int, seed: int
) -> dict[str, Any]:
    """Read one authority's SSDA903 returns, fit the placement model, simulate and cost."""
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.ssda903 import read_ssda903

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read_ssda903(folder)
    m = PlacementFlowModel(n_draws=draws).fit(data)
    ds = m.simulate(horizon, random_seed=seed)
    months = pd.PeriodIndex(ds["month"].values, freq="M")
    fy = [FinancialYear.containing(mm.start_time) for mm in months]
    keep = [i for i, y in enumerate(fy) if fy.count(y) == 12]
    sub = ds.isel(month=keep)
    children = sub["children"].sum("placement_type").values
    return summarise_authority(children, sub["placement_days"], source=f"SSDA903 returns ({name})")


def scenario_batch_task(*, scenarios: dict[str, dict], draws: int, seed: int) -> dict[str, Any]:
    """Project a batch of MTFP scenario variants; per variant, breakeven and deficit figures."""
    from sctforecast.mtfp import Scenario, project

    base = Scenario.builtin("default")
    out = {}
    for j, (name, changes) in enumerate(scenarios.items()):
        p = project(None, base.override(changes, name=name), draws=draws, random_seed=seed + j)
        last = p.years[-1]
        c = p.line("closing_cumulative_deficit", last) / 100
        out[name] = {
            "p_breakeven_first": p.probability_of_breakeven(p.years[1]),
            "p_breakeven_last": p.probability_of_breakeven(last),
            "closing_mean": float(c.mean()),
            "closing_lower": float(np.quantile(c, 0.05)),
            "closing_upper": float(np.quantile(c, 0.95)),
        }
    return out
