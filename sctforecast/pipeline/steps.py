"""The main job as named steps: reconcile, fit demand, forecast, calibrate, project, answer.

Each step takes the :class:`~sctforecast.pipeline.RunInputs` (and what earlier
steps made) and returns one object; :func:`run` chains them.  No step asks
which demand model it has: every source fits a model that answers
``demand(first_year, n_years, random_seed=...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

from sctforecast.cache import ResultCache
from sctforecast.costs import Calibration, PlacementCostModel, calibrate
from sctforecast.demand import DemandForecast, DemandModel
from sctforecast.mtfp import MTFPProjection, baseline_lines, project
from sctforecast.pipeline.inputs import RunInputs
from sctforecast.pipeline.result import RunResult
from sctforecast.pipeline.sources import DemandSource, SavedDemand
from sctforecast.profile import AuthorityProfile
from sctforecast.reconcile import ReconciliationReport, reconcile_outturn

__all__ = [
    "run",
    "reconcile",
    "fit_demand",
    "saved_demand_fit",
    "saved_fit",
    "forecast_demand",
    "calibrate_costs",
    "project_plan",
    "mtfp_answers",
]

log = logging.getLogger(__name__)
#: Kind of saved result of a demand fit in the cache.
DEMAND_FIT_KIND = "demand-fit"


def reconcile(inputs: RunInputs) -> ReconciliationReport:
    """Every identity of the baseline ledger checked (findings reported, not raised)."""
    return reconcile_outturn(inputs.ledger, warn=False)


def fit_demand(inputs: RunInputs) -> DemandModel:
    """The demand source fits its own model."""
    return inputs.demand.fit(inputs.profile, draws=inputs.draws, random_seed=inputs.random_seed)


def saved_demand_fit(inputs: RunInputs, cache: ResultCache | None) -> tuple[DemandModel, bool]:
    """The fitted demand model of the run, and whether it was reused (:func:`saved_fit`
    on the run's demand source, profile, draws and seed): a change to the scenario
    alone never refits."""
    return saved_fit(
        inputs.demand,
        inputs.profile,
        draws=inputs.draws,
        random_seed=inputs.random_seed,
        cache=cache,
    )


def saved_fit(
    source: DemandSource,
    profile: AuthorityProfile,
    *,
    draws: int,
    random_seed: int,
    cache: ResultCache | None,
) -> tuple[DemandModel, bool]:
    """``source``'s fitted model for ``profile``, and whether it was reused.

    With a ``cache`` and a source that can save its fit (a
    :class:`~sctforecast.pipeline.SavedDemand`), the fit is saved under a key
    of the data's content, the model's settings, the seed and the library
    version, and a later call whose key matches loads it instead of fitting.
    An entry that cannot be read is refitted with a warning.  Compiled model
    code is kept in the cache folder too
    (:mod:`sctforecast.demand.compile_cache`)."""
    from sctforecast.demand.compile_cache import (
        COMPILE_FOLDER,
        keep_pytensor_default,
        use_compile_cache,
    )

    def fit() -> DemandModel:
        return source.fit(profile, draws=draws, random_seed=random_seed)

    if cache is None or not cache.enabled:
        keep_pytensor_default()
        return fit(), False
    use_compile_cache(cache.root / COMPILE_FOLDER)
    if not isinstance(source, SavedDemand):
        return fit(), False
    key = source.fit_key(profile, draws=draws, random_seed=random_seed)
    return cache.fetch(
        DEMAND_FIT_KIND,
        key,
        "",
        load=lambda folder: source.load_model(folder, profile),
        compute=fit,
        save=source.save_model,
        folder=True,
    )


def forecast_demand(model: DemandModel, inputs: RunInputs) -> DemandForecast:
    """Demand draws over the scenario's projected years."""
    years = inputs.scenario.projected_years
    return model.demand(years[0], len(years), random_seed=inputs.random_seed)


def calibrate_costs(inputs: RunInputs) -> Calibration:
    """Unit costs scaled so that the profile's baseline activity costs exactly the
    baseline placements line of the ledger."""
    placements = baseline_lines(inputs.ledger, inputs.scenario)["placements"]
    return calibrate(
        PlacementCostModel(),
        inputs.profile.activity,
        target=int(placements) / 100,  # exact pounds: to_pence reads the shortest decimal
        year=inputs.profile.baseline_year,
    )


def project_plan(
    inputs: RunInputs, demand: DemandForecast, calibration: Calibration
) -> MTFPProjection:
    """Every MTFP line per demand draw, placements costed by the calibrated model."""
    return project(
        inputs.ledger,
        inputs.scenario,
        profile=inputs.profile,
        demand=demand,
        random_seed=inputs.random_seed,
        cost_model=calibration.model,
    )


def mtfp_answers(projection: MTFPProjection, inputs: RunInputs) -> pd.DataFrame:
    """The breakeven answers (:meth:`MTFPProjection.breakeven`) of the projected years."""
    table = projection.breakeven(ci_prob=inputs.ci_prob)
    projected = [y.label for y in inputs.scenario.projected_years]
    return table[table["financial_year"].isin(projected)].reset_index(drop=True)


def run(
    inputs: RunInputs,
    *,
    progress: Callable[[str], None] | None = None,
    cache: ResultCache | None = None,
) -> RunResult:
    """Run the main job on ``inputs`` and return everything it found (nothing is written;
    see :meth:`RunResult.write`).  With a ``cache``
    (:class:`~sctforecast.cache.ResultCache`), a saved demand fit whose data and
    settings match is reused (:func:`saved_demand_fit`; ``RunResult.demand_reused``)."""
    say = progress or log.info
    say(f"reconciling {inputs.ledger.origin}")
    reconciliation = reconcile(inputs)
    say(f"fitting demand to {inputs.demand.description} ({inputs.draws:,} draws)")
    model, reused = saved_demand_fit(inputs, cache)
    diagnostics = inputs.demand.diagnostics(model)
    say(f"demand model {'reused from a saved fit' if reused else 'fitted'}: {diagnostics}")
    demand = forecast_demand(model, inputs)
    say("calibrating unit costs to the baseline placements line")
    calibration = calibrate_costs(inputs)
    say("projecting the MTFP over the demand draws")
    projection = project_plan(inputs, demand, calibration)
    return RunResult(
        profile=inputs.profile,
        scenario=inputs.scenario,
        reconciliation=reconciliation,
        demand=demand,
        diagnostics=diagnostics,
        calibration=calibration,
        projection=projection,
        answers=mtfp_answers(projection, inputs),
        history=inputs.demand.history(),
        demand_source=inputs.demand.description,
        variance=inputs.variance,
        notes=inputs.notes,
        ci_prob=inputs.ci_prob,
        demand_reused=reused,
    )
