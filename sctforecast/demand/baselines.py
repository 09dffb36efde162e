"""The forecasts a placement model has to beat.

* Flat: the children in care at the origin, by placement type, held.
* The common deterministic method of council spreadsheets: entries a month
  by placement type, and exit and move rates per child in care by type,
  from the last six months, held constant and projected forward without
  ages (leaving at 18 is part of the exit rate) and without randomness.

Both take the :class:`~sctforecast.demand.flows.FlowCounts` of the data up
to the origin and return month-end children by placement type, (month, type).
"""

from __future__ import annotations

import numpy as np

from sctforecast.demand.flows import FlowCounts
from sctforecast.errors import ConfigError

__all__ = ["deterministic_forecast", "flat_forecast"]


def flat_forecast(counts: FlowCounts, months: int) -> np.ndarray:
    """The children in care at the origin by type, held for ``months``."""
    return np.broadcast_to(
        counts.start_state.sum(axis=0), (months, counts.start_state.shape[1])
    ).copy()


def deterministic_forecast(counts: FlowCounts, months: int, *, window: int = 6) -> np.ndarray:
    """Rates from the last ``window`` months held constant (see the module docs)."""
    if not isinstance(window, int) or window < 1:
        raise ConfigError(f"window must be a positive whole number of months, got {window!r}")
    recent = counts.last(window)
    w = len(recent.months)
    exposure = recent.exposure.sum(axis=(0, 1))  # (T,)
    safe = np.where(exposure > 0, exposure, 1.0)
    gone = (recent.exits + recent.aged_out + recent.closed).sum(axis=(0, 1))
    leave = np.where(exposure > 0, gone / safe, 0.0)
    move = np.where(exposure[:, None] > 0, recent.moves.sum(axis=(0, 1)) / safe[:, None], 0.0)
    np.fill_diagonal(move, 0.0)
    entries = recent.entries.sum(axis=(0, 1)) / w
    stock = counts.start_state.sum(axis=0).astype(float)
    out = np.empty((months, len(stock)))
    for m in range(months):
        stock = stock * (1.0 - leave - move.sum(axis=1)) + stock @ move + entries
        stock = np.maximum(stock, 0.0)
        out[m] = stock
    return out
