"""Helpers for the aggregate model's tests: synthetic series with known
parameters, generated with the model's own process, and pinned posteriors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sctforecast.demand import CareFlowData, CareFlowModel
from sctforecast.demand.aggregate_pymc import TRANSIENT_SD
from sctforecast.demand.design import STEP_MONTHS, design_for
from sctforecast.demand.simulate import latent_history, ou_step

TRUTH = {
    "entry_level": np.log(25.0),
    "exit_level": np.log(0.25),
    "entry_reversion": 0.8,
    "exit_reversion": 0.8,
    "entry_sd": 0.2,
    "exit_sd": 0.1,
}


def synthetic_care_flows(
    *,
    years: int = 16,
    freq: str = "year",
    seed: int = 0,
    population: float = 85_000.0,
    gap_sd: float = 8.0,
    quarterly_stocks: bool = False,
) -> tuple[CareFlowData, dict[str, float]]:
    """Flows and stocks from the model's process with :data:`TRUTH`: mean-reverting
    rates, Poisson counts of the latent flows, published stocks the latent stock
    plus Normal(0, ``gap_sd``) measurement error (monthly: stocks are the flows'
    running total, as SSDA903 gives them).  ``quarterly_stocks`` adds published
    stocks at the other quarter ends (yearly data)."""
    rng = np.random.default_rng(seed)
    step = STEP_MONTHS[freq]
    M = 12 * years
    S = M // step
    paths = {}
    for name in ("entry", "exit"):
        x = np.empty(S)
        x[0] = TRUTH[f"{name}_level"] + TRUTH[f"{name}_sd"] * rng.standard_normal()
        for s in range(1, S):
            x[s] = ou_step(
                x[s - 1],
                TRUTH[f"{name}_level"],
                TRUTH[f"{name}_reversion"],
                TRUTH[f"{name}_sd"],
                rng.standard_normal(),
                step,
            )
        paths[name] = x
    p = {
        "entry_path": paths["entry"][None],
        "exit_path": paths["exit"][None],
        "stock0": np.array([800.0]),
    }
    months = pd.period_range("2010-04", periods=M, freq="M")
    transient = None
    if freq == "year":
        z = rng.standard_normal((1, S, 4))
        p["entry_transient"] = z - z.mean(axis=2, keepdims=True)
        transient = (np.arange(M) % 12) // 3
    h = latent_history(
        p,
        population=np.full(M, population),
        month_of_year=np.array([m.month - 1 for m in months]),
        step_of_month=np.arange(M) // step,
        transient_of_month=transient,
        transient_sd=TRANSIENT_SD,
        uasc_start=M,
    )
    per = 12 if freq == "year" else 1
    e = rng.poisson(h["entries"][0].reshape(-1, per).sum(axis=1)).astype(float)
    x = rng.poisson(h["exits"][0].reshape(-1, per).sum(axis=1)).astype(float)
    if freq == "year":
        stock = np.round(h["stock"][0, ::12] + rng.normal(0, gap_sd, years + 1))
        periods = tuple(f"{2010 + k}/{(11 + k) % 100:02d}" for k in range(years))
    else:
        stock = 800.0 + np.r_[0.0, np.cumsum(e - x)]
        periods = tuple(str(m) for m in months)
    points = None
    if quarterly_stocks and freq == "year":
        ends = [m for m in range(3, M, 3) if m % 12]
        points = pd.DataFrame(
            {
                "date": [months[m - 1].end_time.normalize() for m in ends],
                "children_in_care": np.round(
                    h["stock"][0, ends] + rng.normal(0, gap_sd, len(ends))
                ),
            }
        )
    data = CareFlowData(
        periods,
        e,
        x,
        stock,
        np.full(len(periods), population),
        freq=freq,
        source="synthetic",
        stock_points=points,
    )
    return data, {**TRUTH, "latent_end": float(h["stock"][0, -1])}


def pinned_posterior(
    data: CareFlowData, *, chains: int = 2, draws: int = 200, seed: int = 0, **over
) -> dict:
    """Posterior draws near values that describe ``data`` (its own mean rates)."""
    rng = np.random.default_rng(seed)
    d = design_for(data)

    def n(mu, sd, *shape):
        return rng.normal(mu, sd, size=(chains, draws, *shape))

    years = d.M / 12
    rate = np.log(data.entries.sum() / years / (data.population.mean() / 1e4))
    hazard = np.log(data.exits.sum() / years / data.stock.mean())
    post = {
        "entry_level": n(rate, 0.05),
        "exit_level": n(hazard, 0.03),
        "entry_reversion": np.abs(n(0.7, 0.1)),
        "exit_reversion": np.abs(n(0.5, 0.1)),
        "entry_sd": np.abs(n(0.15, 0.03)),
        "exit_sd": np.abs(n(0.08, 0.02)),
        "entry_path": n(rate, 0.05, d.steps),
        "exit_path": n(hazard, 0.03, d.steps),
    }
    if d.observed_stock is None:
        post["stock0"] = n(data.stock[0], 5.0)
    if d.transients:
        z = n(0.0, 0.3, d.steps, d.transients)
        post["entry_transient"] = z - z.mean(axis=-1, keepdims=True)
    if not d.exact_stocks:
        post["gap_sigma"] = np.abs(n(8.0, 1.0))
    if d.has_uasc:
        post["uasc0"] = np.abs(n(d.uasc_obs[0], 2.0))
        post["uasc_entries"] = np.abs(n(40.0, 5.0))
        post["uasc_hazard"] = np.abs(n(0.6, 0.1))
    if d.seasonal:
        post["season_e"] = np.zeros((chains, draws, 12))
        post["season_x"] = np.zeros((chains, draws, 12))
    if d.has_foster:
        post["foster_share_logit"] = n(1.0, 0.05)
        post["foster_share_drift"] = n(-0.1, 0.05)
        post["foster_sigma"] = np.abs(n(5.0, 1.0))
    post.update(over)
    return post


def pinned_model(
    data: CareFlowData, *, config=None, mix=None, population=None, **over
) -> CareFlowModel:
    return CareFlowModel.from_posterior(
        data, pinned_posterior(data, **over), config=config, mix=mix, population=population
    )
