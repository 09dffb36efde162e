"""Levels that drift: the dynamic part of the placement model's rates.

A flow's rate in month ``t`` for group ``g`` (a category entered, a category
left, a pair of categories moved between) is its static structure times
``exp(common[t] + deviation[g, t] + effect[g, t])``:

* ``common``: the log level of the whole flow, a local level with, where
  the data support one, a trend:
  ``level[t] = level[t-1] + slope[t-1] + N(-W/2, W)``,
  ``slope[t] = slope[t-1] + N(0, W_slope)``; forecasts damp the slope
  (``slope[t+1] = phi * slope[t]``, ``phi`` = 0.98 a month), so a trend seen
  for years is carried forward, but not for ever;
* ``deviation``: each group's own random walk, ``N(-W/2, W)`` a month;
* ``effect``: a month effect, log-normal of variance ``V``, for what Poisson
  counts do not explain (sibling groups, court lists, a batch of records).

Counts are Poisson given the level.  Each series is filtered with the
conjugate updating of dynamic generalised linear models (West, Harrison and
Migon, 1985): the normal prior of the log mean is matched to a Gamma, updated
with the month's count, and matched back.  The common level is filtered on
the flow's total; each group's deviation on its own counts, given the common
level.  ``W``, ``V`` and whether there is a trend are not guessed: a grid of
values is weighted by the one-step-ahead predictive likelihood of every month
(the marginal likelihood of each grid point), for each series on its own data,
the categories of a flow sharing a prior learnt from all of them (empirical
Bayes): a category whose entries jumped gets a larger drift than the steady
ones, and one with few children borrows its volatility from the others.

Forecast draws pick a grid point by its weight, draw the state at the origin
and carry the same random walks forward, so intervals widen with the horizon
and drift common to all categories moves them together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.demand.special import digamma, gammaln, inv_trigamma, trigamma
from sctforecast.errors import ConfigError

__all__ = [
    "DRIFT_GRID",
    "MONTH_EFFECT_GRID",
    "TREND",
    "FlowLevels",
    "LevelPosterior",
    "filter_levels",
    "fit_levels",
]

#: Standard deviations per month of a log level's random walk, weighed by the data.
DRIFT_GRID = np.array([0.005, 0.01, 0.02, 0.035, 0.06, 0.1])
#: Standard deviations of the log month effect.
MONTH_EFFECT_GRID = np.array([0.0, 0.05, 0.1, 0.2, 0.35])
#: The trend of the common level, when the data support one: prior sd of the
#: slope (log change a month), sd of its monthly change, and its damping a
#: month in forecasts.
TREND = {"prior_sd": 0.01, "walk_sd": 0.0005, "damping": 0.98}
_PRIOR_VAR = 1.0  # prior variance of a log level at the start of the window


def filter_levels(
    counts: np.ndarray,
    expected: np.ndarray,
    drift_var: np.ndarray,
    month_var: np.ndarray,
    *,
    slope_var: np.ndarray | None = None,
    slope_walk_var: np.ndarray | None = None,
    damping: float = 1.0,
) -> dict[str, np.ndarray]:
    """Filter log levels (and slopes) over months.

    ``counts`` and ``expected`` are (month, group); ``drift_var``,
    ``month_var`` and the optional slope variances (prior and monthly) are
    (grid,).  Returns, for each grid point and group, the state after the last
    month (``level``, ``slope``, ``var_level``, ``var_slope``, ``cov``), the
    log predictive likelihood of every month's count given the months before
    (``loglik``, summed over months), the filtered levels (``path``, (month,
    grid, group)) and the smoothed ones (``smooth``: each month's level given
    every month, by the Rauch-Tung-Striebel pass on the normal approximation).
    """
    J, G = len(drift_var), counts.shape[1]
    W, V = drift_var[:, None], month_var[:, None]
    Ws = np.zeros((J, 1)) if slope_walk_var is None else slope_walk_var[:, None]
    m0, m1 = np.zeros((J, G)), np.zeros((J, G))
    c00 = np.full((J, G), _PRIOR_VAR)
    c01 = np.zeros((J, G))
    c11 = np.zeros((J, G)) + (0.0 if slope_var is None else slope_var[:, None])
    loglik = np.zeros((J, G))
    M = counts.shape[0]
    keep = {k: np.empty((M, J, G)) for k in ("m0", "m1", "c00", "c01", "c11", "r00", "r01", "r11")}
    for t in range(M):
        a0, a1 = m0 + m1 - W / 2, damping * m1
        r00 = c00 + 2 * c01 + c11 + W
        r01 = damping * (c01 + c11)
        r11 = damping**2 * c11 + Ws
        active = expected[t] > 0
        f = a0 + np.log(np.where(active, expected[t], 1.0)) - V / 2
        q = r00 + V
        alpha = inv_trigamma(q)
        beta = np.exp(digamma(alpha) - f)
        y = counts[t]
        lp = (
            gammaln(alpha + y)
            - gammaln(alpha)
            - gammaln(y + 1.0)
            + alpha * np.log(beta / (beta + 1.0))
            - y * np.log1p(beta)
        )
        loglik += np.where(active, lp, 0.0)
        err = digamma(alpha + y) - np.log1p(beta) - f
        shrink = (q - trigamma(alpha + y)) / q**2
        m0 = np.where(active, a0 + r00 / q * err, a0)
        m1 = np.where(active, a1 + r01 / q * err, a1)
        c00 = np.where(active, r00 - r00**2 * shrink, r00)
        c01 = np.where(active, r01 - r00 * r01 * shrink, r01)
        c11 = np.where(active, r11 - r01**2 * shrink, r11)
        for k, v in (("m0", m0), ("m1", m1), ("c00", c00), ("c01", c01), ("c11", c11)):
            keep[k][t] = v
        keep["r00"][t], keep["r01"][t], keep["r11"][t] = r00, r01, r11
    return {
        "level": m0,
        "slope": m1,
        "var_level": c00,
        "var_slope": c11,
        "cov": c01,
        "loglik": loglik,
        "path": keep["m0"],
        "smooth": _smooth(keep, W, damping),
    }


def _smooth(k: dict[str, np.ndarray], W: np.ndarray, damping: float) -> np.ndarray:
    """Smoothed log levels (month, grid, group) from the filter's moments."""
    M = k["m0"].shape[0]
    s0, s1 = k["m0"][-1].copy(), k["m1"][-1].copy()
    out = np.empty_like(k["m0"])
    out[-1] = s0
    for t in range(M - 2, -1, -1):
        c00, c01, c11 = k["c00"][t], k["c01"][t], k["c11"][t]
        r00, r01, r11 = k["r00"][t + 1], k["r01"][t + 1], k["r11"][t + 1]
        a0 = k["m0"][t] + k["m1"][t] - W / 2
        a1 = damping * k["m1"][t]
        # gain = C G' R^-1, with G = [[1, 1], [0, damping]]; a level without a
        # slope (r11 = 0) has the scalar gain c00 / r00
        cg = np.stack([[c00 + c01, damping * c01], [c01 + c11, damping * c11]])
        det = r00 * r11 - r01**2
        two = det > 1e-12 * np.maximum(r00 * r11, 1e-300)
        safe = np.where(two, det, 1.0)
        inv = np.stack([[r11, -r01], [-r01, r00]]) / safe
        g00 = np.where(two, cg[0, 0] * inv[0, 0] + cg[0, 1] * inv[1, 0], cg[0, 0] / r00)
        g01 = np.where(two, cg[0, 0] * inv[0, 1] + cg[0, 1] * inv[1, 1], 0.0)
        g10 = np.where(two, cg[1, 0] * inv[0, 0] + cg[1, 1] * inv[1, 0], 0.0)
        g11 = np.where(two, cg[1, 0] * inv[0, 1] + cg[1, 1] * inv[1, 1], 0.0)
        d0, d1 = s0 - a0, s1 - a1
        s0 = k["m0"][t] + g00 * d0 + g01 * d1
        s1 = k["m1"][t] + g10 * d0 + g11 * d1
        out[t] = s0
    return out


@dataclass(frozen=True)
class LevelPosterior:
    """Log levels of some groups, on a grid of (drift, month effect, trend)."""

    groups: tuple[str, ...]
    drift: np.ndarray  # (J,) sd a month of the log level's random walk
    month_sd: np.ndarray  # (J,) sd of the log month effect
    trend: np.ndarray  # (J,) bool: the grid point has a damped trend
    weight: np.ndarray  # (J, G) posterior probability of each grid point, per group
    state: dict[str, np.ndarray]  # level, slope, var_level, var_slope, cov: (J, G)
    path: np.ndarray  # (M, G) filtered log level, averaged over the grid
    smooth: np.ndarray  # (M, G) smoothed log level, averaged over the grid
    damping: float = 1.0  # of the slope, a month, in forecasts

    def sample(
        self, rng: np.random.Generator, n: int, months: int, *, month_effect: bool = True
    ) -> np.ndarray:
        """Future log levels (with month effects), (n, months, G)."""
        G = len(self.groups)
        j, g = self._pick(rng, n)
        s = {k: v[j, g] for k, v in self.state.items()}
        z0, z1 = rng.standard_normal((2, n, G))
        sd0 = np.sqrt(np.maximum(s["var_level"], 0.0))
        level = s["level"] + sd0 * z0
        # the slope given the level (a bivariate normal draw)
        beta = np.divide(s["cov"], s["var_level"], out=np.zeros_like(s["cov"]), where=sd0 > 0)
        cond = np.maximum(s["var_slope"] - beta * s["cov"], 0.0)
        slope = s["slope"] + beta * (level - s["level"]) + np.sqrt(cond) * z1
        W = self.drift[j] ** 2
        Ws = np.where(self.trend[j], TREND["walk_sd"] ** 2, 0.0)
        out = np.empty((n, months, G))
        for t in range(months):
            level = level + slope + rng.standard_normal((n, G)) * np.sqrt(W) - W / 2
            slope = self.damping * slope + rng.standard_normal((n, G)) * np.sqrt(Ws)
            out[:, t] = level
        if month_effect:
            V = self.month_sd[j][:, None, :] ** 2
            out += rng.standard_normal((n, months, G)) * np.sqrt(V) - V / 2
        return out

    def _pick(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """A grid point for each draw and group, by the group's weights: (n, G) indices."""
        G = len(self.groups)
        cum = np.cumsum(self.weight, axis=0)  # (J, G)
        u = rng.random((n, G))
        j = (u[:, None, :] > cum[None, :, :]).sum(axis=1)
        return np.minimum(j, len(self.drift) - 1), np.broadcast_to(np.arange(G), (n, G))

    def current(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draws of each group's log level in the last month of the data, (n, G)."""
        j, g = self._pick(rng, n)
        sd = np.sqrt(np.maximum(self.state["var_level"][j, g], 0.0))
        return self.state["level"][j, g] + sd * rng.standard_normal(sd.shape)

    def summary(self) -> pd.DataFrame:
        """Posterior weight of each grid point for each group (those above 0.1%)."""
        J, G = self.weight.shape
        t = pd.DataFrame(
            {
                "group": np.repeat(self.groups, J),
                "drift_sd": np.tile(self.drift, G),
                "month_sd": np.tile(self.month_sd, G),
                "trend": np.tile(self.trend, G),
                "weight": self.weight.T.ravel(),
            }
        )
        t = t[t["weight"] > 1e-3].sort_values(["group", "weight"], ascending=[True, False])
        return t.reset_index(drop=True)

    @property
    def expected_drift(self) -> np.ndarray:
        """The posterior mean of each group's drift standard deviation, (G,)."""
        return (self.weight * self.drift[:, None]).sum(axis=0)


@dataclass(frozen=True)
class FlowLevels:
    """A flow's common level and its groups' deviations."""

    common: LevelPosterior  # one group: the whole flow
    deviations: LevelPosterior

    @property
    def groups(self) -> tuple[str, ...]:
        return self.deviations.groups

    @property
    def path(self) -> np.ndarray:
        """Smoothed log level of each group by month, (M, G)."""
        return self.common.smooth + self.deviations.smooth

    def sample(self, rng: np.random.Generator, n: int, months: int) -> np.ndarray:
        """Multipliers of each group's rate in each future month, (n, months, G)."""
        common = self.common.sample(rng, n, months, month_effect=False)
        return np.exp(common + self.deviations.sample(rng, n, months))

    def current(self, rng: np.random.Generator, n: int = 4000) -> np.ndarray:
        """Draws of each group's level in the last month of the data, (n, G)."""
        return np.exp(self.common.current(rng, n) + self.deviations.current(rng, n))


def check_options(drift: float | None, month_effect: float | None) -> None:
    problems = [
        f"{name} must be a number >= 0 (a standard deviation on the log scale), got {v!r}"
        for name, v in (("drift", drift), ("month_effect", month_effect))
        if v is not None
        and (isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v < 0)
    ]
    if problems:
        raise ConfigError(problems)


def _grid(drift: float | None, month_effect: float | None, trend: bool) -> dict[str, np.ndarray]:
    d = DRIFT_GRID if drift is None else np.array([float(drift)])
    v = MONTH_EFFECT_GRID if month_effect is None else np.array([float(month_effect)])
    tr = np.array([False, True]) if trend and drift is None else np.array([False])
    dd, vv, tt = (a.ravel() for a in np.meshgrid(d, v, tr, indexing="ij"))
    return {"drift": dd, "month_sd": vv, "trend": tt}


def _weigh(
    names: tuple[str, ...],
    grid: dict[str, np.ndarray],
    out: dict[str, np.ndarray],
    damping: float,
    *,
    pool: bool = False,
) -> LevelPosterior:
    """Weigh the grid for each group by its own one-step predictive likelihood.
    With ``pool``, the prior of every group is the average of the groups'
    posteriors under a flat prior (empirical Bayes): a group with little data
    takes its volatility from its flow's other groups, one with plenty from
    its own."""
    ll = out["loglik"]  # (J, G)
    lik = np.exp(ll - ll.max(axis=0, keepdims=True))
    flat = lik / lik.sum(axis=0, keepdims=True)
    prior = flat.mean(axis=1, keepdims=True) if pool and len(names) > 1 else 1.0
    w = lik * prior
    w /= w.sum(axis=0, keepdims=True)
    state = {k: out[k] for k in ("level", "slope", "var_level", "var_slope", "cov")}
    path = np.einsum("mjg,jg->mg", out["path"], w)
    smooth = np.einsum("mjg,jg->mg", out["smooth"], w)
    return LevelPosterior(
        names, grid["drift"], grid["month_sd"], grid["trend"], w, state, path, smooth, damping
    )


def _filter(counts: np.ndarray, expected: np.ndarray, grid: dict[str, np.ndarray]) -> dict:
    t = grid["trend"]
    return filter_levels(
        counts,
        expected,
        grid["drift"] ** 2,
        grid["month_sd"] ** 2,
        slope_var=np.where(t, TREND["prior_sd"] ** 2, 0.0),
        slope_walk_var=np.where(t, TREND["walk_sd"] ** 2, 0.0),
    )


def fit_levels(
    flows: dict[str, tuple[tuple[str, ...], np.ndarray, np.ndarray]],
    *,
    drift: float | None = None,
    month_effect: float | None = None,
) -> dict[str, FlowLevels]:
    """Filter each flow's common level and its groups' deviations.

    ``flows`` maps a flow to (group names, counts (M, G), expected counts at
    level 1 (M, G)).  ``drift`` and ``month_effect`` fix the standard
    deviations instead of weighing the grid (a fixed drift also drops the
    trend)."""
    check_options(drift, month_effect)
    common_grid = _grid(drift, month_effect, trend=True)
    dev_grid = _grid(drift, month_effect, trend=False)
    totals = np.stack([c.sum(axis=1) for _, c, _ in flows.values()], axis=1)
    tot_exp = np.stack([e.sum(axis=1) for _, _, e in flows.values()], axis=1)
    common = _filter(totals, tot_exp, common_grid)
    # each flow's common level weighs its own grid
    out_common = {}
    for i, flow in enumerate(flows):
        one = {k: v[:, i : i + 1] if v.ndim == 2 else v[:, :, i : i + 1] for k, v in common.items()}
        out_common[flow] = _weigh(("all",), common_grid, one, TREND["damping"])
    # deviations of every group from its flow's common level (smoothed: the
    # filtered one lags, and the deviations would count its lag again)
    counts = np.concatenate([c for _, c, _ in flows.values()], axis=1)
    expected = np.concatenate(
        [e * np.exp(out_common[f].smooth) for f, (_, _, e) in flows.items()], axis=1
    )
    dev = _filter(counts, expected, dev_grid)
    result, g0 = {}, 0
    for flow, (names, _, _) in flows.items():
        sl = slice(g0, g0 + len(names))
        g0 += len(names)
        part = {k: v[:, sl] if v.ndim == 2 else v[:, :, sl] for k, v in dev.items()}
        result[flow] = FlowLevels(out_common[flow], _weigh(names, dev_grid, part, 1.0, pool=True))
    return result
