"""Numpy kernels of the care-flow models, vectorised over posterior draws.

Every array of parameters has the draws on its first axis; the only Python
loops are over months.  No pandas, no PyMC: these are unit-tested alone.

The aggregate model's latent process (:func:`latent_history` for the months
of the data, :func:`simulate_forecast` after them), month ``m``:

* log entry rate per 10,000 children a year ``eta`` and log exit hazard a
  year ``xi`` are Ornstein-Uhlenbeck processes observed every ``step`` months
  (a rate holds for its step): with ``phi = exp(-kappa step / 12)``,
  ``x[s] = level + phi (x[s-1] - level) + sd sqrt(1 - phi^2) z[s]``, so ``sd``
  is the spread of the rate around its long-run ``level`` and ``kappa`` the
  reversion speed a year;
* children in care other than UASC, ``C``: entrants ``lam = P / 10,000 x
  exp(eta) / 12`` arrive mid-month; everyone leaves at hazard ``h = exp(xi)``:
  ``C[m+1] = C[m] exp(-h/12) + lam exp(-h/24)``;
* UASC in care ``U`` follow the same rule with their own entries a year and
  hazard, held level before the UASC stream starts;
* exits are what conservation leaves: ``stock[m] + entries[m] - stock[m+1]``.

The published stock/flow gap is measurement error on published stocks: it
lives in the likelihood, never in these paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "INIT_SD",
    "Levers",
    "latent_history",
    "neg_binomial",
    "ou_step",
    "simulate_aggregate",
    "simulate_forecast",
]

#: Prior sd of the first step's log entry rate and log exit hazard around the
#: first year's published rate: the series may start away from its long-run level.
INIT_SD = {"entry": 0.5, "exit": 0.3}

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Levers:
    """Scenario levers applied from forecast month ``start`` (0 = the first month).

    ``entry_multiplier`` scales entries other than UASC; ``exit_multiplier``
    scales their exit hazard; ``extra_entries`` adds children a year (spread
    evenly over the months) to the stream other than UASC.
    """

    entry_multiplier: float = 1.0
    exit_multiplier: float = 1.0
    extra_entries: float = 0.0
    start: int = 0


def neg_binomial(rng: np.random.Generator, mu: Array, alpha: Array) -> np.ndarray:
    """Negative binomial draws with mean ``mu`` and dispersion ``alpha`` (var = mu + mu^2/alpha)."""
    lam = rng.gamma(shape=alpha, scale=np.maximum(mu, 1e-12) / alpha)
    return rng.poisson(lam).astype(np.float64)


def ou_step(x: Array, level: Array, kappa: Array, sd: Array, z: Array, months: int = 1) -> Array:
    """``months`` months of an Ornstein-Uhlenbeck process (exact discretisation)."""
    phi = np.exp(-kappa * months / 12.0)
    return level + phi * (x - level) + sd * np.sqrt(1.0 - phi**2) * z


def latent_history(
    p: dict[str, Array],
    *,
    population: Array,
    month_of_year: Array,
    step_of_month: Array,
    transient_of_month: Array | None = None,
    transient_sd: float = 0.0,
    uasc_start: int,
    observed_stock: Array | None = None,
    observed_entries: Array | None = None,
) -> dict[str, Array]:
    """The latent monthly paths of the data's months for every draw.

    ``p`` holds the model's parameters, each (draws,), or (draws, steps) for
    the mean-reverting log-rate paths ``entry_path`` and ``exit_path`` (a
    value holds for the months of its step), (draws, steps, transients) for
    the standardised deviations of the entry rate within a step,
    ``entry_transient`` (adding to zero over a step; scaled by
    ``transient_sd``).  Returns ``eta``, ``xi`` (with the deviations and any
    month-of-year effect), ``entries``, ``exits`` (draws, M) and ``stock``,
    ``uasc`` (draws, M + 1).  With ``observed_stock`` (M + 1,) the stock is
    known (monthly counts whose stocks are the flows' running total): exits
    are then expected from it and ``observed_entries`` (M,)."""
    eta = np.asarray(p["entry_path"], float)[:, step_of_month]
    xi = np.asarray(p["exit_path"], float)[:, step_of_month]
    if transient_of_month is not None and "entry_transient" in p:
        z = np.asarray(p["entry_transient"], float)[:, step_of_month, transient_of_month]
        eta = eta + transient_sd * z
    n, M = eta.shape
    if "season_e" in p:
        eta = eta + np.asarray(p["season_e"])[:, month_of_year]
        xi = xi + np.asarray(p["season_x"])[:, month_of_year]
    lam = population[None, :] / 1e4 * np.exp(eta) / 12.0
    h = np.exp(xi)
    if observed_stock is not None:
        stock = np.broadcast_to(np.asarray(observed_stock, float), (n, M + 1))
        exits = stock[:, :-1] * (1.0 - np.exp(-h / 12.0)) + observed_entries * (
            1.0 - np.exp(-h / 24.0)
        )
        return {
            "eta": eta,
            "xi": xi,
            "entries": lam,
            "exits": exits,
            "stock": stock,
            "uasc": np.zeros((n, M + 1)),
        }
    stock0 = np.asarray(p["stock0"], float)
    uasc = np.zeros((n, M + 1))
    u_in = np.zeros((n, M))
    if "uasc0" in p:
        hu, u0 = np.asarray(p["uasc_hazard"], float), np.asarray(p["uasc0"], float)
        keep = u0 * (1.0 - np.exp(-hu / 12.0)) * np.exp(hu / 24.0)  # entries that hold U level
        uasc[:, 0] = u0
        for m in range(M):
            u_in[:, m] = keep if m < uasc_start else np.asarray(p["uasc_entries"], float) / 12.0
            uasc[:, m + 1] = uasc[:, m] * np.exp(-hu / 12.0) + u_in[:, m] * np.exp(-hu / 24.0)
    citizen = np.empty((n, M + 1))
    citizen[:, 0] = stock0 - uasc[:, 0]
    for m in range(M):
        citizen[:, m + 1] = citizen[:, m] * np.exp(-h[:, m] / 12.0) + lam[:, m] * np.exp(
            -h[:, m] / 24.0
        )
    stock = citizen + uasc
    entries = lam + u_in
    exits = stock[:, :-1] + entries - stock[:, 1:]
    return {"eta": eta, "xi": xi, "entries": entries, "exits": exits, "stock": stock, "uasc": uasc}


def simulate_forecast(
    rng: np.random.Generator,
    p: dict[str, Array],
    *,
    eta: Array,
    xi: Array,
    citizen: Array,
    uasc: Array,
    population: Array,
    first_month: int,
    step: int = 1,
    transient_step: int = 0,
    transient_sd: float = 0.0,
    uasc_ceiling: Array | None = None,
    levers: Levers = Levers(),
) -> dict[str, Array]:
    """Simulate ``len(population)`` months after the data for every draw.

    ``eta``, ``xi`` (draws,) are the last step's mean-reverting log rates
    (without deviations or month-of-year effects), ``citizen``, ``uasc`` the
    children in care at the end of the data; the rates take a new value every
    ``step`` months, keeping their process noise and reverting to their
    long-run levels, so intervals widen with the horizon but stay bounded;
    with ``transient_step``, the entry rate also deviates every
    ``transient_step`` months (sd ``transient_sd``, adding to zero over a
    step), as in the fit.  ``first_month`` is the month of year (0 =
    January) of the first forecast month; ``uasc_ceiling`` (months,) caps UASC
    in care (e.g. the national transfer scheme's 0.1% of the child
    population).  Returns
    ``entries``, ``exits``, ``children`` (month ends), ``uasc``,
    ``uasc_entries``, each (draws, months)."""
    H, n = len(population), eta.shape[0]
    out = {k: np.empty((n, H)) for k in ("entries", "exits", "children", "uasc", "uasc_entries")}
    eta, xi = eta.astype(float).copy(), xi.astype(float).copy()
    c, u = citizen.astype(float).copy(), uasc.astype(float).copy()
    has_uasc = "uasc_hazard" in p
    hu = np.asarray(p["uasc_hazard"], float) if has_uasc else np.zeros(n)
    lam_u = np.asarray(p["uasc_entries"], float) / 12.0 if has_uasc else np.zeros(n)
    for k in range(H):
        if k % step == 0:
            z = rng.standard_normal((2, n))
            eta = ou_step(eta, p["entry_level"], p["entry_reversion"], p["entry_sd"], z[0], step)
            xi = ou_step(xi, p["exit_level"], p["exit_reversion"], p["exit_sd"], z[1], step)
        if transient_step and k % step == 0:  # a step's deviations add to zero
            zt = rng.standard_normal((n, step // transient_step))
            zt = zt - zt.mean(axis=1, keepdims=True)
        e_eff, x_eff = eta, xi
        if transient_step:
            e_eff = eta + transient_sd * zt[:, (k % step) // transient_step]
        if "season_e" in p:
            m = (first_month + k) % 12
            e_eff = e_eff + np.asarray(p["season_e"])[:, m]
            x_eff = x_eff + np.asarray(p["season_x"])[:, m]
        lam = population[k] / 1e4 * np.exp(e_eff) / 12.0
        h = np.exp(x_eff)
        if k >= levers.start:
            lam = lam * levers.entry_multiplier + levers.extra_entries / 12.0
            h = h * levers.exit_multiplier
        u_in = lam_u.copy()
        u_next = u * np.exp(-hu / 12.0) + u_in * np.exp(-hu / 24.0)
        if uasc_ceiling is not None:  # transfers stop at the ceiling
            room = np.maximum(uasc_ceiling[k] - u * np.exp(-hu / 12.0), 0.0)
            u_in = np.minimum(u_in, room * np.exp(hu / 24.0))
            u_next = u * np.exp(-hu / 12.0) + u_in * np.exp(-hu / 24.0)
        c_next = c * np.exp(-h / 12.0) + lam * np.exp(-h / 24.0)
        out["entries"][:, k] = lam + u_in
        out["exits"][:, k] = c + u + lam + u_in - c_next - u_next
        c, u = c_next, u_next
        out["children"][:, k] = c + u
        out["uasc"][:, k] = u
        out["uasc_entries"][:, k] = u_in
    return out


def simulate_aggregate(
    rng: np.random.Generator,
    *,
    eta_last: np.ndarray,
    slope_last: np.ndarray,
    xi_last: np.ndarray,
    xslope_last: np.ndarray,
    alpha: np.ndarray,
    alpha_x: np.ndarray,
    changepoint_scale: float,
    stock0: float,
    population: float,
    horizon: int,
    dt: float,
    season: np.ndarray | None = None,
    season_x: np.ndarray | None = None,
    first_month: int = 0,
    changepoint_every: int = 1,
    damping: float = 1.0,
    levers: Levers = Levers(),
) -> dict[str, np.ndarray]:
    """Trend simulation for the pooled model of many authorities
    (:mod:`sctforecast.regional`): log rates continue on their last slope,
    damped by ``damping`` a year, with a new slope change ~ Normal(0,
    ``changepoint_scale``) at each changepoint; counts are negative binomial.
    Stocks change by entries less exits only.  Returns entries, exits, stock
    (end of period), each (draws, horizon)."""
    damp = damping**dt
    n = eta_last.shape[0]
    eta, slope = eta_last.copy(), slope_last.copy()
    xi, xslope = xi_last.copy(), xslope_last.copy()
    stock = np.full(n, float(stock0))
    out = {k: np.empty((n, horizon)) for k in ("entries", "exits", "stock")}
    for k in range(horizon):
        slope = slope * damp
        xslope = xslope * damp
        if k % changepoint_every == 0 and k > 0:
            slope = slope + rng.normal(0.0, changepoint_scale, n)
            xslope = xslope + rng.normal(0.0, changepoint_scale, n)
        eta = eta + slope * dt
        xi = xi + xslope * dt
        e_eta, e_xi = eta, xi
        if season is not None:
            m = (first_month + k) % 12
            e_eta = eta + season[:, m]
            e_xi = xi + (season_x[:, m] if season_x is not None else 0.0)
        mu_e = population / 1e4 * np.exp(e_eta)
        h = np.exp(e_xi)
        if k >= levers.start:
            mu_e = mu_e * levers.entry_multiplier
            h = h * levers.exit_multiplier
        entries = neg_binomial(rng, mu_e, alpha)
        if k >= levers.start and levers.extra_entries:
            entries = entries + rng.poisson(levers.extra_entries, n)
        at_risk = stock + entries / 2
        exits = np.minimum(neg_binomial(rng, h * at_risk, alpha_x), stock + entries)
        stock = stock + entries - exits
        out["entries"][:, k] = entries
        out["exits"][:, k] = exits
        out["stock"][:, k] = stock
    return out
