"""Calibrate unit costs so that modelled placement cost reproduces the ledger,
and report the implied weekly costs beside the public figures."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.costs.model import PlacementCostModel
from sctforecast.errors import ConfigError, DataQualityWarning, DataValidationError
from sctforecast.money import format_money, to_pence
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types

__all__ = ["Calibration", "calibrate", "CALIBRATION_COLUMNS"]

_METHODS = ("least_squares", "scale")
#: Columns of :attr:`Calibration.table` (pinned by a test).
CALIBRATION_COLUMNS = (
    "placement_type",
    "placement_days",
    "default_weekly",
    "factor",
    "calibrated_weekly",
    "calibrated_cost_pence",
    "adjusted",
    "public_low_weekly",
    "public_high_weekly",
    "in_public_range",
    "range_source",
)
# a cost within this relative distance of a range's edge counts as inside it
# (the final exact scale moves a clipped cost by a few parts in 10^12)
_EDGE = 1e-9


@dataclass(frozen=True)
class Calibration:
    """The calibrated model, the factors applied and the implied weekly costs.

    ``table`` has one row per placement type (:data:`CALIBRATION_COLUMNS`):
    the default and calibrated weekly cost in the calibration year's prices,
    the public range in the same prices, and whether the calibrated cost lies
    inside it (``None`` for a type with no public range or no activity).
    """

    model: PlacementCostModel
    factors: pd.Series
    table: pd.DataFrame
    target_pence: int
    modelled_pence: int
    year: FinancialYear
    method: str

    @property
    def outside_public_range(self) -> pd.DataFrame:
        """Rows of types with activity whose calibrated cost is outside its public range."""
        return self.table[self.table["in_public_range"].eq(False)]

    @property
    def text(self) -> str:
        used = self.table[self.table["placement_days"] > 0]
        parts = []
        for r in used.itertuples(index=False):
            rng = (
                f" (public {r.public_low_weekly:,.0f} to {r.public_high_weekly:,.0f}"
                f"{'' if r.in_public_range else ': OUTSIDE'})"
                if r.in_public_range is not None
                else " (no public range)"
            )
            parts.append(f"{r.placement_type} {r.calibrated_weekly:,.0f}{rng}")
        return (
            f"Calibrated ({self.method}) to the {self.year} placements line of "
            f"{format_money(self.target_pence)}: modelled gross cost "
            f"{format_money(self.modelled_pence)} (difference "
            f"{format_money(self.modelled_pence - self.target_pence, show_pence=True)}). "
            f"Implied weekly costs in {self.year} prices: {'; '.join(parts)}."
        )

    def __repr__(self) -> str:
        return f"<Calibration {self.method} {self.year}: target {format_money(self.target_pence)}>"


def calibrate(
    model: PlacementCostModel,
    activity: object,
    *,
    target: int | float | str,
    year: FinancialYear | str | int,
    method: str = "least_squares",
    adjust: Sequence[str] | None = None,
    bounds: tuple[float, float] = (0.5, 2.0),
    strict: bool = False,
) -> Calibration:
    """Find unit costs that make the year's gross placement cost equal ``target``.

    Methods
    -------
    ``"least_squares"`` (default)
        The unit costs closest to the defaults, in the sense of the sum over
        types of cost x (relative change)^2, that reproduce the target while
        keeping every type inside its public range (:meth:`UnitCostTable.ranges`;
        types with no public range move within ``bounds``, factors on the
        default).  The solution is a common factor on every adjusted type,
        with a type that would cross an edge of its range held at that edge
        (so relative costs stay as in the defaults wherever the ranges allow).
        When even the edges cannot reach the target, every type is taken to
        the edge nearest the target and one common factor closes the rest,
        with a :class:`DataQualityWarning`; ``strict=True`` raises
        :class:`ConfigError` instead.
    ``"scale"``
        One common factor on the weekly cost of every adjusted type:
        factor = (target - cost of the types held fixed) / cost of the
        adjusted types, whatever the public ranges say.

    Both reproduce the target to the penny.  A calibrated cost outside its
    public range warns (:class:`DataQualityWarning` naming the type, its cost
    and the range).  ``adjust`` names the types whose costs may move (default:
    every type with activity and a non-zero cost); the others are held at
    their defaults.
    """
    if method not in _METHODS:
        raise ConfigError(
            f"unknown calibration method {method!r}; use one of {', '.join(_METHODS)}"
        )
    lo_b, hi_b = bounds
    if not 0 < lo_b <= 1 <= hi_b:
        raise ConfigError(f"bounds must satisfy 0 < low <= 1 <= high, got {bounds}")
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
    mask = _adjustable(per_type, adjust)
    if not mask.any():
        raise ConfigError(f"no adjustable placement type has cost in {fy}; nothing to calibrate")
    goal = target_p / 100.0 - float(per_type[~mask].sum())
    if goal <= 0:
        raise ConfigError(
            f"the types held fixed already cost {format_money(to_pence(float(per_type[~mask].sum())))}, "
            f"more than the target {format_money(target_p)}; adjust more types"
        )
    before = model.unit_costs.weekly_costs([fy])[fy.label].to_numpy(dtype=float)
    ranges = model.unit_costs.ranges(fy)
    lo, hi = _factor_bounds(before, ranges, bounds)
    free = per_type[mask]
    if method == "scale":
        f = np.full(free.shape, goal / free.sum())
    else:
        f = _bounded_scale(free, lo[mask], hi[mask], goal, fy, target_p, strict=strict)
    factors = pd.Series(1.0, index=list(PLACEMENT_TYPES))
    factors[np.array(PLACEMENT_TYPES)[mask]] = f
    calibrated = model.with_unit_costs(model.unit_costs.scaled(factors.to_dict()))
    modelled = calibrated.cost(activity).total_pence(fy)
    table = _table(per_type, days, before, factors, mask, ranges)
    _warn_outside(table, fy)
    return Calibration(calibrated, factors, table, target_p, modelled, fy, method)


# --- named steps -----------------------------------------------------------------------
def _adjustable(per_type: np.ndarray, adjust: Sequence[str] | None) -> np.ndarray:
    if adjust is None:
        return per_type > 0
    check_placement_types(list(adjust), where="calibrate(adjust=...)")
    return np.isin(np.array(PLACEMENT_TYPES), list(adjust)) & (per_type > 0)


def _factor_bounds(
    before: np.ndarray, ranges: pd.DataFrame, bounds: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on each type's factor: its public range over its default cost, or
    ``bounds`` where no public range is known."""
    low = ranges["low_weekly"].to_numpy(dtype=float)
    high = ranges["high_weekly"].to_numpy(dtype=float)
    known = np.isfinite(low) & np.isfinite(high) & (before > 0)
    safe = np.where(before > 0, before, 1.0)
    lo = np.where(known, low / safe, bounds[0])
    hi = np.where(known, high / safe, bounds[1])
    return lo, hi


def _bounded_scale(
    cost: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    goal: float,
    fy: FinancialYear,
    target_p: int,
    *,
    strict: bool,
) -> np.ndarray:
    """Factors x_i = clip(s, lo_i, hi_i) with sum(cost_i x_i) = goal.

    This is the minimiser of sum(cost_i (x_i - 1)^2) under the target and the
    bounds (its optimality conditions give x_i = clip(1 + mu, lo_i, hi_i)).
    The common factor s is found by bisection (the total is monotone in s);
    the unclipped types then take one exact final scale, so the target is met
    to floating precision.
    """
    floor, ceiling = float(cost @ lo), float(cost @ hi)
    if not floor <= goal <= ceiling:
        edge = hi if goal > ceiling else lo
        reach = ceiling if goal > ceiling else floor
        msg = (
            f"{fy}: the target {format_money(target_p)} is out of reach within the public ranges "
            f"(the adjusted types cost {format_money(to_pence(reach))} at the "
            f"{'top' if goal > ceiling else 'bottom'} of their ranges)"
        )
        if strict:
            raise ConfigError(
                msg + "; check that the activity covers every child the ledger line pays for, "
                "give unit costs and ranges of your own, or pass strict=False"
            )
        warnings.warn(
            msg + "; every type is taken to that edge and one common factor closes the rest",
            DataQualityWarning,
            stacklevel=3,
        )
        return edge * (goal / float(cost @ edge))
    a, b = float(lo.min()), float(hi.max())
    for _ in range(200):
        mid = (a + b) / 2
        if float(cost @ np.clip(mid, lo, hi)) < goal:
            a = mid
        else:
            b = mid
    x = np.clip((a + b) / 2, lo, hi)
    inner = (x > lo) & (x < hi)
    if inner.any():
        rest = goal - float(cost[~inner] @ x[~inner])
        x[inner] *= rest / float(cost[inner] @ x[inner])
    else:  # every type at an edge: one tiny common correction
        x *= goal / float(cost @ x)
    return x


def _table(
    per_type: np.ndarray,
    days: np.ndarray,
    before: np.ndarray,
    factors: pd.Series,
    mask: np.ndarray,
    ranges: pd.DataFrame,
) -> pd.DataFrame:
    after = before * factors.to_numpy()
    low = ranges["low_weekly"].to_numpy(dtype=float)
    high = ranges["high_weekly"].to_numpy(dtype=float)
    inside: list[bool | None] = []
    for d, c, lo_w, hi_w in zip(days, after, low, high, strict=True):
        if d <= 0 or not (np.isfinite(lo_w) and np.isfinite(hi_w)):
            inside.append(None)
        else:
            inside.append(bool(lo_w * (1 - _EDGE) <= c <= hi_w * (1 + _EDGE)))
    return pd.DataFrame(
        {
            "placement_type": list(PLACEMENT_TYPES),
            "placement_days": days,
            "default_weekly": before,
            "factor": factors.to_numpy(),
            "calibrated_weekly": after,
            "calibrated_cost_pence": [to_pence(x) for x in per_type * factors.to_numpy()],
            "adjusted": mask,
            "public_low_weekly": low,
            "public_high_weekly": high,
            "in_public_range": pd.Series(inside, dtype=object),
            "range_source": ranges["range_source"].to_numpy(),
        },
        columns=list(CALIBRATION_COLUMNS),
    )


def _warn_outside(table: pd.DataFrame, fy: FinancialYear) -> None:
    for r in table[table["in_public_range"].eq(False)].itertuples(index=False):
        warnings.warn(
            f"calibrated {r.placement_type} costs {r.calibrated_weekly:,.0f} a week in {fy} prices, "
            f"outside its public range {r.public_low_weekly:,.0f} to {r.public_high_weekly:,.0f} "
            f"({r.range_source}); check the activity and the ledger line, or set your own unit costs",
            DataQualityWarning,
            stacklevel=3,
        )
