"""Scenarios of placement mix: move children between types from a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from sctforecast.costs.activity import as_activity, move_children
from sctforecast.costs.model import PlacementCostModel
from sctforecast.errors import DataValidationError
from sctforecast.placements import check_placement_types

__all__ = ["Move", "mix_scenario"]


@dataclass(frozen=True)
class Move:
    """Move ``n`` children from ``from_type`` to ``to_type`` from ``start``
    (e.g. 9 children from external to in-house residential as local beds open)."""

    n: float
    from_type: str
    to_type: str
    start: dt.date | str

    def __post_init__(self) -> None:
        check_placement_types([self.from_type, self.to_type], where="Move")
        if self.n < 0:
            raise DataValidationError(f"Move of {self.n} children: the number must not be negative")


def mix_scenario(
    model: PlacementCostModel, activity: object, moves: Iterable[Move]
) -> pd.DataFrame:
    """Cost effect by financial year of a list of moves.

    Columns: financial_year, base_pence, scenario_pence, effect_pence (net
    cost, so contributions that follow the children move with them).  The
    part-year effect shows in the year a move starts, the full-year effect in
    the years after.
    """
    base = as_activity(activity)
    scen = base
    for mv in moves:
        scen = move_children(scen, mv.n, from_type=mv.from_type, to_type=mv.to_type, start=mv.start)
    a = model.cost(base).by_year()["net"].sum("placement_type")
    b = model.cost(scen).by_year()["net"].sum("placement_type")
    from sctforecast.money import to_pence

    rows = []
    for fy in a["financial_year"].values:
        bp = to_pence(float(a.sel(financial_year=fy)))
        sp = to_pence(float(b.sel(financial_year=fy)))
        rows.append(
            {
                "financial_year": str(fy),
                "base_pence": bp,
                "scenario_pence": sp,
                "effect_pence": sp - bp,
            }
        )
    return pd.DataFrame(rows)
