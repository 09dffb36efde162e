"""Calibrate unit costs so that modelled placement cost reproduces the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from sctforecast.costs.model import PlacementCostModel
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.money import format_money, to_pence
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types

__all__ = ["Calibration", "calibrate"]

_METHODS = ("scale", "least_squares")


@dataclass(frozen=True)
class Calibration:
    """The calibrated model, the factors applied and the implied weekly costs."""

    model: PlacementCostModel
    factors: pd.Series
    table: pd.DataFrame
    target_pence: int
    modelled_pence: int
    year: FinancialYear
    method: str

    @property
    def text(self) -> str:
        adj = self.table[self.table["adjusted"]]
        parts = ", ".join(
            f"{r.placement_type} {r.default_weekly:,.0f} -> {r.calibrated_weekly:,.0f} a week"
            for r in adj.itertuples(index=False)
            if r.placement_days > 0
        )
        return (
            f"Calibrated ({self.method}) to the {self.year} placements line of "
            f"{format_money(self.target_pence)}: modelled gross cost "
            f"{format_money(self.modelled_pence)} (difference "
            f"{format_money(self.modelled_pence - self.target_pence, show_pence=True)}). "
            f"Implied weekly costs: {parts}."
        )

    def __repr__(self) -> str:
        return f"<Calibration {self.method} {self.year}: target {format_money(self.target_pence)}>"


def calibrate(
    model: PlacementCostModel,
    activity: object,
    *,
    target: int | float | str,
    year: FinancialYear | str | int,
    method: str = "scale",
    adjust: Sequence[str] | None = None,
    bounds: tuple[float, float] = (0.5, 2.0),
) -> Calibration:
    """Find unit costs that make the year's gross placement cost equal ``target``.

    Methods
    -------
    ``"scale"``
        One common factor on the weekly cost of every adjusted type:
        factor = (target - cost of the types held fixed) / cost of the adjusted
        types.  The mix of relative costs stays as in the defaults.
    ``"least_squares"``
        Per-type factors as close to 1 as possible (sum of squared relative
        changes, weighted by each type's share of modelled cost so that the
        large lines carry the change) within ``bounds``, subject to
        reproducing the target; then a final common scale removes the
        solver's tolerance so the target is met to the penny.

    ``adjust`` names the types whose costs may move (default: every type with
    activity and a non-zero cost); the others are held at their defaults.
    Raises :class:`ConfigError` when the target cannot be reached.
    """
    if method not in _METHODS:
        raise ConfigError(
            f"unknown calibration method {method!r}; use one of {', '.join(_METHODS)}"
        )
    fy = FinancialYear.parse(year)
    target_p = to_pence(target)
    if target_p <= 0:
        raise DataValidationError(
            f"calibration target for {fy} must be positive, got {format_money(target_p)}"
        )
    result = model.cost(activity)
    if result.has_draws:
        raise DataValidationError("calibrate() takes one set of activity, not draws")
    by = result.by_year()
    if fy.label not in list(by["financial_year"].values):
        raise DataValidationError(f"the activity does not cover {fy}")
    per_type = by["gross"].sel(financial_year=fy.label).values.astype(float)
    days = by["placement_days"].sel(financial_year=fy.label).values.astype(float)
    if adjust is None:
        mask = per_type > 0
    else:
        check_placement_types(list(adjust), where="calibrate(adjust=...)")
        mask = np.isin(np.array(PLACEMENT_TYPES), list(adjust)) & (per_type > 0)
    if not mask.any():
        raise ConfigError(f"no adjustable placement type has cost in {fy}; nothing to calibrate")
    fixed = float(per_type[~mask].sum())
    free = per_type[mask]
    goal = target_p / 100.0 - fixed
    if goal <= 0:
        raise ConfigError(
            f"the types held fixed already cost {format_money(to_pence(fixed))}, more than the target "
            f"{format_money(target_p)}; adjust more types"
        )
    if method == "scale":
        f = np.full(free.shape, goal / free.sum())
    else:
        w = free / free.sum()
        lo, hi = bounds
        cons = {"type": "eq", "fun": lambda x: (x @ free - goal) / goal}
        res = minimize(
            lambda x: float(np.sum(((x - 1.0) ** 2) / w)),
            x0=np.full(free.shape, goal / free.sum()),
            bounds=[(lo, hi)] * len(free),
            constraints=[cons],
            method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 500},
        )
        if not res.success or abs(res.x @ free - goal) > 1e-6 * goal:
            raise ConfigError(
                f"least-squares calibration within bounds {bounds} cannot reach "
                f"{format_money(target_p)} ({res.message}); widen the bounds or use method='scale'"
            )
        f = res.x * (goal / (res.x @ free))  # exact to floating precision
    factors = pd.Series(1.0, index=list(PLACEMENT_TYPES))
    factors[np.array(PLACEMENT_TYPES)[mask]] = f
    calibrated = model.with_unit_costs(model.unit_costs.scaled(factors.to_dict()))
    modelled = calibrated.cost(activity).total_pence(fy)
    before = model.unit_costs.weekly_costs([fy])[fy.label]
    table = pd.DataFrame(
        {
            "placement_type": list(PLACEMENT_TYPES),
            "placement_days": days,
            "default_weekly": before.to_numpy(),
            "factor": factors.to_numpy(),
            "calibrated_weekly": before.to_numpy() * factors.to_numpy(),
            "calibrated_cost_pence": [to_pence(x) for x in per_type * factors.to_numpy()],
            "adjusted": mask,
        }
    )
    return Calibration(calibrated, factors, table, target_p, modelled, fy, method)
