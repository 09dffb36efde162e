"""Vectorised costing kernels: plain numpy, no pandas, no loops over draws.

Shapes: ``days`` is (..., months, types) with any leading axes (draws,
scenarios); ``daily_rate``, ``share`` and ``weekly_contribution`` are
(months, types) and broadcast over the leading axes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["cost_kernel", "sum_by_period", "period_starts"]

FloatArray = npt.NDArray[np.float64]


def cost_kernel(
    days: npt.ArrayLike,
    daily_rate: npt.ArrayLike,
    share: npt.ArrayLike | None = None,
    weekly_contribution: npt.ArrayLike | None = None,
    gross_adjustment: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gross cost, third-party contributions and net cost.

    gross = days x daily_rate (+ gross_adjustment, e.g. individually costed
    placements less their average cost); contributions = gross x share +
    days x weekly_contribution / 7; net = gross - contributions.
    All in pounds (floats); conversion to pence happens once, in the facade.
    """
    d = np.asarray(days, dtype=np.float64)
    gross = d * np.asarray(daily_rate, dtype=np.float64)
    if gross_adjustment is not None:
        gross = gross + np.asarray(gross_adjustment, dtype=np.float64)
    contrib = np.zeros_like(gross)
    if share is not None:
        contrib += gross * np.asarray(share, dtype=np.float64)
    if weekly_contribution is not None:
        contrib += d * (np.asarray(weekly_contribution, dtype=np.float64) / 7.0)
    return gross, contrib, gross - contrib


def period_starts(period_of_month: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Indices where a run of equal period labels starts (months must be in order)."""
    p = np.asarray(period_of_month)
    if p.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, p[1:] != p[:-1]])


def sum_by_period(
    values: npt.ArrayLike, starts: npt.NDArray[np.intp], *, axis: int = -2
) -> FloatArray:
    """Sum consecutive months into periods (financial years) along ``axis``."""
    return np.add.reduceat(np.asarray(values, dtype=np.float64), starts, axis=axis)
