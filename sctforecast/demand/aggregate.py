"""Aggregate care-flow model (PyMC) fitted to published counts.

A latent monthly process of children in care: entries at a rate per 10,000
children (the child population is the offset) and exits at a hazard per child
in care, both mean-reverting (Ornstein-Uhlenbeck) around long-run levels whose
prior is centred on comparator rates; UASC are a stream of their own.  Every
published count enters the likelihood at its own date: flows over their
windows (financial years, rolling 12 months, months), children in care on any
day, children in foster care, UASC in care.  Published stocks are noisy
measurements of the latent stock: the stock/flow gap is estimated and
reported (:meth:`CareFlowModel.gap_summary`), never added to forecasts.
``docs/demand.md`` has the maths; :mod:`sctforecast.demand.aggregate_pymc`
the PyMC model; :mod:`sctforecast.demand.simulate` the numpy kernels.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM
from sctforecast.demand.aggregate_fit import CareFlowConfig, as_seed, sample_posterior
from sctforecast.demand.aggregate_forecast import forecast_dataset, summarise_draws
from sctforecast.demand.aggregate_pymc import (
    INTERNAL_NAMES,
    TRANSIENT_SD,
    build_care_flow_model,
    latent_history_of,
)
from sctforecast.demand.data import CareFlowData
from sctforecast.demand.design import FlowDesign, design_for
from sctforecast.demand.diagnostics import Diagnostics, check_convergence
from sctforecast.demand.forecast import DemandForecast, forecast_for_years
from sctforecast.demand.population import PopulationProjection
from sctforecast.demand.simulate import Levers, simulate_forecast
from sctforecast.errors import ConfigError, DataValidationError, NotFittedError
from sctforecast.periods import FinancialYear

__all__ = ["CareFlowConfig", "CareFlowModel"]

log = logging.getLogger(__name__)


class CareFlowModel:
    """Bayesian model of children entering and leaving care, and in care.

    Life: ``CareFlowModel(config, mix=profile.mix, population=projection)``,
    ``fit(data, random_seed=...)``, then ``forecast_draws(months)`` (all
    draws, by month and placement type), ``demand(first_year, n_years)``
    (for the cost model and the MTFP) or ``forecast(months)`` (tidy table);
    ``save``/``load``.  ``mix`` (shares by placement type) splits children
    other than UASC; UASC go to ``supported_accommodation_uasc``.
    ``population`` projects the child population; without it the last known
    population is held (an assumption listed in :attr:`assumptions`).
    """

    def __init__(
        self,
        config: CareFlowConfig | None = None,
        *,
        mix: Mapping[str, float] | None = None,
        population: PopulationProjection | None = None,
    ) -> None:
        if config is not None and not isinstance(config, CareFlowConfig):
            raise ConfigError(f"config must be a CareFlowConfig, got {type(config).__name__}")
        if population is not None and not isinstance(population, PopulationProjection):
            raise ConfigError("population must be a PopulationProjection (see read_population_csv)")
        self.config = config or CareFlowConfig()
        self.mix = None if mix is None else {str(k): float(v) for k, v in mix.items()}
        self.population = population
        self._idata: Any = None
        self._posterior: xr.Dataset | None = None  # a loaded posterior, before ArviZ wraps it
        self.data: CareFlowData | None = None
        self.diagnostics: Diagnostics | None = None
        self.fit_seconds: dict[str, float] = {}

    def __repr__(self) -> str:
        state = f"fitted to {self.data.source!r}" if self.data is not None else "not fitted"
        return f"<CareFlowModel {state}; config {self.config.hash}>"

    # --- fitting -------------------------------------------------------------------
    def build(self, data: CareFlowData):  # type: ignore[no-untyped-def]
        """The PyMC model for ``data`` (not sampled)."""
        return build_care_flow_model(design_for(data), level_prior_sd=self.config.level_prior_sd)

    def _check(self, data: object) -> CareFlowData:
        if not isinstance(data, CareFlowData):
            raise DataValidationError(
                "fit() takes CareFlowData (e.g. sctforecast.datasets.sandwell_care_flows())"
            )
        if self.config.uasc_ceiling_share is not None and not data.has_uasc_stream:
            raise ConfigError(
                "uasc_ceiling_share caps the UASC stream, but these data have no UASC counts "
                "(give two or more in CareFlowData(uasc=...)), or leave it None"
            )
        return data

    def fit(
        self,
        data: CareFlowData,
        *,
        random_seed: int | np.random.Generator,
        mix: Mapping[str, float] | None = None,
    ) -> CareFlowModel:
        """Sample the posterior and check diagnostics (a :class:`ConvergenceWarning`
        says what to change).  Times of each step are in :attr:`fit_seconds`."""
        data = self._check(data)
        if mix is not None:
            self.mix = {str(k): float(v) for k, v in mix.items()}
        t0 = time.perf_counter()
        # pip-installed PyTensor warns about BLAS when it first looks for one, on import
        # or when it first compiles: not the user's concern (the sampler compiles with Numba)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            import pymc as pm

            model = self.build(data)
            t1 = time.perf_counter()
            idata, compile_s = sample_posterior(pm, model, self.config, as_seed(random_seed))
        t2 = time.perf_counter()
        drop = [v for v in idata.posterior.data_vars if v.endswith("__") or v in INTERNAL_NAMES]
        idata.posterior = idata.posterior.drop_vars(drop)
        self.idata, self.data = idata, data
        self.diagnostics = check_convergence(idata, list(idata.posterior.data_vars))
        t3 = time.perf_counter()
        self.fit_seconds = {
            "build": t1 - t0,
            "compile": compile_s,
            "sample": t2 - t1 - compile_s,
            "diagnostics": t3 - t2,
            "total": t3 - t0,
        }
        log.info("fitted in %.1f s (%s)", t3 - t0, self.fit_seconds)
        return self

    @classmethod
    def from_posterior(
        cls,
        data: CareFlowData,
        posterior: Mapping[str, np.ndarray],
        *,
        config: CareFlowConfig | None = None,
        mix: Mapping[str, float] | None = None,
        population: PopulationProjection | None = None,
    ) -> CareFlowModel:
        """A model with its posterior pinned at given draws (for tests and
        what-ifs): arrays of shape (chains, draws[, ...]) for every parameter."""
        import arviz as az

        from sctforecast.demand.aggregate_forecast import required_parameters

        m = cls(config, mix=mix, population=population)
        data = m._check(data)
        missing = [k for k in required_parameters(design_for(data)) if k not in posterior]
        if missing:
            raise DataValidationError(f"the pinned posterior lacks {', '.join(missing)}")
        m.idata = az.from_dict(posterior={k: np.asarray(v) for k, v in posterior.items()})
        m.data = data
        return m

    # --- the fitted state ------------------------------------------------------------
    @property
    def idata(self) -> Any:
        """The posterior as ArviZ ``InferenceData`` (``None`` before fitting).  A loaded
        model is wrapped on first use, so forecasting from a saved fit never imports ArviZ."""
        if self._idata is None and self._posterior is not None:
            import arviz as az

            self._idata, self._posterior = az.InferenceData(posterior=self._posterior), None
        return self._idata

    @idata.setter
    def idata(self, value: Any) -> None:
        self._idata, self._posterior = value, None

    def posterior_dataset(self) -> xr.Dataset:
        """The posterior draws (chain, draw, ...) as an xarray Dataset."""
        if self._posterior is not None:
            return self._posterior
        return self._require()[0].posterior

    def _require(self) -> tuple[Any, CareFlowData]:
        if (self._idata is None and self._posterior is None) or self.data is None:
            raise NotFittedError(
                "this CareFlowModel is not fitted: call .fit(data, random_seed=...) first"
            )
        return self._idata, self.data  # None for a loaded model until .idata is asked for

    @property
    def design(self) -> FlowDesign:
        return design_for(self._require()[1])

    def posterior_draws(self) -> dict[str, np.ndarray]:
        """Every parameter with chains and draws flattened into one draw axis."""
        if self.data is None:
            self._require()
        out = {}
        for k, v in self.posterior_dataset().data_vars.items():
            a = v.values
            out[str(k)] = a.reshape(a.shape[0] * a.shape[1], *a.shape[2:])
        return out

    def latent_history(self) -> dict[str, np.ndarray]:
        """Latent monthly paths over the data (``eta``, ``xi``, ``entries``,
        ``exits``: draws x months; ``stock``, ``uasc``: draws x month ends)."""
        return latent_history_of(self.design, self.posterior_draws())

    @property
    def origin(self) -> pd.Period:
        """The first forecast month: the month after the data end."""
        return self._require()[1].months[-1] + 1

    def population_projection(self) -> PopulationProjection:
        """The projection given, or the last known population held flat."""
        if self.population is not None:
            return self.population
        _, data = self._require()
        return PopulationProjection.held_flat(
            float(data.population[-1]), year=data.months[-1].year, source=data.source
        )

    @property
    def assumptions(self) -> pd.DataFrame:
        """What the forecast assumes beyond the data: (topic, assumption, source)."""
        _, data = self._require()
        pop = self.population_projection()
        rows = [("child population", pop.text, pop.source or "assumption")]
        d = self.design
        rows.append(
            (
                "long-run rates",
                f"prior centred on {d.level_source}",
                "comparators" if data.comparators else "assumption",
            )
        )
        if data.uasc is not None and data.has_uasc_stream:
            ceiling = self.config.uasc_ceiling_share
            rows.append(
                (
                    "UASC",
                    f"held at {data.uasc['children'].iloc[0]:.0f} before {data.uasc['date'].iloc[0].date()}; "
                    "entries at the rate since, "
                    + (
                        f"capped at {ceiling:.2%} of the child population"
                        if ceiling
                        else "with no ceiling"
                    ),
                    "assumption",
                )
            )
        rows.append(
            (
                "published stock/flow gap",
                "measurement error on published stocks; not added to forecasts",
                "model",
            )
        )
        return pd.DataFrame(rows, columns=["topic", "assumption", "source"])

    # --- results ---------------------------------------------------------------------
    def gap_summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The published stock/flow gap (see :func:`sctforecast.demand.aggregate_checks.gap_table`)."""
        from sctforecast.demand.aggregate_checks import gap_table

        return gap_table(self, ci_prob=ci_prob)

    def _simulate(
        self, months: int, random_seed: int | np.random.Generator, levers: Levers | None
    ) -> tuple[dict[str, np.ndarray], pd.PeriodIndex, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise ConfigError(f"months must be a positive whole number, got {months!r}")
        d, p = self.design, self.posterior_draws()
        hist = self.latent_history()
        index = pd.period_range(self.origin, periods=months, freq="M")
        pop = self.population_projection().monthly(index)
        share = self.config.uasc_ceiling_share
        start = (hist["stock"][:, -1] - hist["uasc"][:, -1], hist["uasc"][:, -1])
        sims = simulate_forecast(
            np.random.default_rng(random_seed),
            p,
            eta=p["entry_path"][:, -1],
            xi=p["exit_path"][:, -1],
            citizen=start[0],
            uasc=start[1],
            population=pop,
            first_month=index[0].month - 1,
            step=d.step,
            transient_step=d.transient_step,
            transient_sd=TRANSIENT_SD,
            uasc_ceiling=None if share is None else share * pop,
            levers=levers or Levers(),
        )
        return sims, index, pop, start

    def simulate(
        self,
        months: int,
        *,
        random_seed: int | np.random.Generator = 0,
        levers: Levers | None = None,
    ) -> xr.Dataset:
        """Totals only (no placement mix needed), from the month after the data:
        ``entries``, ``exits``, ``children_in_care`` (month ends),
        ``uasc_in_care`` (with a UASC stream), ``rate_per_10k`` (draw, month);
        ``population`` (month)."""
        _, data = self._require()
        sims, index, pop, _ = self._simulate(months, random_seed, levers)
        dims = (DRAW_DIM, MONTH_DIM)
        ds = xr.Dataset(
            {
                "entries": (dims, sims["entries"]),
                "exits": (dims, sims["exits"]),
                "children_in_care": (dims, sims["children"]),
                "rate_per_10k": (dims, sims["children"] / pop[None, :] * 1e4),
                "population": ((MONTH_DIM,), pop),
            },
            coords={DRAW_DIM: np.arange(len(sims["children"])), MONTH_DIM: [str(m) for m in index]},
        )
        if data.has_uasc_stream:
            ds["uasc_in_care"] = (dims, sims["uasc"])
        return ds

    def forecast_draws(
        self,
        months: int,
        *,
        random_seed: int | np.random.Generator = 0,
        levers: Levers | None = None,
    ) -> xr.Dataset:
        """The :class:`~sctforecast.demand.forecast.DemandModel` draws from the
        month after the data: ``children`` and ``placement_days`` (draw, month,
        placement_type); ``entries``, ``exits``, ``children_in_care``,
        ``uasc_in_care`` (with a UASC stream), ``rate_per_10k`` (draw, month);
        ``population`` (month).  Needs the placement mix."""
        if self.mix is None:
            raise ConfigError(
                "forecast_draws splits children by placement type: give the placement mix, "
                "CareFlowModel(config, mix=profile.mix) or fit(data, mix=...); simulate() gives totals"
            )
        _, data = self._require()
        sims, index, pop, start = self._simulate(months, random_seed, levers)
        return forecast_dataset(
            sims,
            index,
            pop,
            self.mix,
            start=start,
            uasc_stream=data.has_uasc_stream,
            source=data.source,
        )

    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        random_seed: int | np.random.Generator = 0,
    ) -> DemandForecast:
        """Forecast draws over whole financial years, for the cost model and the MTFP."""
        _, data = self._require()
        return forecast_for_years(
            self,
            self.origin,
            first_year,
            n_years,
            random_seed=random_seed,
            source=f"aggregate care-flow model on {data.source}",
        )

    def forecast(
        self,
        months: int,
        *,
        ci_prob: float = DEFAULT_CI_PROB,
        random_seed: int | np.random.Generator = 0,
        levers: Levers | None = None,
        freq: str = "year",
    ) -> pd.DataFrame:
        """Tidy forecast by financial year (``freq="year"``, whole years only) or
        month: period, measure, mean, median, lower, upper, ci_prob."""
        ds = self.simulate(months, random_seed=random_seed, levers=levers)
        return summarise_draws(ds, ci_prob=ci_prob, freq=freq)

    def posterior_predictive(self, *, random_seed: int = 0) -> xr.Dataset:
        """Replicated published flows and stocks from the posterior."""
        from sctforecast.demand.aggregate_checks import posterior_predictive

        return posterior_predictive(self, random_seed=random_seed)

    def plot_ppc(self, *, ax=None, ci_prob: float = DEFAULT_CI_PROB):  # type: ignore[no-untyped-def]
        """Posterior predictive check of the published flows (returns the Axes)."""
        from sctforecast.demand.aggregate_checks import plot_ppc

        return plot_ppc(self, ax=ax, ci_prob=ci_prob)

    def plot_stock(self, *, ax=None, ci_prob: float = DEFAULT_CI_PROB):  # type: ignore[no-untyped-def]
        """The latent stock's interval against every published count (returns the Axes)."""
        from sctforecast.demand.aggregate_checks import plot_stock

        return plot_stock(self, ax=ax, ci_prob=ci_prob)

    # --- persistence -----------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the posterior, data, config, mix and population to NetCDF (never pickle)."""
        from sctforecast.demand.persist import save_care_flow_model

        return save_care_flow_model(self, path)

    @classmethod
    def load(cls, path: str | Path) -> CareFlowModel:
        """Load a saved model; :class:`ModelVersionError` if another version of the
        library or another model saved it, or its config was edited."""
        from sctforecast.demand.persist import load_care_flow_model

        return load_care_flow_model(path)
