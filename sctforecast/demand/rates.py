"""The placement model's posterior: static structure times drifting levels.

* Static structure, from the whole window: entry shares by age band and
  placement type within each category entered (Dirichlet); the monthly
  hazard of leaving care and of each move between types, by age band and
  type (Gamma, shrunk towards the type's rate over all ages by one
  pseudo-event); the ages of entrants within their band; the chance that the
  reader closes a child at a year end as missing from the next return.
* Levels (:mod:`sctforecast.demand.levels`): entries by the category
  entered, exits by the category left, moves by (category from, category
  to), each a common level of the flow (with a damped trend where the data
  support one) times the group's own random walk, with month effects.

Drawn structure is rescaled so that each group's expected count over the
last year's exposure stays at its posterior mean: the level carries a
group's uncertainty, the structure only shares it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sctforecast.demand.flows import BAND_OF_BIN, CATEGORY_INDEX, FlowCounts
from sctforecast.demand.levels import FlowLevels, fit_levels
from sctforecast.placements import CATEGORIES, PLACEMENT_TYPES

__all__ = ["RatePosterior", "fit_rates", "group_rates"]

NB, NT, NC = BAND_OF_BIN.max() + 1, len(PLACEMENT_TYPES), len(CATEGORIES)
_RECENT = 12  # months whose exposure anchors the drawn rates


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
    closure: tuple[float, float]  # Beta posterior of the year-end closure chance (0, 0: none)
    entries: FlowLevels
    exits: FlowLevels
    moves: FlowLevels

    def draw(self, rng: np.random.Generator, n: int, months: int) -> dict[str, np.ndarray]:
        """``n`` draws of every rate for ``months`` future months.

        Returns base rates (entries a month (n, B, T); hazards a month
        (n, B, T) and (n, B, P)) and level multipliers by month, already
        mapped to types or pairs: ``entry_mult`` (n, months, T),
        ``exit_mult`` (n, months, T), ``move_mult`` (n, months, P); and
        ``closure`` (n,), the chance a child in care at 31 March is closed
        on 1 April as missing from the next return.
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
        a, b = self.closure
        closure = rng.beta(a, b, size=n) if a > 0 else np.zeros(n)
        return {
            "closure": closure,
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


def _closure(counts: FlowCounts) -> tuple[float, float]:
    """Beta posterior (Jeffreys prior) of the chance that a child in care at
    a 31 March inside the window is closed on 1 April because the next return
    leaves them out (the reader's rule 4); (0, 0) when the window holds no
    such year end."""
    april = np.flatnonzero(counts.months.month == 4)
    april = april[april > 0]  # the first month's year end is before the first return
    if not len(april):
        return 0.0, 0.0
    closed = counts.closed[april].sum()
    at_risk = counts.stock[april].sum()  # stock[k] is the end of the month before month k
    return 0.5 + float(closed), 0.5 + float(max(at_risk - closed, 0.0))


def fit_rates(
    counts: FlowCounts, *, drift: float | None = None, month_effect: float | None = None
) -> RatePosterior:
    """The posterior of every rate from a window's counts (see the module docs).
    ``drift`` and ``month_effect`` fix the levels' standard deviations
    instead of weighing a grid (:func:`~sctforecast.demand.levels.fit_levels`)."""
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
    levels = fit_levels(
        {
            "entries": (CATEGORIES, by_cat, np.broadcast_to(level_rate, by_cat.shape)),
            "exits": (CATEGORIES, counts.exits.sum(axis=1) @ Hc, expected_x),
            "moves": (names, move_counts, move_expected),
        },
        drift=drift,
        month_effect=month_effect,
    )
    recent = counts.exposure[-_RECENT:].sum(axis=0)
    return RatePosterior(
        closure=_closure(counts),
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


def group_rates(
    post: RatePosterior, counts: FlowCounts
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each flow, each group's rate at level 1 over the last year's mix of
    ages and types, and its average over the window: (base, window), (G,).

    Entries are children a month into a category; exits and moves are
    monthly hazards per child in care in the category left."""
    cat = _one_hot(CATEGORY_INDEX, NC)
    r_recent = post.recent_exposure.sum(axis=0) @ cat  # child-months by category
    r_window = counts.exposure.sum(axis=(0, 1)) @ cat
    x_mean = post.exit_shape / post.exit_rate
    x_base = ((x_mean * post.recent_exposure).sum(axis=0) @ cat) / np.maximum(r_recent, 1e-9)
    x_window = (counts.exits.sum(axis=(0, 1)) @ cat) / np.maximum(r_window, 1e-9)
    pg = _one_hot(post.pair_group, len(post.moves.groups))
    from_cat = np.zeros(len(post.moves.groups), dtype=np.int64)
    from_cat[post.pair_group] = CATEGORY_INDEX[post.pair_from]
    m_mean = post.move_shape / post.move_rate
    m_recent = (m_mean * post.recent_exposure[:, post.pair_from]).sum(axis=0) @ pg
    m_count = counts.moves.sum(axis=(0, 1))[post.pair_from, post.pair_to] @ pg
    return {
        "entries": (post.entry_level_rate, post.entry_level_rate),
        "exits": (x_base, x_window),
        "moves": (
            m_recent / np.maximum(r_recent[from_cat], 1e-9),
            m_count / np.maximum(r_window[from_cat], 1e-9),
        ),
    }
