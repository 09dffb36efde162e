"""From :class:`CareFlowData` to the arrays the aggregate model is written in.

The latent process runs month by month over the months the flows cover
(``M`` months; stocks at ``M + 1`` month ends, the first being the day before
the first month).  Every observation is a linear map of the latent monthly
path: a flow over a window of months is a 0/1 row over months; a stock on a
date is a weighted pair of month ends (its fraction through the month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.demand.data import CareFlowData
from sctforecast.errors import DataValidationError

__all__ = ["FlowDesign", "design_for", "stock_weights"]

#: Prior median of the UASC exit hazard a year: most arrive at 16 or 17 and leave care at 18.
UASC_HAZARD_MEDIAN = 0.6
#: Months a value of the mean-reverting rates holds: a financial year for yearly
#: data (each year's published flows identify it), a quarter for monthly data (a
#: month's score of events says little about its rate; month-of-year effects carry
#: the seasons).
STEP_MONTHS = {"year": 12, "month": 3}
#: Months a short-lived deviation from it holds: quarters for yearly data (the
#: intra-year stocks and rolling flows say something about quarters, little about
#: single months); none for monthly data, whose months are each observed.
TRANSIENT_MONTHS = {"year": 3, "month": 0}
#: Measurement sd of a published stock when stocks and flows agree exactly (rounding only).
EXACT_STOCK_SD = 0.5


@dataclass(frozen=True, eq=False)
class FlowDesign:
    """Arrays of the model (see the module docs); shapes in the comments."""

    months: pd.PeriodIndex  # (M,)
    population: np.ndarray  # (M,)
    month_of_year: np.ndarray  # (M,) 0 = January
    step: int  # months a level of the latent rates holds (12 for yearly data, 1 for monthly)
    transient_step: int  # months a short-lived deviation holds (3 for yearly data; 0: none)
    seasonal: bool
    flow_labels: tuple[str, ...]  # (F,)
    flow_windows: np.ndarray  # (F, M) 0/1
    flow_entries: np.ndarray  # (F,)
    flow_exits: np.ndarray  # (F,)
    stock_labels: tuple[str, ...]  # (J,)
    stock_weights: np.ndarray  # (J, M + 1)
    stock_obs: np.ndarray  # (J,)
    stock_years: np.ndarray  # (J,) years from the end of the data (zero or negative)
    uasc_weights: np.ndarray  # (K, M + 1); K = 0 without a UASC stream
    uasc_obs: np.ndarray  # (K,)
    uasc_start: int  # first month of the UASC stream's own entry rate
    foster_index: np.ndarray  # (Q,) month-end positions 0..M
    foster_obs: np.ndarray  # (Q,)
    foster_years: np.ndarray  # (Q,) years from the middle of the foster series
    eta_start: float  # log entries a year per 10,000 children, first year (initial guess)
    xi_start: float  # log exits a year per child in care, first year (initial guess)
    entry_level: float  # centre of the long-run log entry rate
    exit_level: float  # centre of the long-run log exit hazard
    level_source: str
    stock_start: float
    gap_scale: float  # scale of the priors of the gap's mean and spread
    exact_stocks: bool  # published stocks and flows agree exactly
    observed_stock: (
        np.ndarray | None
    )  # (M + 1,) monthly stocks known exactly: no latent stock needed
    observed_entries: np.ndarray | None  # (M,) the months' entries, with observed_stock

    @property
    def M(self) -> int:
        return len(self.months)

    @property
    def centred(self) -> bool:
        """Sample the rate paths centred where a step's flows pin it (years);
        quarters of monthly counts sample better from innovations."""
        return self.step >= 12

    @property
    def steps(self) -> int:
        """Number of latent rate steps (``M / step``)."""
        return self.M // self.step

    @property
    def step_of_month(self) -> np.ndarray:
        """(M,) the step each month belongs to."""
        return np.arange(self.M) // self.step

    @property
    def transients(self) -> int:
        """Short-lived deviations within a step (0 without them); they add to zero over the step."""
        return self.step // self.transient_step if self.transient_step else 0

    @property
    def transient_of_month(self) -> np.ndarray:
        """(M,) the deviation within its step each month belongs to."""
        return (np.arange(self.M) % self.step) // max(self.transient_step, 1)

    @property
    def has_uasc(self) -> bool:
        return len(self.uasc_obs) > 0

    @property
    def has_foster(self) -> bool:
        return len(self.foster_obs) > 0


def stock_weights(months: pd.PeriodIndex, dates: list[pd.Timestamp]) -> np.ndarray:
    """(J, M + 1) weights: a date's stock as its fraction through its month
    between the stocks at the month's start and end (month ends 0..M)."""
    W = np.zeros((len(dates), len(months) + 1))
    first = months[0]
    for j, d in enumerate(dates):
        d = pd.Timestamp(d)
        if d < first.start_time:  # the day before the first month: the opening stock
            W[j, 0] = 1.0
            continue
        m = (d.to_period("M") - first).n
        f = d.day / d.days_in_month
        W[j, m] += 1.0 - f
        W[j, m + 1] += f
    return W


def _flows(data: CareFlowData) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    M, per = len(data.months), 12 if data.freq == "year" else 1
    labels, rows = list(data.periods), []
    for t in range(data.T):
        w = np.zeros(M)
        w[t * per : (t + 1) * per] = 1.0
        rows.append(w)
    entries, exits = list(data.entries), list(data.exits)
    if data.rolling_flows is not None:
        for r in data.rolling_flows.itertuples(index=False):
            end = (r.months_to - data.months[0]).n
            w = np.zeros(M)
            w[end - 11 : end + 1] = 1.0
            rows.append(w)
            labels.append(f"12 months to {r.months_to}")
            entries.append(r.entries)
            exits.append(r.exits)
    return labels, np.array(rows), np.array(entries, float), np.array(exits, float)


def _stocks(data: CareFlowData) -> tuple[list[str], list[pd.Timestamp], np.ndarray]:
    ends = [pd.Timestamp(data.start_date)]
    per = 12 if data.freq == "year" else 1
    ends += [pd.Timestamp(data.months[(t + 1) * per - 1].end_time.date()) for t in range(data.T)]
    labels = [str(d.date()) for d in ends]
    values = list(data.stock)
    if data.stock_points is not None:
        for r in data.stock_points.itertuples(index=False):
            labels.append(str(r.date.date()))
            ends.append(r.date)
            values.append(r.children_in_care)
    return labels, ends, np.array(values, float)


def _levels(data: CareFlowData, years: float) -> tuple[float, float, str]:
    if data.comparators is not None:
        c = data.comparators
        return float(np.log(c.entry_rate_per_10k)), float(np.log(c.exit_hazard)), c.source
    pop = data.population.mean() / 1e4
    rate = data.entries.sum() / years / pop
    mean_stock = (data.stock[:-1] + data.stock[1:]).mean() / 2
    hazard = data.exits.sum() / years / max(mean_stock, 1.0)
    return (
        float(np.log(max(rate, 0.1))),
        float(np.log(max(hazard, 0.01))),
        "no comparators given: centred on the series' own mean rates",
    )


def design_for(data: CareFlowData) -> FlowDesign:
    """The arrays of the aggregate model for ``data``."""
    months = data.months
    M, per = len(months), 12 if data.freq == "year" else 1
    flow_labels, windows, fe, fx = _flows(data)
    stock_labels, dates, stock_obs = _stocks(data)
    end = pd.Timestamp(data.end_date)
    years = np.array([(d - end).days / 365.25 for d in dates])
    uasc_w, uasc_obs, uasc_start = np.zeros((0, M + 1)), np.zeros(0), M
    if data.uasc is not None and data.has_uasc_stream:
        u = data.uasc
        uasc_w = stock_weights(months, list(u["date"]))
        uasc_obs = u["children"].to_numpy(float)
        d0 = u["date"].iloc[0]
        m0 = max((d0.to_period("M") - months[0]).n, 0)
        uasc_start = m0 + 1 if d0.day == d0.days_in_month else m0
    f_idx, f_obs = np.zeros(0, int), np.zeros(0)
    if data.foster is not None:
        f_idx = np.array([(m - months[0]).n + 1 for m in data.foster["month"]], int)
        f_obs = data.foster["children"].to_numpy(float)
    first_n = min(12 // per, data.T) if per == 1 else 1
    pop0 = data.population[0] / 1e4
    first_years = first_n * per / 12
    eta_start = np.log(max(data.entries[:first_n].sum() / first_years / pop0, 0.1))
    xi_start = np.log(max(data.exits[:first_n].sum() / first_years / max(data.stock[0], 1.0), 0.01))
    entry_level, exit_level, level_source = _levels(data, M / 12)
    gap = data.gap
    exact = bool(np.all(gap == 0)) and data.stock_points is None
    observed = exact and data.freq == "month"
    if observed and data.has_uasc_stream:
        raise DataValidationError(
            "a UASC stream is modelled on published yearly series; monthly counts whose stocks are the "
            "flows' running total (as from SSDA903) carry UASC in the placement-level model instead",
            where=data.source or "care-flow data",
        )
    scale = float(max(10.0 if per == 12 else 3.0, 2 * np.std(gap)))
    return FlowDesign(
        months=months,
        population=np.repeat(data.population, per),
        month_of_year=np.array([m.month - 1 for m in months]),
        step=STEP_MONTHS[data.freq],
        transient_step=TRANSIENT_MONTHS[data.freq],
        seasonal=data.freq == "month",
        flow_labels=tuple(flow_labels),
        flow_windows=windows,
        flow_entries=fe,
        flow_exits=fx,
        stock_labels=tuple(stock_labels),
        stock_weights=stock_weights(months, dates),
        stock_obs=stock_obs,
        stock_years=years,
        uasc_weights=uasc_w,
        uasc_obs=uasc_obs,
        uasc_start=int(uasc_start),
        foster_index=f_idx,
        foster_obs=f_obs,
        foster_years=(f_idx - f_idx.mean()) / 12.0 if len(f_idx) else np.zeros(0),
        eta_start=float(eta_start),
        xi_start=float(xi_start),
        entry_level=entry_level,
        exit_level=exit_level,
        level_source=level_source,
        stock_start=float(data.stock[0]),
        gap_scale=scale,
        exact_stocks=exact,
        observed_stock=data.stock.copy() if observed else None,
        observed_entries=data.entries.copy() if observed else None,
    )
