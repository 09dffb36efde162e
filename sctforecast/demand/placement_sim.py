"""The placement model's simulation kernel: children by age bin and placement
type, month by month, over all draws at once.  Plain numpy, no pandas.

Shapes: ``n`` draws, ``A`` = 40 age bins (single years 0-15, months of ages
16 and 17: :mod:`sctforecast.demand.flows`), ``B`` = 5 age bands, ``T`` = 12
placement types, ``P`` moves (pairs of types) the data have shown.

Each month, in this order:

0. on 1 April, year-end closures: the reader closes children left out of
   the next return (its rule 4); each child goes with the chance learnt;
1. ageing: the 16- and 17-year-olds move up a month, and those in the last
   month of 17 turn 18 and leave care; of each single year 0-15 a twelfth
   moves up a year (age 15 into the first month of 16), rounded up or down at
   random so that the expected number is exact (birthdays are spread over
   the year, so ageing is close to certain; binomial noise would overstate it);
2. events: each child leaves care or moves at the month's hazards.  Events
   are Poisson with rate (children x hazard) in each (draw, age, type) cell,
   drawn as one Poisson total per draw shared out over the cells in
   proportion to their rates, and a cell loses at most the children it has
   (so a lone child leaves with probability ``1 - exp(-hazard)``); which
   event, in proportion to the hazards of exit and of each move;
3. entries: Poisson by band and type, at ages drawn from the band's entry
   ages.

Children are conserved: the state at the end of a month is the state at its
start plus entries minus exits and those turning 18.
"""

from __future__ import annotations

import numpy as np

from sctforecast.demand.flows import AGE_BINS, BAND_OF_BIN

__all__ = ["simulate_placements"]

_BINS_PER_BAND = np.bincount(BAND_OF_BIN)


def _age(rng: np.random.Generator, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One month of ageing; returns (new state, children turning 18 by draw)."""
    young = state[:, :16]
    up = np.floor(young / 12.0 + rng.random(young.shape)).astype(state.dtype)
    new = np.empty_like(state)
    new[:, :16] = young - up
    new[:, 1:16] += up[:, :15]
    new[:, 16] = up[:, 15]
    new[:, 17:] = state[:, 16:-1]
    return new, state[:, -1].sum(axis=1)


def _close(rng: np.random.Generator, state: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Year-end closures in place: each child with chance ``p`` (n,); returns
    the closures by draw."""
    n = state.shape[0]
    flat = state.reshape(n, -1)
    d, c = np.nonzero(flat)
    k = rng.binomial(flat[d, c], p[d])
    flat[d, c] -= k.astype(flat.dtype)
    return np.bincount(d, weights=k, minlength=n)


def _events(
    rng: np.random.Generator,
    state: np.ndarray,
    h_exit: np.ndarray,
    h_move: np.ndarray,
    pair_from: np.ndarray,
    pair_to: np.ndarray,
) -> np.ndarray:
    """Exits and moves in place on ``state``; returns exits by draw.
    ``h_exit`` (n, B, T) and ``h_move`` (n, B, P) are this month's hazards."""
    n, A, T = state.shape
    from_onehot = np.zeros((len(pair_from), T))
    from_onehot[np.arange(len(pair_from)), pair_from] = 1.0
    total = h_exit + h_move @ from_onehot  # (n, B, T)
    flat = state.reshape(-1)
    cum = np.cumsum((state * np.repeat(total, _BINS_PER_BAND, axis=1)).reshape(-1))
    ends = cum[A * T - 1 :: A * T]
    starts = np.r_[0.0, ends[:-1]]
    k = rng.poisson(ends - starts)
    u = np.sort(np.repeat(starts, k) + rng.random(k.sum()) * np.repeat(ends - starts, k))
    hit = np.minimum(np.searchsorted(cum, u, side="right"), flat.size - 1)
    first = np.ones(len(hit), dtype=bool)
    first[1:] = hit[1:] != hit[:-1]
    cells = hit[first]
    taken = np.minimum(np.diff(np.r_[np.flatnonzero(first), len(hit)]), flat[cells])
    cells, taken = cells[taken > 0], taken[taken > 0]
    flat[cells] -= taken.astype(flat.dtype)
    ev = np.repeat(cells, taken)
    d, rest = np.divmod(ev, A * T)
    a, t = np.divmod(rest, T)
    b = BAND_OF_BIN[a]
    # which event: an exit, or a move along one of the pairs leaving the type
    v = rng.random(len(ev)) * total[d, b, t]
    hx = h_exit[d, b, t]
    leaving = v < hx
    dest = np.full(len(ev), -1)
    for tau in np.unique(pair_from):
        sel = np.flatnonzero(~leaving & (t == tau))
        if not len(sel):
            continue
        pairs = np.flatnonzero(pair_from == tau)
        cw = np.cumsum(h_move[d[sel], b[sel]][:, pairs], axis=1)
        pick = np.minimum((cw <= (v[sel] - hx[sel])[:, None]).sum(axis=1), len(pairs) - 1)
        dest[sel] = pair_to[pairs[pick]]
    moved = dest >= 0
    leaving = ~moved  # a move with no pair left is counted as leaving (numerical edge)
    to = (d[moved] * A + a[moved]) * T + dest[moved]
    flat += np.bincount(to, minlength=flat.size).astype(flat.dtype)
    return np.bincount(d[leaving], minlength=n)


def _entries(
    rng: np.random.Generator, state: np.ndarray, rate: np.ndarray, age_cdf: np.ndarray
) -> np.ndarray:
    """Poisson entries (rate (n, B, T)) added to ``state`` at ages drawn from
    each band's cumulative age distribution (B, A); returns entries by draw."""
    n, A, T = state.shape
    new = rng.poisson(rate)
    nz = np.flatnonzero(new)
    cell = np.repeat(nz, new.reshape(-1)[nz])
    d, rest = np.divmod(cell, rate.shape[1] * T)
    b, t = np.divmod(rest, T)
    # one search over the bands' distributions laid end to end (band k's
    # cumulative probabilities shifted by k)
    shifted = (age_cdf + np.arange(age_cdf.shape[0])[:, None]).ravel()
    a = np.searchsorted(shifted, b + rng.random(len(cell)), side="right") - b * A
    flat = state.reshape(-1)
    flat += np.bincount((d * A + np.clip(a, 0, A - 1)) * T + t, minlength=flat.size).astype(
        flat.dtype
    )
    return new.sum(axis=(1, 2))


def simulate_placements(
    rng: np.random.Generator,
    *,
    start_state: np.ndarray,
    days_in_month: np.ndarray,
    entry: np.ndarray,
    entry_mult: np.ndarray,
    exit_: np.ndarray,
    exit_mult: np.ndarray,
    move: np.ndarray,
    move_mult: np.ndarray,
    pair_from: np.ndarray,
    pair_to: np.ndarray,
    entry_age: np.ndarray,
    closure: np.ndarray | None = None,
    closure_months: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``len(days_in_month)`` months for ``n`` draws.

    ``start_state`` (A, T); base rates ``entry`` and ``exit_`` (n, B, T),
    ``move`` (n, B, P); month multipliers ``entry_mult`` and ``exit_mult``
    (n, months, T), ``move_mult`` (n, months, P); ``entry_age`` (B, A)
    probabilities.  Returns ``children`` and ``placement_days`` (n, months,
    T), ``entries``, ``exits`` (leaving care, turning 18 included) and
    ``aged_out`` (n, months).
    """
    n, months = entry_mult.shape[:2]
    T = start_state.shape[1]
    if start_state.shape[0] != AGE_BINS:
        raise ValueError(f"start_state must have {AGE_BINS} age bins, got {start_state.shape}")
    state = np.broadcast_to(start_state.astype(np.int32), (n, AGE_BINS, T)).copy()
    age_cdf = np.cumsum(entry_age, axis=1)
    age_cdf[:, -1] = 1.0
    children = np.empty((n, months, T))
    pdays = np.empty((n, months, T))
    out = {k: np.empty((n, months)) for k in ("entries", "exits", "aged_out")}
    closing = np.einsum("nat->nt", state)
    for m in range(months):
        opening = closing
        closed = (
            _close(rng, state, closure)
            if closure is not None and closure_months is not None and closure_months[m]
            else 0.0
        )
        state, aged = _age(rng, state)
        left = _events(
            rng,
            state,
            exit_ * exit_mult[:, m, None, :],
            move * move_mult[:, m, None, :],
            pair_from,
            pair_to,
        )
        came = _entries(rng, state, entry * entry_mult[:, m, None, :], age_cdf)
        closing = np.einsum("nat->nt", state)
        children[:, m] = closing
        pdays[:, m] = (opening + closing) / 2.0 * days_in_month[m]
        out["entries"][:, m] = came
        out["exits"][:, m] = left + aged + closed
        out["aged_out"][:, m] = aged
    return {"children": children, "placement_days": pdays, **out}
