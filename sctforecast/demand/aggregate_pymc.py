"""The aggregate care-flow model written in PyMC (built here, sampled in ``aggregate``).

The latent monthly process is :func:`sctforecast.demand.simulate.latent_history`
in closed form (no scan, so it compiles fast): the stock recursion
``S[m+1] = S[m] exp(a[m]) + b[m]`` is ``S[m+1] = A[m] (S[0] + cumsum(b / A)[m])``
with ``log A = cumsum(a)``.  A test checks the two agree.

Sampling notes (what made NUTS behave on the published series):

* the mean-reverting log rates are *centred* paths (the path is the
  parameter, its Ornstein-Uhlenbeck density a potential): each year's
  published flows pin its rates, which is where innovations sample badly;
* their spreads have Gamma(4, .) priors, which keep off zero where a centred
  path would funnel;
* the quarterly deviations of the entry rate within a year add to zero over
  the year and have a fixed scale (:data:`TRANSIENT_SD`): only a handful of
  intra-year counts say anything about it;
* published stocks are Student-t around the latent stock: a count that
  disagrees with its neighbours (different reports count differently) is
  allowed to, rather than bending the whole path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sctforecast.demand.design import EXACT_STOCK_SD, UASC_HAZARD_MEDIAN, FlowDesign
from sctforecast.demand.simulate import INIT_SD, latent_history

if TYPE_CHECKING:
    import pymc as pm

__all__ = [
    "build_care_flow_model",
    "latent_history_of",
    "PRIORS",
    "TRANSIENT_SD",
    "INTERNAL_NAMES",
]

#: sd of the quarterly deviations of the log entry rate within a year.
TRANSIENT_SD = 0.2


def latent_history_of(d: FlowDesign, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The numpy mirror of the graph below: the latent monthly paths of design
    ``d`` for parameter draws ``params`` (see :func:`~sctforecast.demand.simulate.latent_history`)."""
    return latent_history(
        params,
        population=d.population,
        month_of_year=d.month_of_year,
        step_of_month=d.step_of_month,
        transient_of_month=d.transient_of_month if d.transients else None,
        transient_sd=TRANSIENT_SD,
        uasc_start=d.uasc_start,
        observed_stock=d.observed_stock,
        observed_entries=d.observed_entries,
    )


#: Priors not centred on the data (docs/demand.md lists them all).
PRIORS = {
    "reversion_median": 0.5,  # a year: a half-life of about 1.4 years
    "reversion_log_sd": 0.5,
    "rate_sd_shape": 4.0,  # Gamma(shape, shape / mean): spread of a log rate around its level
    "entry_sd_mean": 0.2,
    "exit_sd_mean": 0.15,
    "season_sd": 0.2,
    "gap_nu": 4.0,  # Student-t degrees of freedom of the published stocks' measurement gap
    "uasc0_log_sd": 0.3,
    "uasc_hazard_log_sd": 0.3,
    "uasc_entries_log_sd": 1.0,
    "foster_logit_sd": 1.5,
    "foster_drift_sd": 0.5,  # change of the foster share's log-odds a year
    "foster_sigma_scale": 10.0,
}

#: Names in the model that are not parameters of the posterior kept.
INTERNAL_NAMES = ("entry_path_density", "exit_path_density")


def _centred_ou(pm, pt, name, level, kappa, sd, start, init_sd, d):  # type: ignore[no-untyped-def]
    """A path of ``d.steps`` values whose Ornstein-Uhlenbeck density is a potential."""
    path = pm.Flat(name, dims="step", initval=np.full(d.steps, start))
    phi = pt.exp(-kappa * d.step / 12.0)
    pm.Potential(
        f"{name}_density",
        pm.logp(pm.Normal.dist(start, init_sd), path[0])
        + pm.logp(
            pm.Normal.dist(level + phi * (path[:-1] - level), sd * pt.sqrt(1.0 - phi**2)), path[1:]
        ).sum(),
    )
    return path


def _noncentred_ou(pm, pt, name, level, kappa, sd, start, init_sd, d):  # type: ignore[no-untyped-def]
    """The path from standard-normal innovations ``{name}_z``: a lower-triangular
    matrix of powers of ``phi`` times the scaled innovations."""
    z = pm.Normal(f"{name}_z", 0.0, 1.0, dims="step")
    s = np.arange(d.steps)
    lag = (s[:, None] - s[None, :]).astype(float)
    mask = lag >= 0
    phi = pt.exp(-kappa * d.step / 12.0)
    P = pt.switch(mask, phi ** np.where(mask, lag, 0.0), 0.0)
    v = pt.concatenate([start + init_sd * z[:1] - level, sd * pt.sqrt(1.0 - phi**2) * z[1:]])
    return pm.Deterministic(name, level + pt.dot(P, v), dims="step")


def _stock_path(pt, start, a_log, b):  # type: ignore[no-untyped-def]
    """``S[m+1] = S[m] exp(a_log[m]) + b[m]`` for every month, in closed form."""
    H = pt.cumsum(a_log)
    tail = pt.exp(H) * (start + pt.cumsum(b * pt.exp(-H)))
    return pt.concatenate([pt.stack([start]), tail])


def _rates(pm, pt, d: FlowDesign, level_prior_sd: float):  # type: ignore[no-untyped-def]
    """Monthly log entry rate and log exit hazard (with deviations and seasons)."""
    out = {}
    for name, centre, start in (
        ("entry", d.entry_level, d.eta_start),
        ("exit", d.exit_level, d.xi_start),
    ):
        level = pm.Normal(f"{name}_level", centre, level_prior_sd)
        kappa = pm.LogNormal(
            f"{name}_reversion", np.log(PRIORS["reversion_median"]), PRIORS["reversion_log_sd"]
        )
        shape = PRIORS["rate_sd_shape"]
        sd = pm.Gamma(f"{name}_sd", alpha=shape, beta=shape / PRIORS[f"{name}_sd_mean"])
        ou = _centred_ou if d.centred else _noncentred_ou
        path = ou(pm, pt, f"{name}_path", level, kappa, sd, start, INIT_SD[name], d)
        out[name] = path[d.step_of_month]
    if d.transients:
        z = pm.ZeroSumNormal("entry_transient", sigma=1.0, dims=("step", "transient"))
        out["entry"] = out["entry"] + TRANSIENT_SD * z[d.step_of_month, d.transient_of_month]
    if d.seasonal:
        for name, key in (("entry", "season_e"), ("exit", "season_x")):
            season = pm.ZeroSumNormal(key, sigma=PRIORS["season_sd"], shape=12)
            out[name] = out[name] + season[d.month_of_year]
    return out["entry"], out["exit"]


def _uasc(pm, pt, d: FlowDesign):  # type: ignore[no-untyped-def]
    """UASC in care and their entries by month (held level before the stream starts)."""
    M = d.M
    if not d.has_uasc:
        return 0.0, pt.zeros(M), pt.zeros(M + 1)
    u_first, u_last = max(d.uasc_obs[0], 1.0), max(d.uasc_obs[-1], 1.0)
    u0 = pm.LogNormal("uasc0", np.log(u_first), PRIORS["uasc0_log_sd"])
    hu = pm.LogNormal("uasc_hazard", np.log(UASC_HAZARD_MEDIAN), PRIORS["uasc_hazard_log_sd"])
    lam_u = pm.LogNormal(
        "uasc_entries", np.log(UASC_HAZARD_MEDIAN * u_last), PRIORS["uasc_entries_log_sd"]
    )
    keep = u0 * (1.0 - pt.exp(-hu / 12.0)) * pt.exp(hu / 24.0)
    u_in = pt.switch(np.arange(M) < d.uasc_start, keep, lam_u / 12.0)
    uasc = _stock_path(pt, u0, pt.ones(M) * (-hu / 12.0), u_in * pt.exp(-hu / 24.0))
    at_counts = pt.dot(d.uasc_weights, uasc)
    pm.Normal("uasc_in_care", at_counts, pt.sqrt(at_counts + 1.0), observed=d.uasc_obs)
    return u0, u_in, uasc


def _published_stocks(pm, pt, d: FlowDesign, stock) -> None:  # type: ignore[no-untyped-def]
    """Published stocks measure the latent stock: Student-t errors of scale
    ``gap_sigma``, or a rounding-sized Normal where stocks are the flows'
    running total."""
    published = pt.dot(d.stock_weights, stock)
    if d.exact_stocks:
        pm.Normal("stock", published, EXACT_STOCK_SD, observed=d.stock_obs, dims="published_stock")
        return
    gap_sigma = pm.Gamma("gap_sigma", alpha=2.0, beta=4.0 / d.gap_scale)
    pm.StudentT(
        "stock",
        nu=PRIORS["gap_nu"],
        mu=published,
        sigma=gap_sigma,
        observed=d.stock_obs,
        dims="published_stock",
    )


def _foster(pm, d: FlowDesign, stock) -> None:  # type: ignore[no-untyped-def]
    """Children in foster care: a share of the stock that may drift (the mix
    moves), so the series says little about the total."""
    logit = pm.Normal("foster_share_logit", 0.0, PRIORS["foster_logit_sd"])
    drift = pm.Normal("foster_share_drift", 0.0, PRIORS["foster_drift_sd"])
    share = pm.math.sigmoid(logit + drift * d.foster_years)
    sigma_f = pm.HalfNormal("foster_sigma", PRIORS["foster_sigma_scale"])
    pm.Normal("foster", share * stock[d.foster_index], sigma_f, observed=d.foster_obs)


def build_care_flow_model(
    d: FlowDesign, *, level_prior_sd: float, keep_paths: bool = False
) -> pm.Model:
    """The PyMC model of the design ``d`` (docs/demand.md has the maths).
    ``keep_paths`` adds the latent monthly stock, entries and exits as
    deterministics (``latent_stock``, ``latent_entries``, ``latent_exits``)."""
    import pymc as pm
    import pytensor.tensor as pt

    coords = {
        "step": [str(m) for m in d.months[:: d.step]],
        "transient": list(range(d.transients)),
        "flow": list(d.flow_labels),
        "published_stock": list(d.stock_labels),
    }
    with pm.Model(coords=coords) as model:
        eta, xi = _rates(pm, pt, d, level_prior_sd)
        lam = d.population / 1e4 * pt.exp(eta) / 12.0
        h = pt.exp(xi)
        if d.observed_stock is not None:  # monthly stocks known exactly: exits at risk from them
            stock = pt.as_tensor(d.observed_stock)
            entries = lam
            exits = stock[:-1] * (1.0 - pt.exp(-h / 12.0)) + d.observed_entries * (
                1.0 - pt.exp(-h / 24.0)
            )
        else:
            stock0 = pm.Normal("stock0", d.stock_start, 3 * d.gap_scale)
            u0, u_in, uasc = _uasc(pm, pt, d)
            citizen = _stock_path(pt, stock0 - u0, -h / 12.0, lam * pt.exp(-h / 24.0))
            stock = citizen + uasc
            entries = lam + u_in
            exits = stock[:-1] + entries - stock[1:]
        if keep_paths:
            pm.Deterministic("latent_stock", stock)
            pm.Deterministic("latent_entries", entries)
            pm.Deterministic("latent_exits", exits)
        pm.Poisson("entries", pt.dot(d.flow_windows, entries), observed=d.flow_entries, dims="flow")
        pm.Poisson("exits", pt.dot(d.flow_windows, exits), observed=d.flow_exits, dims="flow")
        if d.observed_stock is None:
            _published_stocks(pm, pt, d, stock)
        if d.has_foster:
            _foster(pm, d, stock)
    return model
