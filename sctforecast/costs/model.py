"""The placement cost model: unit costs x placement-days, less contributions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB
from sctforecast.costs.activity import as_activity, months_of
from sctforecast.costs.kernel import cost_kernel, period_starts, sum_by_period
from sctforecast.costs.unit_costs import UnitCostTable
from sctforecast.errors import DataValidationError
from sctforecast.money import round_to_total, to_pence
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types

__all__ = ["Contribution", "HighCostPlacement", "PlacementCostModel", "CostResult"]


@dataclass(frozen=True)
class Contribution:
    """A third-party contribution to placement costs (health / ICB, education,
    Home Office UASC grant...): a ``share`` of gross cost, or a ``weekly_rate``
    per child, for some placement types, from ``first_year`` (to ``last_year``)."""

    name: str
    placement_types: tuple[str, ...]
    share: float = 0.0
    weekly_rate: float = 0.0
    first_year: FinancialYear | None = None
    last_year: FinancialYear | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 <= self.share <= 1.0:
            problems.append(f"share {self.share} is outside 0..1 (100% is 1.0)")
        if self.weekly_rate < 0 or not np.isfinite(self.weekly_rate):
            problems.append(f"weekly_rate {self.weekly_rate} must be a non-negative number")
        try:
            check_placement_types(list(self.placement_types))
        except DataValidationError as err:
            problems.append(str(err))
        if problems:
            raise DataValidationError(problems, where=f"contribution {self.name!r}")

    def applies(self, fy: FinancialYear) -> bool:
        return (self.first_year is None or fy >= self.first_year) and (
            self.last_year is None or fy <= self.last_year
        )


@dataclass(frozen=True)
class HighCostPlacement:
    """One child's placement costed at its own weekly rate instead of the average.

    ``end`` is exclusive (the day the placement ended), ``None`` while open.
    """

    child: str
    placement_type: str
    start: dt.date
    end: dt.date | None
    weekly_cost: float

    def __post_init__(self) -> None:
        check_placement_types(
            [self.placement_type], where=f"high-cost placement of child {self.child}"
        )
        if self.end is not None and pd.Timestamp(self.end) < pd.Timestamp(self.start):
            raise DataValidationError(
                f"high-cost placement of child {self.child}: ends {self.end} before it starts {self.start}"
            )
        if not np.isfinite(self.weekly_cost) or self.weekly_cost < 0:
            raise DataValidationError(
                f"high-cost placement of child {self.child}: weekly cost must be >= 0"
            )


@dataclass(frozen=True)
class CostResult:
    """Costs by month and placement type (pounds, floats), with summaries.

    ``data`` is an ``xarray.Dataset`` with ``gross``, ``contributions``,
    ``net`` and ``placement_days`` over (..., month, placement_type).
    """

    data: xr.Dataset

    @property
    def has_draws(self) -> bool:
        return "draw" in self.data.dims

    def by_year(self) -> xr.Dataset:
        """Sum months into financial years (dims ..., financial_year, placement_type)."""
        months = pd.PeriodIndex(self.data["month"].values.astype(str), freq="M")
        fys = np.array([FinancialYear.containing(m.start_time).label for m in months])
        starts = period_starts(fys)
        out = {}
        for name, da in self.data.data_vars.items():
            axis = da.dims.index("month")
            vals = sum_by_period(da.values, starts, axis=axis)
            dims = tuple("financial_year" if d == "month" else d for d in da.dims)
            out[name] = (dims, vals)
        coords = {k: v for k, v in self.data.coords.items() if k != "month"}
        coords["financial_year"] = fys[starts]
        return xr.Dataset(out, coords=coords)

    def table(self, *, by: str = "financial_year") -> pd.DataFrame:
        """Tidy table in pence (no draws): financial_year or month, placement_type,
        placement_days, gross_pence, contributions_pence, net_pence.  Pence are
        rounded so that each period's lines add to its rounded total."""
        if self.has_draws:
            raise DataValidationError(
                "this result has draws: use summary() for intervals or mean()"
            )
        ds = self.by_year() if by == "financial_year" else self.data
        period = "financial_year" if by == "financial_year" else "month"
        rows = []
        for p in ds[period].values:
            sub = ds.sel({period: p})
            pence = {k: round_to_total(sub[k].values * 100.0) for k in ("gross", "contributions")}
            net = pence["gross"] - pence["contributions"]
            for j, t in enumerate(ds["placement_type"].values):
                rows.append(
                    {
                        period: str(p),
                        "placement_type": str(t),
                        "placement_days": float(sub["placement_days"].values[j]),
                        "gross_pence": int(pence["gross"][j]),
                        "contributions_pence": int(pence["contributions"][j]),
                        "net_pence": int(net[j]),
                    }
                )
        return pd.DataFrame(rows)

    def total_pence(self, year: FinancialYear | str | int, *, measure: str = "gross") -> int:
        """Total of a year (no draws), rounded once to pence."""
        y = self.by_year().sel(financial_year=FinancialYear.parse(year).label)
        return int(to_pence(float(y[measure].sum())))

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB, measure: str = "net") -> pd.DataFrame:
        """Mean, median and central interval of a measure by year and type over draws."""
        if not self.has_draws:
            raise DataValidationError("summary() needs a result with a draw dimension")
        by = self.by_year()[measure]
        lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
        total = by.sum("placement_type").expand_dims(placement_type=["total"])
        full = xr.concat([by, total], dim="placement_type")
        q = full.quantile([lo, 0.5, hi], dim="draw")
        mean = full.mean("draw")
        rows = []
        for fy in full["financial_year"].values:
            for t in full["placement_type"].values:
                sel = {"financial_year": fy, "placement_type": t}
                rows.append(
                    {
                        "financial_year": str(fy),
                        "placement_type": str(t),
                        "mean": float(mean.sel(sel)),
                        "median": float(q.sel(sel).sel(quantile=0.5)),
                        "lower": float(q.sel(sel).sel(quantile=lo)),
                        "upper": float(q.sel(sel).sel(quantile=hi)),
                        "ci_prob": ci_prob,
                    }
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class PlacementCostModel:
    """Cost placement activity: unit costs by type and year, inflation, third-party
    contributions and individually costed high-cost placements.

    The same :meth:`cost` call takes one set of placement-days or an array of
    forecast draws (``draw x month x placement_type``); the arithmetic is one
    vectorised kernel either way.
    """

    unit_costs: UnitCostTable = field(default_factory=UnitCostTable.default)
    contributions: tuple[Contribution, ...] = ()
    high_cost: tuple[HighCostPlacement, ...] = ()

    def __post_init__(self) -> None:
        by_type: dict[str, float] = {}
        for c in self.contributions:
            for t in c.placement_types:
                by_type[t] = by_type.get(t, 0.0) + c.share
        over = {t: s for t, s in by_type.items() if s > 1.0 + 1e-12}
        if over:
            listing = ", ".join(f"{t} {s:.0%}" for t, s in sorted(over.items()))
            raise DataValidationError(
                f"contribution shares add to more than 100% of cost for {listing}; "
                "a placement cannot be funded more than once"
            )

    @property
    def placement_types(self) -> tuple[str, ...]:
        return PLACEMENT_TYPES

    def with_contributions(self, contributions: Iterable[Contribution]) -> PlacementCostModel:
        return replace(self, contributions=tuple(contributions))

    def with_unit_costs(self, unit_costs: UnitCostTable) -> PlacementCostModel:
        return replace(self, unit_costs=unit_costs)

    # --- arrays per month -------------------------------------------------
    def rates(self, months: pd.PeriodIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(daily_rate, share, weekly_contribution), each (months, types)."""
        daily = self.unit_costs.daily_rates(months)
        share = np.zeros_like(daily)
        weekly = np.zeros_like(daily)
        fys = [FinancialYear.containing(m.start_time) for m in months]
        idx = {t: j for j, t in enumerate(PLACEMENT_TYPES)}
        for c in self.contributions:
            mask = np.array([c.applies(fy) for fy in fys])
            for t in c.placement_types:
                share[mask, idx[t]] += c.share
                weekly[mask, idx[t]] += c.weekly_rate
        return daily, share, weekly

    def _high_cost_arrays(self, months: pd.PeriodIndex) -> tuple[np.ndarray, np.ndarray]:
        """Days and cost (pounds) of the high-cost placements, (months, types)."""
        days = np.zeros((len(months), len(PLACEMENT_TYPES)))
        cost = np.zeros_like(days)
        if not self.high_cost:
            return days, cost
        m_start = np.array([m.start_time.date() for m in months], dtype="datetime64[D]")
        m_end = m_start + months.days_in_month.to_numpy().astype("timedelta64[D]")
        idx = {t: j for j, t in enumerate(PLACEMENT_TYPES)}
        for h in self.high_cost:
            s = np.datetime64(pd.Timestamp(h.start).date(), "D")
            e = np.datetime64(pd.Timestamp(h.end).date(), "D") if h.end is not None else m_end[-1]
            d = np.clip((np.minimum(e, m_end) - np.maximum(s, m_start)).astype(np.int64), 0, None)
            days[:, idx[h.placement_type]] += d
            cost[:, idx[h.placement_type]] += d * h.weekly_cost / 7.0
        return days, cost

    # --- costing ------------------------------------------------------------
    def cost(self, activity: object) -> CostResult:
        """Cost placement-days (DataArray, tidy DataFrame or counts DataFrame).

        High-cost placements are costed at their own rates; their days are
        taken out of the average-costed days of their type.  Contributions
        apply to both.
        """
        act = as_activity(activity)
        months = months_of(act)
        daily, share, weekly = self.rates(months)
        hc_days, hc_cost = self._high_cost_arrays(months)
        days = act.values
        adjustment = None
        if self.high_cost:
            rest = days - hc_days
            if (rest < -1e-9).any():
                where = np.argwhere((rest < -1e-9).reshape(-1, *rest.shape[-2:]).any(axis=0))[0]
                raise DataValidationError(
                    f"high-cost placements have more {PLACEMENT_TYPES[where[1]]} days than the activity "
                    f"in {months[where[0]]}; include those children in the activity"
                )
            adjustment = hc_cost - hc_days * daily
        g, c, n = cost_kernel(days, daily, share, weekly, adjustment)
        dims = act.dims
        coords = {k: act.coords[k] for k in act.coords}
        ds = xr.Dataset(
            {
                "placement_days": (dims, days),
                "gross": (dims, g),
                "contributions": (dims, c),
                "net": (dims, n),
            },
            coords=coords,
        )
        return CostResult(ds)

    def weekly_table(self, years: Sequence[FinancialYear | str | int]) -> pd.DataFrame:
        """Weekly unit cost by type and year, with basis and source."""
        w = self.unit_costs.weekly_costs(years)
        meta = self.unit_costs.weekly.set_index("placement_type")[["price_year", "basis", "source"]]
        return w.join(meta)
