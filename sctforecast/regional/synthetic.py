"""Synthetic authorities with known entry rates and exit hazards."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.regional.data import AuthorityPanel

__all__ = ["synthetic_authorities", "AuthorityTruth"]


@dataclass(frozen=True)
class AuthorityTruth:
    entry_rate_per_10k: np.ndarray  # (A,) entries per 10,000 children per year
    exit_hazard: np.ndarray  # (A,) per child per month
    small: np.ndarray  # (A,) bool: small authorities


def synthetic_authorities(
    n: int = 30,
    months: int = 84,
    *,
    small_share: float = 0.4,
    random_seed: int = 0,
    start: str = "2017-04",
) -> tuple[AuthorityPanel, AuthorityTruth]:
    """``n`` authorities drawn from a shared distribution (log entry rate ~
    Normal(log 25, 0.25), log monthly exit hazard ~ Normal(log 0.02, 0.2)),
    a share of them small (5,000 to 15,000 children), the rest 40,000 to 250,000."""
    rng = np.random.default_rng(random_seed)
    small = rng.random(n) < small_share
    pop = np.where(small, rng.uniform(5_000, 15_000, n), rng.uniform(40_000, 250_000, n)).round()
    rate = np.exp(rng.normal(np.log(25.0), 0.25, n))  # per 10k per year
    hazard = np.exp(rng.normal(np.log(0.02), 0.2, n))
    season = 0.1 * np.sin(2 * np.pi * np.arange(12) / 12)
    first = pd.Period(start, freq="M")
    periods = tuple(str(first + k) for k in range(months))
    stock = np.zeros((n, months + 1))
    stock[:, 0] = np.round(pop / 1e4 * rate / 12 / hazard)  # near the steady state
    entries = np.zeros((n, months))
    exits = np.zeros((n, months))
    for t in range(months):
        mu = pop / 1e4 * rate / 12 * np.exp(season[(first + t).month - 1])
        e = rng.poisson(rng.gamma(50.0, mu / 50.0))
        x = np.minimum(rng.binomial(stock[:, t].astype(int) + e // 2, hazard), stock[:, t] + e)
        entries[:, t], exits[:, t] = e, x
        stock[:, t + 1] = stock[:, t] + e - x
    names = tuple(f"LA{i:03d}" for i in range(n))
    return AuthorityPanel(names, periods, entries, exits, stock, pop, "month"), AuthorityTruth(
        rate, hazard, small
    )
