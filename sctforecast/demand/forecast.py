"""The one shape every demand forecast takes, whatever model made it.

Every demand model (the aggregate model on published counts, the
placement-level model on SSDA903 episodes, the pooled model of many
authorities) answers two calls, the :class:`DemandModel` protocol:

* ``forecast_draws(months, *, random_seed)``: an :class:`xarray.Dataset` with
  ``children`` over (draw, month, placement_type): children in care at each
  month end, by placement type, for ``months`` months after the data end;
  ``placement_days`` over the same dimensions; ``entries`` and ``exits`` over
  (draw, month);
* ``demand(first_year, n_years, *, random_seed)``: a :class:`DemandForecast`
  covering whole financial years, which is what the cost model and the MTFP
  projector take.

So the pipeline has no branch per model: it asks for a :class:`DemandForecast`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM, TYPE_DIM, interval_bounds
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import CATEGORY_OF, PLACEMENT_TYPES, check_placement_types

__all__ = ["DemandForecast", "DemandModel", "split_by_mix", "forecast_for_years"]

_LEVELS = ("total", "category", "placement_type")


@runtime_checkable
class DemandModel(Protocol):
    """What every fitted demand model offers (see the module docs)."""

    def forecast_draws(
        self, months: int, *, random_seed: int | np.random.Generator = 0
    ) -> xr.Dataset: ...

    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        random_seed: int | np.random.Generator = 0,
    ) -> DemandForecast: ...


def _days_from_month_ends(
    children: np.ndarray, start: np.ndarray, days_in_month: np.ndarray
) -> np.ndarray:
    """Placement-days of each month from month-end counts: the mean of the
    month's opening and closing counts times its days.  ``children`` is
    (draw, month, type); ``start`` the counts at the origin, (type,) or
    (draw, type)."""
    opening = np.concatenate(
        [
            np.broadcast_to(start, (children.shape[0], children.shape[2]))[:, None, :],
            children[:, :-1, :],
        ],
        axis=1,
    )
    return (opening + children) / 2.0 * days_in_month[None, :, None]


def split_by_mix(
    total: np.ndarray,
    months: pd.PeriodIndex,
    mix: Mapping[str, float],
    *,
    start_total: float | np.ndarray,
    entries: np.ndarray | None = None,
    exits: np.ndarray | None = None,
) -> xr.Dataset:
    """A ``forecast_draws`` Dataset from month-end totals (draw, month) and a
    placement mix (shares by type that add to 1), for models that forecast
    children in care as a whole."""
    check_placement_types(list(mix), where="placement mix")
    shares = np.array([float(mix.get(t, 0.0)) for t in PLACEMENT_TYPES])
    if (shares < 0).any() or abs(shares.sum() - 1.0) > 1e-9:
        raise DataValidationError(
            f"placement mix shares must be non-negative and add to 1 (they add to {shares.sum():.6f})"
        )
    total = np.asarray(total, dtype=float)
    if total.ndim != 2 or total.shape[1] != len(months):
        raise DataValidationError(
            f"month-end totals must be (draw, month) with {len(months)} months, got {total.shape}"
        )
    children = total[:, :, None] * shares[None, None, :]
    start = np.asarray(start_total, dtype=float)
    start_by_type = (start[:, None] if start.ndim == 1 else start) * shares
    days = _days_from_month_ends(children, start_by_type, months.days_in_month.to_numpy(float))
    n = total.shape[0]
    nan = np.full((n, len(months)), np.nan)
    return _dataset(
        children,
        days,
        nan if entries is None else entries,
        nan if exits is None else exits,
        months,
    )


def _dataset(
    children: np.ndarray,
    placement_days: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    months: pd.PeriodIndex,
) -> xr.Dataset:
    dims3 = (DRAW_DIM, MONTH_DIM, TYPE_DIM)
    return xr.Dataset(
        {
            "children": (dims3, children),
            "placement_days": (dims3, placement_days),
            "entries": ((DRAW_DIM, MONTH_DIM), entries),
            "exits": ((DRAW_DIM, MONTH_DIM), exits),
        },
        coords={
            DRAW_DIM: np.arange(children.shape[0]),
            MONTH_DIM: [str(m) for m in months],
            TYPE_DIM: list(PLACEMENT_TYPES),
        },
    )


@dataclass(frozen=True)
class DemandForecast:
    """Draws of children in care by month and placement type, and the
    placement-days they imply: what the cost model and the MTFP take.

    ``ds`` is a ``forecast_draws`` Dataset (see the module docs); ``source``
    says which model and data made it.
    """

    ds: xr.Dataset
    source: str = ""

    def __post_init__(self) -> None:
        missing = [v for v in ("children", "placement_days") if v not in self.ds]
        if missing:
            raise DataValidationError(
                f"a demand forecast needs {', '.join(missing)} over (draw, month, placement_type)"
            )
        types = [str(t) for t in self.ds[TYPE_DIM].values]
        check_placement_types(types, where="demand forecast")

    # --- what it covers ---------------------------------------------------------------
    @property
    def months(self) -> pd.PeriodIndex:
        return pd.PeriodIndex([str(m) for m in self.ds[MONTH_DIM].values], freq="M")

    @property
    def n_draws(self) -> int:
        return int(self.ds.sizes[DRAW_DIM])

    def _covers(self, first_year: FinancialYear, n_years: int) -> list[str]:
        want = [str(m) for m in month_index(first_year, n_years)]
        have = set(map(str, self.ds[MONTH_DIM].values))
        missing = [m for m in want if m not in have]
        if missing:
            m = self.months
            raise ConfigError(
                f"the demand forecast covers {m[0]} to {m[-1]}, not {missing[0]} to {missing[-1]} "
                f"({first_year} for {n_years} year(s)); forecast further ahead, or start the plan "
                "in a year the forecast covers"
            )
        return want

    # --- what the MTFP asks -----------------------------------------------------------
    def placement_days_draws(self, first_year: FinancialYear, n_years: int) -> xr.DataArray:
        """Placement-days (draw, month, placement_type) over whole financial years."""
        return self.ds["placement_days"].sel({MONTH_DIM: self._covers(first_year, n_years)})

    def children_in_care_draws(self, years: list[FinancialYear]) -> np.ndarray:
        """Average children in care per year (mean of its twelve month ends), (draws, years)."""
        total = self.ds["children"].sum(TYPE_DIM)
        out = []
        for y in years:
            sel = self._covers(y, 1)
            out.append(total.sel({MONTH_DIM: sel}).values.mean(axis=1))
        return np.stack(out, axis=1)

    def scaled(self, factors: np.ndarray) -> DemandForecast:
        """Every count over draws and months multiplied by ``factors`` (draw,
        month): a volume scenario applied to the demand draws.  Children and
        placement-days by type, flows, and any totals a model adds (children in
        care, UASC, the rate per 10,000) all move together."""
        f = xr.DataArray(np.asarray(factors, dtype=float), dims=(DRAW_DIM, MONTH_DIM))
        ds = self.ds.copy()
        for v, da in self.ds.data_vars.items():
            if DRAW_DIM in da.dims and MONTH_DIM in da.dims:
                ds[v] = (da * f).transpose(*da.dims)
        return DemandForecast(ds, source=f"{self.source} (scaled)")

    # --- summaries --------------------------------------------------------------------
    def children(self, level: str = "category") -> xr.DataArray:
        """Month-end children over (draw, month, level), level one of total,
        category, placement_type."""
        if level not in _LEVELS:
            raise ConfigError(f"level must be one of {', '.join(_LEVELS)}, got {level!r}")
        c = self.ds["children"]
        if level == "placement_type":
            return c
        if level == "total":
            return c.sum(TYPE_DIM).expand_dims({"total": ["total"]}, axis=-1)
        cat = xr.DataArray([CATEGORY_OF[str(t)] for t in c[TYPE_DIM].values], dims=TYPE_DIM)
        return c.groupby(cat.rename("category")).sum(TYPE_DIM)

    def summary(self, *, level: str = "category", ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Month-end children: mean, median and central interval per month and
        group, each computed from the draws of that group (never summed bounds).
        Columns: month, group, mean, median, lower, upper, ci_prob."""
        lo, hi = interval_bounds(ci_prob)
        c = self.children(level)
        gdim = [d for d in c.dims if d not in (DRAW_DIM, MONTH_DIM)][0]
        v = c.transpose(DRAW_DIM, MONTH_DIM, gdim).values
        q = np.quantile(v, [lo, 0.5, hi], axis=0)
        mean = v.mean(axis=0)
        rows = []
        for i, m in enumerate(c[MONTH_DIM].values):
            for j, g in enumerate(c[gdim].values):
                rows.append((str(m), str(g), mean[i, j], q[1, i, j], q[0, i, j], q[2, i, j]))
        t = pd.DataFrame(rows, columns=["month", "group", "mean", "median", "lower", "upper"])
        t["ci_prob"] = ci_prob
        return t

    def __repr__(self) -> str:
        m = self.months
        return (
            f"<DemandForecast {m[0]} to {m[-1]}: {self.n_draws:,} draws; "
            f"{self.source or 'unnamed source'}>"
        )


def forecast_for_years(
    model: DemandModel,
    origin: pd.Period,
    first_year: FinancialYear | str | int,
    n_years: int,
    *,
    random_seed: int | np.random.Generator = 0,
    source: str = "",
) -> DemandForecast:
    """The generic ``demand()``: forecast from ``origin`` (the first month after
    the data) far enough to cover ``n_years`` from ``first_year``."""
    fy = FinancialYear.parse(first_year)
    if not isinstance(n_years, int) or n_years < 1:
        raise ConfigError(f"n_years must be a positive whole number, got {n_years!r}")
    start = pd.Period(f"{fy.start_year}-04", freq="M")
    if start < origin:
        raise ConfigError(
            f"the data run to {origin - 1}, so the forecast starts {origin}; it cannot feed a plan "
            f"whose first projected year is {fy} (use data ending before {start}, or start the "
            f"plan in {FinancialYear.containing(origin.start_time)} or later)"
        )
    months = (start - origin).n + 12 * n_years
    ds = model.forecast_draws(months, random_seed=random_seed)
    return DemandForecast(ds, source=source)
