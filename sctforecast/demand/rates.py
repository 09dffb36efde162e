"""Rates that drift: the placement model's posterior.

Each flow is a static structure times a drifting level.

* Static structure, from the whole window: entry shares by age band and
  placement type within each category entered (Dirichlet); the monthly
  hazard of leaving care and of each move between types, by age band and
  type (Gamma, shrunk towards the type's rate over all ages by one
  pseudo-event).
* Levels, one per group: entries by the category entered, exits by the
  category left, moves by (category from, category to).  The log level is a
  random walk, ``theta[t] = theta[t-1] + N(-W/2, W)``, and each month has a
  log-normal effect of variance ``V`` on top (extra-Poisson variation: sibling
  groups, court lists).  The group's count is Poisson with mean
  ``exp(theta + effect)`` times its expected count at level 1.

The levels are filtered with the conjugate updating of dynamic generalised
linear models (West, Harrison and Migon, 1985): the normal prior of the log
mean is matched to a Gamma, updated with the month's count, and matched back.
``W`` and ``V`` are not guessed: a grid of values is weighted by the
one-step-ahead predictive likelihood of every month (the marginal
likelihood), one weighting per flow, so recent months dominate as much as the
data say they should.  Forecast draws pick a grid point by its weight, draw
the level at the origin, and carry the same random walk forward: intervals
widen with the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.demand.flows import BAND_OF_BIN, CATEGORY_INDEX, FlowCounts
from sctforecast.demand.special import digamma, gammaln, inv_trigamma, trigamma
from sctforecast.errors import ConfigError
from sctforecast.placements import CATEGORIES, PLACEMENT_TYPES

__all__ = ["DRIFT_GRID", "MONTH_EFFECT_GRID", "LevelPosterior", "RatePosterior", "fit_rates"]

NB, NT, NC = BAND_OF_BIN.max() + 1, len(PLACEMENT_TYPES), len(CATEGORIES)
#: Standard deviations per month of the log level's random walk, weighed by the data.
DRIFT_GRID = np.array([0.005, 0.01, 0.02, 0.035, 0.06, 0.1])
#: Standard deviations of the log month effect.
MONTH_EFFECT_GRID = np.array([0.0, 0.05, 0.1, 0.2, 0.35])
_PRIOR_VAR = 1.0  # prior variance of a log level at the start of the window
_RECENT = 12  # months whose exposure anchors the drawn rates


def filter_levels(
    counts: np.ndarray, expected: np.ndarray, drift_var: np.ndarray, month_var: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Filter log levels over months.

    ``counts`` and ``expected`` are (month, group); ``drift_var`` and
    ``month_var`` (grid,).  Returns the mean and variance of each log level
    after the last month (grid, group), the log predictive likelihood of each
    month's count given the months before (grid, group, summed over months),
    and the filtered means (month, grid, group).
    """
    W = drift_var[:, None]
    V = month_var[:, None]
    shape = (len(W), counts.shape[1])
    m, C = np.zeros(shape), np.full(shape, _PRIOR_VAR)
    loglik = np.zeros(shape)
    path = np.empty((counts.shape[0], *shape))
    for t in range(counts.shape[0]):
        a, P = m - W / 2, C + W
        active = expected[t] > 0
        f = a + np.log(np.where(active, expected[t], 1.0)) - V / 2
        q = P + V
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
        gain = P / q
        m = np.where(active, a + gain * (digamma(alpha + y) - np.log1p(beta) - f), a)
        C = np.where(active, P - gain**2 * (q - trigamma(alpha + y)), P)
        path[t] = m
    return m, C, loglik, path


@dataclass(frozen=True)
class LevelPosterior:
    """Drifting levels of one flow's groups, on a grid of (drift, month effect)."""

    groups: tuple[str, ...]
    drift: np.ndarray  # (J,) sd per month of the log level's random walk
    month_sd: np.ndarray  # (J,) sd of the log month effect
    weight: np.ndarray  # (J,) posterior probability of each grid point
    mean: np.ndarray  # (J, G) log level after the last month
    var: np.ndarray  # (J, G)
    path: np.ndarray  # (M, G) filtered log level, averaged over the grid

    def sample(self, rng: np.random.Generator, n: int, months: int) -> np.ndarray:
        """Multipliers of the groups' rates in each future month, (n, months, G)."""
        G = len(self.groups)
        j = rng.choice(len(self.weight), size=n, p=self.weight)
        W = self.drift[j, None, None] ** 2
        V = self.month_sd[j, None, None] ** 2
        theta0 = self.mean[j] + np.sqrt(self.var[j]) * rng.standard_normal((n, G))
        steps = rng.standard_normal((n, months, G)) * np.sqrt(W) - W / 2
        effect = rng.standard_normal((n, months, G)) * np.sqrt(V) - V / 2
        return np.exp(theta0[:, None, :] + np.cumsum(steps, axis=1) + effect)

    def current(self, rng: np.random.Generator, n: int = 4000) -> np.ndarray:
        """Draws of each group's level in the last month of the data, (n, G)."""
        j = rng.choice(len(self.weight), size=n, p=self.weight)
        return np.exp(
            self.mean[j] + np.sqrt(self.var[j]) * rng.standard_normal((n, len(self.groups)))
        )

    def summary(self) -> pd.DataFrame:
        """Posterior weight of each drift and month-effect value (rows with weight > 0.1%)."""
        t = pd.DataFrame({"drift_sd": self.drift, "month_sd": self.month_sd, "weight": self.weight})
        return t[t["weight"] > 1e-3].sort_values("weight", ascending=False).reset_index(drop=True)


def _grid(drift: float | None, month_sd: float | None) -> tuple[np.ndarray, np.ndarray]:
    problems = [
        f"{name} must be a number >= 0 (a standard deviation on the log scale), got {v!r}"
        for name, v in (("drift", drift), ("month_effect", month_sd))
        if v is not None and (not isinstance(v, int | float) or not np.isfinite(v) or v < 0)
    ]
    if problems:
        raise ConfigError(problems)
    d = DRIFT_GRID if drift is None else np.array([float(drift)])
    v = MONTH_EFFECT_GRID if month_sd is None else np.array([float(month_sd)])
    dd, vv = np.meshgrid(d, v, indexing="ij")
    return dd.ravel(), vv.ravel()


def _levels(
    flows: dict[str, tuple[tuple[str, ...], np.ndarray, np.ndarray]],
    grid: tuple[np.ndarray, np.ndarray],
) -> dict[str, LevelPosterior]:
    """Filter every flow's groups in one pass, then weigh the grid per flow.
    ``flows`` maps a flow to (group names, counts (M, G), expected (M, G))."""
    drift, month_sd = grid
    counts = np.concatenate([c for _, c, _ in flows.values()], axis=1)
    expected = np.concatenate([e for _, _, e in flows.values()], axis=1)
    mean, var, loglik, path = filter_levels(counts, expected, drift**2, month_sd**2)
    out, g0 = {}, 0
    for flow, (names, _, _) in flows.items():
        sl = slice(g0, g0 + len(names))
        g0 += len(names)
        ll = loglik[:, sl].sum(axis=1)
        w = np.exp(ll - ll.max())
        w /= w.sum()
        out[flow] = LevelPosterior(
            names,
            drift,
            month_sd,
            w,
            mean[:, sl],
            var[:, sl],
            np.einsum("mjg,j->mg", path[:, :, sl], w),
        )
    return out


def _one_hot(index: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((len(index), size))
    out[np.arange(len(index)), index] = 1.0
    return out


@dataclass(frozen=True)
class RatePosterior:
    """Static structure and drifting levels of entries, exits and moves."""

    months: int
    entry_level_rate: np.ndarray  # (C,) entries a month into each category at level 1
    entry_conc: np.ndarray  # (B, T) Dirichlet concentration within each category
    entry_age: np.ndarray  # (B, AGE_BINS) probability of each age bin for an entrant
    exit_shape: np.ndarray  # (B, T)
    exit_rate: np.ndarray  # (B, T) Gamma posterior of the monthly hazard
    pair_from: np.ndarray  # (P,) moves seen: from type
    pair_to: np.ndarray  # (P,) to type
    pair_group: np.ndarray  # (P,) index into moves.groups
    move_shape: np.ndarray  # (B, P)
    move_rate: np.ndarray  # (B, P)
    recent_exposure: np.ndarray  # (B, T) child-months in the last 12 months
    entries: LevelPosterior
    exits: LevelPosterior
    moves: LevelPosterior

    def draw(self, rng: np.random.Generator, n: int, months: int) -> dict[str, np.ndarray]:
        """``n`` draws of every rate for ``months`` future months.

        Returns base rates (entries a month (n, B, T); hazards a month
        (n, B, T) and (n, B, P)) and level multipliers by month, already
        mapped to types or pairs: ``entry_mult`` (n, months, T),
        ``exit_mult`` (n, months, T), ``move_mult`` (n, months, P).
        """
        conc = np.broadcast_to(self.entry_conc, (n, NB, NT))
        g = np.where(conc > 0, rng.gamma(np.maximum(conc, 1e-12)), 0.0)
        by_cat = g.sum(axis=1) @ _one_hot(CATEGORY_INDEX, NC)  # (n, C)
        share = np.divide(
            g,
            by_cat[:, None, CATEGORY_INDEX],
            out=np.zeros_like(g),
            where=by_cat[:, None, CATEGORY_INDEX] > 0,
        )
        entry = share * self.entry_level_rate[CATEGORY_INDEX]
        exit_ = rng.gamma(self.exit_shape, 1.0 / self.exit_rate, size=(n, NB, NT))
        exit_ *= self._anchor(exit_, self.exit_shape / self.exit_rate, CATEGORY_INDEX, NC)
        R = self.recent_exposure[:, self.pair_from]
        move = rng.gamma(self.move_shape, 1.0 / self.move_rate, size=(n, *self.move_shape.shape))
        move *= self._anchor(
            move, self.move_shape / self.move_rate, self.pair_group, len(self.moves.groups), R
        )
        ent = self.entries.sample(rng, n, months)[:, :, CATEGORY_INDEX]
        ext = self.exits.sample(rng, n, months)[:, :, CATEGORY_INDEX]
        mv = self.moves.sample(rng, n, months)[:, :, self.pair_group]
        return {
            "entry": entry,
            "exit": exit_,
            "move": move,
            "entry_mult": ent,
            "exit_mult": ext,
            "move_mult": mv,
        }

    def _anchor(
        self,
        draws: np.ndarray,
        mean: np.ndarray,
        group: np.ndarray,
        n_groups: int,
        exposure: np.ndarray | None = None,
    ) -> np.ndarray:
        """Factors (n, 1, K) that keep each group's expected count over the
        recent exposure at its posterior mean: the level carries the group's
        uncertainty; the drawn structure only shares it out."""
        R = self.recent_exposure if exposure is None else exposure
        H = _one_hot(group, n_groups)
        target = (mean * R).sum(axis=0) @ H  # (G,)
        got = (draws * R).sum(axis=1) @ H  # (n, G)
        f = np.divide(target, got, out=np.ones_like(got), where=got > 0)
        return f[:, None, group]


def fit_rates(
    counts: FlowCounts, *, drift: float | None = None, month_effect: float | None = None
) -> RatePosterior:
    """The posterior of every rate from a window's counts (see the module docs).
    ``drift`` and ``month_effect`` fix the standard deviations instead of
    weighing the grid."""
    grid = _grid(drift, month_effect)
    M = len(counts.months)
    # entries: shares within the category entered, and a level per category
    n_ent = counts.entries.sum(axis=0)  # (B, T)
    seen = n_ent > 0
    cells = np.bincount(CATEGORY_INDEX, weights=seen.sum(axis=0), minlength=NC)
    conc = np.where(seen, n_ent + 0.5 / np.maximum(cells[CATEGORY_INDEX], 1), 0.0)
    by_cat = counts.entries.sum(axis=1) @ _one_hot(CATEGORY_INDEX, NC)  # (M, C)
    level_rate = by_cat.sum(axis=0) / M
    # age at entry within each band, on the model's age grid
    in_band = BAND_OF_BIN[None, :] == np.arange(NB)[:, None]
    age = counts.entry_age + 0.5 * in_band / in_band.sum(axis=1, keepdims=True)
    age = np.where(in_band, age, 0.0)
    age /= age.sum(axis=1, keepdims=True)
    # exits: hazard by band and type, shrunk towards the type's rate over all ages
    n_x, R = counts.exits.sum(axis=0), counts.exposure.sum(axis=0)
    pooled = (n_x.sum(axis=0) + 0.5) / (R.sum(axis=0) + 25.0)  # prior 0.02 a month
    x_shape, x_rate = n_x + 1.0, R + 1.0 / pooled
    Hc = _one_hot(CATEGORY_INDEX, NC)
    expected_x = (counts.exposure * (x_shape / x_rate)).sum(axis=1) @ Hc
    # moves: only between types seen to exchange children in the window
    n_mv = counts.moves.sum(axis=0)  # (B, T, T)
    pf, pt = np.nonzero(n_mv.sum(axis=0) * (1 - np.eye(NT)))
    pair_rate = n_mv.sum(axis=0)[pf, pt] / np.maximum(R.sum(axis=0)[pf], 1e-9)
    m_shape = n_mv[:, pf, pt] + 1.0
    m_rate = R[:, pf] + 1.0 / pair_rate
    key = [
        f"{CATEGORIES[CATEGORY_INDEX[a]]} to {CATEGORIES[CATEGORY_INDEX[b]]}"
        for a, b in zip(pf, pt, strict=True)
    ]
    names = tuple(dict.fromkeys(key))
    pg = np.array([names.index(k) for k in key], dtype=np.int64)
    Hg = _one_hot(pg, len(names))
    move_counts = counts.moves[:, :, pf, pt].sum(axis=1) @ Hg
    move_expected = (counts.exposure[:, :, pf] * (m_shape / m_rate)).sum(axis=1) @ Hg
    levels = _levels(
        {
            "entries": (CATEGORIES, by_cat, np.broadcast_to(level_rate, by_cat.shape)),
            "exits": (CATEGORIES, counts.exits.sum(axis=1) @ Hc, expected_x),
            "moves": (names, move_counts, move_expected),
        },
        grid,
    )
    recent = counts.exposure[-_RECENT:].sum(axis=0)
    return RatePosterior(
        months=M,
        entry_level_rate=level_rate,
        entry_conc=conc,
        entry_age=age,
        exit_shape=x_shape,
        exit_rate=x_rate,
        pair_from=pf,
        pair_to=pt,
        pair_group=pg,
        move_shape=m_shape,
        move_rate=m_rate,
        recent_exposure=recent,
        entries=levels["entries"],
        exits=levels["exits"],
        moves=levels["moves"],
    )
