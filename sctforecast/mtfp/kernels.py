"""Vectorised kernels of the MTFP projector: plain numpy over (paths, years).

Shapes: ``n`` paths (draws), ``Y`` years (the baseline year then the projected
years), ``P = Y - 1`` projected years.  Money here is float pounds; the
projector converts each line to integer pence once
(:func:`sctforecast.money.to_pence`) and sums pence, so the identities hold
exactly on every path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sctforecast.money import to_pence

__all__ = [
    "random_index",
    "chained",
    "event_line",
    "staffing_line",
    "cost_inflation",
    "line_pence",
    "identities",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def random_index(
    rng: np.random.Generator, n: int, mean: FloatArray, sd: float, *, draw: bool
) -> FloatArray:
    """(n, P + 1) cumulative index, 1 in the baseline year: each projected year
    grows by ``mean[t]`` plus a normal shock of standard deviation ``sd`` (drawn
    only when ``draw``; otherwise the index is the deterministic path)."""
    p = len(mean)
    out = np.ones((n, p + 1))
    if draw:
        shocks = rng.normal(mean, sd, size=(n, p))
        out[:, 1:] = np.cumprod(1 + shocks, axis=1)
    elif np.any(mean):
        out[:, 1:] = np.cumprod(1 + np.asarray(mean, dtype=float))[None, :]
    return out


def chained(base: float, rates: FloatArray) -> FloatArray:
    """(P + 1,) path: ``base`` then grown by each year's rate."""
    return np.asarray(
        base * np.cumprod(np.r_[1.0, 1.0 + np.asarray(rates, dtype=float)]), dtype=np.float64
    )


def event_line(
    hit: npt.NDArray[np.bool_],
    years_since: npt.NDArray[np.int64],
    amount: float,
    *,
    recurring: bool,
    growth: float = 0.0,
) -> FloatArray:
    """(n, Y) amounts of an event (a pressure or a saving) that happens on the
    paths where ``hit``: from ``years_since == 0`` on (``recurring``) or in that
    year only, growing by ``growth`` a year."""
    active = (years_since >= 0) if recurring else (years_since == 0)
    per_year = active * amount * (1.0 + growth) ** np.maximum(years_since, 0)
    return hit[:, None] * per_year[None, :]


def staffing_line(
    base: float,
    pay: FloatArray,
    children_in_care: FloatArray,
    children_in_care_0: float,
    *,
    per_worker: float,
    cost_per_worker: float,
) -> FloatArray:
    """(n, Y) staffing: the baseline grown by the pay index ``pay`` (Y,), plus one
    social worker (at ``cost_per_worker`` in baseline-year prices, grown by pay)
    per ``per_worker`` children in care above the baseline's ``children_in_care_0``
    (fewer children, fewer workers).  ``children_in_care`` is (n, P)."""
    n = children_in_care.shape[0]
    out = np.repeat((base * pay)[None, :], n, axis=0)
    extra = (children_in_care - children_in_care_0) / per_worker
    out[:, 1:] += extra * cost_per_worker * pay[None, 1:]
    return out


def cost_inflation(weights: FloatArray, rates: FloatArray) -> FloatArray:
    """(P,) inflation of a cost base: ``rates`` (lines, P) weighted by the
    baseline amounts ``weights`` (lines,)."""
    w = np.asarray(weights, dtype=float)
    return (w[:, None] * np.asarray(rates, dtype=float)).sum(axis=0) / w.sum()


def line_pence(values: FloatArray) -> IntArray:
    """Pence of a (paths, years) line; a line that is the same on every path is
    converted once and repeated."""
    if values.strides[0] == 0:
        return np.repeat(to_pence(np.ascontiguousarray(values[:1])), values.shape[0], axis=0)
    return to_pence(values)


def identities(
    income: list[IntArray], expenditure: list[IntArray], opening0: int
) -> dict[str, IntArray]:
    """Totals, the in-year deficit and the cumulative deficit, all integer pence:
    deficit = expenditure - income; closing = opening + deficit; next opening =
    this closing."""
    total_income: IntArray = np.asarray(np.sum(income, axis=0, dtype=np.int64), dtype=np.int64)
    total_expenditure: IntArray = np.asarray(
        np.sum(expenditure, axis=0, dtype=np.int64), dtype=np.int64
    )
    deficit: IntArray = total_expenditure - total_income
    closing: IntArray = np.asarray(opening0 + np.cumsum(deficit, axis=1), dtype=np.int64)
    n = deficit.shape[0]
    opening = np.concatenate([np.full((n, 1), opening0, dtype=np.int64), closing[:, :-1]], axis=1)
    return {
        "total_income": total_income,
        "total_expenditure": total_expenditure,
        "in_year_deficit": deficit,
        "opening_cumulative_deficit": opening,
        "closing_cumulative_deficit": closing,
    }
