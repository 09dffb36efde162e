"""Placement-level demand model from SSDA903 episodes.

Rates come only from the window the returns observe (``data.observed_from``
to ``data.observed_to``); children in care on its first day enter the
exposure then (:mod:`sctforecast.demand.flows`).  Entry, exit and move rates
are a static structure by age band and placement type times levels that
drift as random walks, with the drift learnt from the data
(:mod:`sctforecast.demand.rates`).  Forecasts simulate children by age and
placement type over draws of every rate and of the levels' future paths, so
intervals carry parameter uncertainty, drift and month-to-month noise
(:mod:`sctforecast.demand.placement_sim`).  Leaving care at 18 is certain
and simulated from age.

Life: ``PlacementFlowModel().fit(data)``, then ``forecast_draws(months)``
(the :class:`~sctforecast.demand.forecast.DemandModel` protocol),
``demand(first_year, n_years)`` for the MTFP, ``forecast(months)`` for a tidy
table, and ``rates()`` for the fitted rates at the origin against the window
average.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM, TYPE_DIM, interval_bounds
from sctforecast.demand.flows import FlowCounts, flow_counts, observed_window
from sctforecast.demand.forecast import DemandForecast, forecast_for_years
from sctforecast.demand.placement_sim import simulate_placements
from sctforecast.demand.rates import RatePosterior, fit_rates, group_rates
from sctforecast.errors import ConfigError, DataValidationError, NotFittedError
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.reader import SSDA903Data

__all__ = ["PlacementFlowModel"]

logger = logging.getLogger(__name__)
MIN_MONTHS = 12


def _dataset(
    by_type: dict[str, np.ndarray], sim: dict[str, np.ndarray], n: int, labels: pd.PeriodIndex
) -> xr.Dataset:
    """The forecast Dataset.  Arrays are wrapped as ``xr.Variable`` first:
    xarray checks any other input against dask arrays, which imports dask
    (half a second) in a command that should take about a second."""

    def var(dims: tuple[str, ...], values: np.ndarray) -> xr.Variable:
        return xr.Variable(dims, values, fastpath=True)

    dims3 = (DRAW_DIM, MONTH_DIM, TYPE_DIM)
    dims2 = (DRAW_DIM, MONTH_DIM)
    return xr.Dataset(
        {
            "children": var(dims3, by_type["children"]),
            "placement_days": var(dims3, by_type["placement_days"]),
            "entries": var(dims2, sim["entries"]),
            "exits": var(dims2, sim["exits"]),
            "aged_out": var(dims2, sim["aged_out"]),
        },
        coords={
            DRAW_DIM: var((DRAW_DIM,), np.arange(n)),
            MONTH_DIM: var((MONTH_DIM,), np.array([str(p) for p in labels])),
            TYPE_DIM: var((TYPE_DIM,), np.array(PLACEMENT_TYPES)),
        },
    )


@dataclass
class PlacementFlowModel:
    """Entries, exits and moves between placement types by age band, with
    rates that drift, from SSDA903 episodes; forward simulation over draws.

    Parameters
    ----------
    n_draws
        Draws in every forecast.
    drift
        Standard deviation per month of the log rates' random walk.  ``None``
        (the default) weighs a grid of values by how well each predicted
        every month one step ahead; a number fixes it (0 holds rates fixed,
        leaving only parameter uncertainty and month effects).
    month_effect
        Standard deviation of the log month effect (extra-Poisson variation);
        ``None`` learns it the same way.
    """

    n_draws: int = 1000
    drift: float | None = None
    month_effect: float | None = None
    posterior: RatePosterior | None = field(default=None, repr=False)
    counts: FlowCounts | None = field(default=None, repr=False)
    observed_to: pd.Timestamp | None = None
    window_start: pd.Timestamp | None = None

    # --- fitting ----------------------------------------------------------------------
    def fit(
        self, data: SSDA903Data, *, since: str | pd.Timestamp | None = None
    ) -> PlacementFlowModel:
        """Count events and exposure over the observed window and form the
        posterior (exactly: no sampling, so no seed).  ``since`` narrows the
        window to start later (never earlier than ``data.observed_from``)."""
        if not isinstance(self.n_draws, int) or self.n_draws < 1:
            raise ConfigError(f"n_draws must be a positive whole number, got {self.n_draws!r}")
        if since is not None and data.observed_from is not None:
            if pd.Timestamp(since) < data.observed_from:
                raise ConfigError(
                    f"since={pd.Timestamp(since).date()} is before the returns start observing "
                    f"({data.observed_from.date()}, 1 April of the first collection year): rates "
                    "can come only from the window the returns observe; drop since= or give a "
                    "later date"
                )
        start, end = observed_window(data, since)
        months = (end.to_period("M") - start.to_period("M")).n
        if months < MIN_MONTHS:
            raise DataValidationError(
                f"{data.origin}: the returns observe {max(months, 0)} whole month(s) from "
                f"{start.date()} to {data.observed_to.date()}; the placement model needs at "
                f"least {MIN_MONTHS}. Add earlier collection years, or a later since="
            )
        self.counts = flow_counts(data, start, end)
        self.posterior = fit_rates(self.counts, drift=self.drift, month_effect=self.month_effect)
        self.observed_to = data.observed_to
        self.window_start = start
        logger.info(
            "placement model: %d months from %s, %d entries, %d exits, %d moves, %d in care at %s",
            months,
            start.date(),
            self.counts.entries.sum(),
            self.counts.exits.sum(),
            self.counts.moves.sum(),
            self.counts.start_state.sum(),
            data.observed_to.date(),
        )
        return self

    def _require(self) -> tuple[RatePosterior, FlowCounts]:
        if self.posterior is None or self.counts is None:
            raise NotFittedError("this PlacementFlowModel is not fitted: call .fit(data) first")
        return self.posterior, self.counts

    @property
    def start_state(self) -> np.ndarray:
        """Children in care at the end of the data by age bin and placement type."""
        return self._require()[1].start_state

    # --- simulation -------------------------------------------------------------------
    def simulate(
        self,
        months: int,
        *,
        random_seed: int | np.random.Generator = 0,
        n_draws: int | None = None,
    ) -> xr.Dataset:
        """Simulate ``months`` from the end of the data for every draw.

        Returns a Dataset over (draw, month[, placement_type]) with
        ``children`` (by type, at the end of each month), ``placement_days``
        (by type), ``entries``, ``exits`` (turning 18 included) and
        ``aged_out``.
        """
        post, counts = self._require()
        if not isinstance(months, int | np.integer) or isinstance(months, bool) or months < 1:
            raise ConfigError(f"months must be a positive whole number, got {months!r}")
        n = self.n_draws if n_draws is None else n_draws
        if not isinstance(n, int) or n < 1:
            raise ConfigError(f"n_draws must be a positive whole number, got {n!r}")
        rng = np.random.default_rng(random_seed)
        par = post.draw(rng, n, int(months))
        labels = pd.period_range(self.origin, periods=int(months), freq="M")
        # simulate only the types a child can be in: those in care at the
        # end, entered, or moved to (fewer cells, same numbers)
        active = (counts.start_state.sum(axis=0) > 0) | (post.entry_conc.sum(axis=0) > 0)
        active[post.pair_to] = True
        idx = np.flatnonzero(active)
        pos = np.cumsum(active) - 1
        sim = simulate_placements(
            rng,
            start_state=counts.start_state[:, idx],
            days_in_month=labels.days_in_month.to_numpy(dtype=float),
            entry=par["entry"][..., idx],
            entry_mult=par["entry_mult"][..., idx],
            exit_=par["exit"][..., idx],
            exit_mult=par["exit_mult"][..., idx],
            move=par["move"],
            move_mult=par["move_mult"],
            pair_from=pos[post.pair_from],
            pair_to=pos[post.pair_to],
            entry_age=post.entry_age,
            closure=par["closure"],
            closure_months=(labels.month == 4),
        )
        by_type = {}
        for k in ("children", "placement_days"):
            full = np.zeros((n, int(months), len(PLACEMENT_TYPES)))
            full[..., idx] = sim[k]
            by_type[k] = full
        return _dataset(by_type, sim, n, labels)

    # --- the DemandModel protocol (sctforecast.demand.forecast) -----------------------
    @property
    def origin(self) -> pd.Period:
        """The first forecast month: the month after the data end."""
        self._require()
        return (self.observed_to + pd.Timedelta(days=1)).to_period("M")  # type: ignore[operator]

    def forecast_draws(
        self, months: int, *, random_seed: int | np.random.Generator = 0
    ) -> xr.Dataset:
        """Children by placement type at each month end, placement-days, entries
        and exits, (draw, month[, placement_type]), from the month after the data."""
        return self.simulate(months, random_seed=random_seed)

    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        random_seed: int | np.random.Generator = 0,
    ) -> DemandForecast:
        """Forecast draws over whole financial years, for the cost model and the MTFP."""
        return forecast_for_years(
            self,
            self.origin,
            first_year,
            n_years,
            random_seed=random_seed,
            source=f"placement-level model on SSDA903 episodes to {self.observed_to.date()}",  # type: ignore[union-attr]
        )

    # --- tables ---------------------------------------------------------------------------
    def forecast(
        self,
        months: int,
        *,
        ci_prob: float = DEFAULT_CI_PROB,
        by: str = "financial_year",
        random_seed: int | np.random.Generator = 0,
    ) -> pd.DataFrame:
        """Tidy forecast of children in care by type (average of the period's
        month ends), entries and exits (totals), by financial year or month."""
        if by not in ("financial_year", "month"):
            raise ConfigError(f"by must be 'financial_year' or 'month', got {by!r}")
        lo, hi = interval_bounds(ci_prob)
        ds = self.simulate(months, random_seed=random_seed)
        labels = [str(m) for m in ds[MONTH_DIM].values]
        key = (
            [FinancialYear.containing(pd.Period(m, freq="M").start_time).label for m in labels]
            if by == "financial_year"
            else labels
        )
        groups = np.array(key)
        children = ds["children"].values
        rows = []
        for g in dict.fromkeys(key):
            sel = np.flatnonzero(groups == g)
            parts = {
                f"children: {t}": children[:, sel, j].mean(axis=1)
                for j, t in enumerate(PLACEMENT_TYPES)
            }
            parts["children: total"] = children[:, sel].sum(axis=2).mean(axis=1)
            parts["entries"] = ds["entries"].values[:, sel].sum(axis=1)
            parts["exits"] = ds["exits"].values[:, sel].sum(axis=1)
            for name, v in parts.items():
                q = np.quantile(v, [lo, 0.5, hi])
                rows.append((g, name, float(v.mean()), q[1], q[0], q[2]))
        t = pd.DataFrame(rows, columns=["period", "measure", "mean", "median", "lower", "upper"])
        t["ci_prob"] = ci_prob
        return t

    def rates(
        self, *, ci_prob: float = DEFAULT_CI_PROB, random_seed: int | np.random.Generator = 0
    ) -> pd.DataFrame:
        """Each group's rate in the last month of the data (posterior mean and
        interval) against its average over the window.

        Entries are children a month into a category; exits and moves are
        monthly hazards per child in care (over the last 12 months' mix of
        ages and types).  Columns: flow, group, window_mean, current_mean,
        current_lower, current_upper, ci_prob.
        """
        post, counts = self._require()
        lo, hi = interval_bounds(ci_prob)
        rng = np.random.default_rng(random_seed)
        scale = group_rates(post, counts)
        rows = []
        for flow, lev in (("entries", post.entries), ("exits", post.exits), ("moves", post.moves)):
            base, window = scale[flow]
            draws = lev.current(rng) * base
            q = np.quantile(draws, [lo, hi], axis=0) if len(lev.groups) else np.zeros((2, 0))
            for g, name in enumerate(lev.groups):
                rows.append(
                    (flow, name, float(window[g]), float(draws[:, g].mean()), q[0, g], q[1, g])
                )
        t = pd.DataFrame(
            rows,
            columns=[
                "flow",
                "group",
                "window_mean",
                "current_mean",
                "current_lower",
                "current_upper",
            ],
        )
        t["ci_prob"] = ci_prob
        return t

    def __repr__(self) -> str:
        if self.posterior is None:
            return f"<PlacementFlowModel (not fitted), {self.n_draws:,} draws>"
        return (
            f"<PlacementFlowModel fitted on {self.posterior.months} months from "
            f"{self.window_start.date()} to {self.observed_to.date()}, "  # type: ignore[union-attr]
            f"{int(self.start_state.sum())} in care at the end, {self.n_draws:,} draws>"
        )
