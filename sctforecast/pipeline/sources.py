"""Where demand comes from: a source that knows how to fit its own model.

The pipeline asks a :class:`DemandSource` for a fitted
:class:`~sctforecast.demand.DemandModel` and then for a
:class:`~sctforecast.demand.DemandForecast`; it never asks which model it is.
Two sources ship with the library:

* :class:`PublishedCounts`: yearly or monthly published counts of entries,
  exits and children in care (:class:`~sctforecast.demand.CareFlowData`),
  fitted by the aggregate Bayesian model (:class:`~sctforecast.demand.CareFlowModel`)
  and split by the authority's placement mix;
* :class:`SSDA903Returns`: the authority's SSDA903 episodes, fitted by the
  placement-level model (:class:`~sctforecast.demand.PlacementFlowModel`).

A source that is also a :class:`SavedDemand` says what its fit depends on
(:meth:`SavedDemand.fit_key`) and saves and loads its fitted model, so the
pipeline can reuse a fit when nothing it depends on changed (docs/speed.md).
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from sctforecast.cache import content_hash, result_key
from sctforecast.constants import DEFAULT_CI_PROB
from sctforecast.demand import (
    CareFlowConfig,
    CareFlowData,
    CareFlowModel,
    DemandForecast,
    DemandModel,
    PlacementFlowModel,
)
from sctforecast.periods import FinancialYear
from sctforecast.profile import AuthorityProfile
from sctforecast.ssda903 import SSDA903Data, monthly_counts, read_ssda903

__all__ = ["DemandSource", "PublishedCounts", "SSDA903Returns", "SavedDemand"]

log = logging.getLogger(__name__)


@runtime_checkable
class DemandSource(Protocol):
    """Data that can fit its own demand model (see the module docs)."""

    @property
    def description(self) -> str:
        """What the data are, for the report ("SSDA903 returns in ...")."""
        ...

    def fit(self, profile: AuthorityProfile, *, draws: int, random_seed: int) -> DemandModel:
        """Fit the model to the data; ``draws`` is the number of forecast paths."""
        ...

    def history(self) -> pd.Series:
        """Observed children in care at month ends (index ``"2024-03"``), for charts."""
        ...

    def diagnostics(self, model: DemandModel) -> str:
        """A plain-English account of the fit (convergence, data used)."""
        ...


@runtime_checkable
class SavedDemand(Protocol):
    """A demand source whose fitted model can be saved and loaded back."""

    def fit_key(self, profile: AuthorityProfile, *, draws: int, random_seed: int) -> str:
        """The :func:`~sctforecast.cache.result_key` of the fit: the data's content
        and every setting the fitted model depends on."""
        ...

    def save_model(self, model: DemandModel, folder: Path) -> None:
        """Write the fitted ``model`` into the (empty) ``folder``."""
        ...

    def load_model(self, folder: Path, profile: AuthorityProfile) -> DemandModel:
        """The model :meth:`save_model` wrote; raises if the folder does not hold one."""
        ...


# --- published counts, aggregate model -----------------------------------------------------
@dataclass(frozen=True)
class _AggregateFit:
    """A fitted :class:`CareFlowModel` (which splits children by its own placement
    mix) and, when it was loaded rather than fitted, the account of its fit."""

    model: CareFlowModel
    note: str | None = None

    def forecast_draws(self, months: int, *, random_seed: int | np.random.Generator = 0):  # type: ignore[no-untyped-def]
        return self.model.forecast_draws(months, random_seed=random_seed)

    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        random_seed: int | np.random.Generator = 0,
    ) -> DemandForecast:
        return self.model.demand(first_year, n_years, random_seed=random_seed)


@dataclass(frozen=True)
class PublishedCounts:
    """Published counts fitted by the aggregate model, split by the profile's mix.

    ``chains`` MCMC chains share the ``draws`` paths; each chain is tuned for
    at least ``min_tune`` steps.
    """

    data: CareFlowData
    chains: int = 2
    min_tune: int = 300
    sampler: str = "nutpie"

    @property
    def description(self) -> str:
        return f"published counts ({self.data.source or 'care-flow data'})"

    def config(self, draws: int) -> CareFlowConfig:
        """The model's configuration for ``draws`` forecast paths."""
        per_chain = -(-int(draws) // self.chains)
        return CareFlowConfig(
            draws=per_chain,
            tune=max(per_chain, self.min_tune),
            chains=self.chains,
            sampler=self.sampler,
        )

    def fit(self, profile: AuthorityProfile, *, draws: int, random_seed: int) -> DemandModel:
        config = self.config(draws)
        log.info("fitting the aggregate model (%d chains x %d draws)", self.chains, config.draws)
        model = CareFlowModel(config, mix=profile.mix).fit(self.data, random_seed=random_seed)
        return _AggregateFit(model)

    # --- saved fits (SavedDemand) ----------------------------------------------------------
    def fit_key(self, profile: AuthorityProfile, *, draws: int, random_seed: int) -> str:
        return result_key(
            "demand-fit",
            inputs=content_hash(data=asdict(self.data)),  # every count the data carry
            settings={
                "model": "CareFlowModel",
                "config": asdict(self.config(draws)),
                "random_seed": int(random_seed),
                "mix": profile.mix,
            },
        )

    def save_model(self, model: DemandModel, folder: Path) -> None:
        split: _AggregateFit = model  # type: ignore[assignment]
        split.model.save(folder / "model.nc")
        (folder / "diagnostics.txt").write_text(self.diagnostics(model), encoding="utf-8")

    def load_model(self, folder: Path, profile: AuthorityProfile) -> DemandModel:
        note = (folder / "diagnostics.txt").read_text(encoding="utf-8")
        return _AggregateFit(CareFlowModel.load(folder / "model.nc"), note)

    def history(self) -> pd.Series:
        d = self.data
        if d.freq == "year":
            first = FinancialYear.parse(d.periods[0])
            ends = [f"{first.start_year + k}-03" for k in range(len(d.periods) + 1)]
        else:
            ends = [str(pd.Period(d.periods[0], freq="M") - 1), *d.periods]
        return pd.Series(np.asarray(d.stock, dtype=float), index=ends, name="children_in_care")

    def diagnostics(self, model: DemandModel) -> str:
        if isinstance(model, _AggregateFit) and model.note is not None:
            return model.note
        fitted: CareFlowModel = model.model if isinstance(model, _AggregateFit) else model  # type: ignore[assignment]
        text = fitted.diagnostics.text if fitted.diagnostics is not None else "no diagnostics"
        gap = fitted.gap_summary(ci_prob=DEFAULT_CI_PROB)
        mean = gap[gap["quantity"].str.contains("mean")]
        if mean.empty:
            return text
        row = mean.iloc[0]
        return (
            f"{text.rstrip('. ')}. Published stocks and flows are counted differently: "
            f"the published stock is {row['mean']:+.1f} children from the flow-implied stock on average "
            f"({DEFAULT_CI_PROB:.0%} interval {row['lower']:+.1f} to {row['upper']:+.1f}), "
            "estimated rather than forced to zero."
        )


# --- SSDA903 returns, placement-level model -------------------------------------------------
@dataclass(frozen=True)
class SSDA903Returns:
    """An authority's SSDA903 returns, fitted by the placement-level model."""

    data: SSDA903Data = field(repr=False)

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> SSDA903Returns:
        """Read a folder of returns (either layout of :func:`~sctforecast.ssda903.read_ssda903`)."""
        return cls(read_ssda903(folder))

    @property
    def description(self) -> str:
        return f"SSDA903 returns in {self.data.origin}"

    def fit(self, profile: AuthorityProfile, *, draws: int, random_seed: int) -> DemandModel:
        log.info("fitting the placement-level model to %s", self.data.origin)
        return PlacementFlowModel(n_draws=int(draws)).fit(self.data)  # exact: no seed needed

    def history(self) -> pd.Series:
        start = self.data.observed_from
        counts = monthly_counts(
            self.data, start=None if start is None else str(pd.Timestamp(start).to_period("M"))
        )
        return pd.Series(
            counts["stock_end"].to_numpy(dtype=float),
            index=counts["month"].to_list(),
            name="children_in_care",
        )

    def diagnostics(self, model: DemandModel) -> str:
        d = self.data
        rules = len(d.quality_summary())
        applied = int(d.quality_summary()["times"].sum()) if rules else 0
        seen_from = pd.Timestamp(d.observed_from).date() if d.observed_from is not None else "-"
        return (
            f"Placement-level model: conjugate posterior of entry, move and exit rates from "
            f"{d.n_children:,} children's episodes observed {seen_from} to "
            f"{pd.Timestamp(d.observed_to).date()}; exact, so no sampler diagnostics apply. "
            f"{applied:,} data-quality rule application(s) of {rules} kind(s) "
            "(see SSDA903Data.quality)."
        )
