"""Forward simulation of care flows over posterior draws: plain vectorised numpy.

One loop over future periods (a handful); every operation is across all draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Levers", "simulate_aggregate", "neg_binomial"]


@dataclass(frozen=True)
class Levers:
    """Scenario levers applied from future period index ``start`` (0 = the first forecast period).

    ``entry_multiplier`` scales entries (an entry-rate shock); ``exit_multiplier``
    scales the exit hazard; ``extra_entries`` adds a stream of children per
    period (e.g. unaccompanied asylum-seeking children under a national transfer).
    """

    entry_multiplier: float = 1.0
    exit_multiplier: float = 1.0
    extra_entries: float = 0.0
    start: int = 0


def neg_binomial(
    rng: np.random.Generator, mu: npt.NDArray[np.float64], alpha: npt.NDArray[np.float64]
) -> np.ndarray:
    """Negative binomial draws with mean ``mu`` and dispersion ``alpha`` (var = mu + mu^2/alpha)."""
    lam = rng.gamma(shape=alpha, scale=np.maximum(mu, 1e-12) / alpha)
    return rng.poisson(lam).astype(np.float64)


def simulate_aggregate(
    rng: np.random.Generator,
    *,
    eta_last: np.ndarray,
    slope_last: np.ndarray,
    xi_last: np.ndarray,
    xslope_last: np.ndarray,
    alpha: np.ndarray,
    alpha_x: np.ndarray,
    gap_mu: np.ndarray,
    gap_sigma: np.ndarray,
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
    """Simulate ``horizon`` future periods for every draw.

    ``eta`` is the log entry rate per 10,000 children per period, ``xi`` the log
    exit hazard per child at risk per period; both continue on their last
    slope, and a new slope change ~ Normal(0, changepoint_scale) may occur at
    each future changepoint, so uncertainty about the trend grows with the
    horizon.  ``damping`` (per year) shrinks the slopes towards zero as the
    forecast goes on (a damped trend: 1 keeps them, 0.8 is the default of
    :class:`CareFlowConfig`), so a few years of history are not extrapolated
    for ever.  Returns entries, exits, stock (end of period), each (draws, horizon).
    """
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
        gap = np.round(rng.normal(gap_mu, gap_sigma))
        stock = np.maximum(stock + entries - exits + gap, 0.0)
        out["entries"][:, k] = entries
        out["exits"][:, k] = exits
        out["stock"][:, k] = stock
    return out
