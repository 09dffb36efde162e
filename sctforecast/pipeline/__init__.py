"""The main job as one typed pipeline: inputs -> :func:`run` -> :class:`RunResult` -> files.

::

    from sctforecast.pipeline import RunInputs, run

    inputs = RunInputs.resolve(ledger="outturn.csv", ssda903="returns/", population=52_400,
                               scenario="plan.toml")
    result = run(inputs)
    print(result.text)          # the MTFP answers first
    result.write("report/")     # report.html, sctforecast.xlsx, charts, CSVs

``sctforecast run`` does exactly this.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sctforecast.cache import ResultCache
from sctforecast.pipeline.inputs import EMBEDDED_PROFILE, MIN_DRAWS, RunInputs, resolve_profile
from sctforecast.pipeline.result import HEADLINE_COLUMNS, RunResult
from sctforecast.pipeline.sources import (
    DemandSource,
    PublishedCounts,
    SavedDemand,
    SSDA903Returns,
)
from sctforecast.pipeline.steps import (
    calibrate_costs,
    fit_demand,
    forecast_demand,
    mtfp_answers,
    project_plan,
    reconcile,
    run,
    saved_demand_fit,
    saved_fit,
)
from sctforecast.reporting.run import RUN_OUTPUT_FILES

__all__ = [
    "EMBEDDED_PROFILE",
    "HEADLINE_COLUMNS",
    "MIN_DRAWS",
    "RUN_OUTPUT_FILES",
    "DemandSource",
    "PublishedCounts",
    "RunInputs",
    "RunResult",
    "SSDA903Returns",
    "SavedDemand",
    "calibrate_costs",
    "fit_demand",
    "saved_demand_fit",
    "saved_fit",
    "forecast_demand",
    "mtfp_answers",
    "project_plan",
    "reconcile",
    "resolve_profile",
    "run",
    "run_main_job",
]


def run_main_job(
    out: str | os.PathLike[str] = "sctforecast-output",
    *,
    progress: Callable[[str], None] | None = None,
    cache: ResultCache | None = None,
    **given: object,
) -> RunResult:
    """Resolve the inputs (:meth:`RunInputs.resolve` takes ``given``), run (reusing a
    saved demand fit from ``cache`` when it matches), and write the output folder
    atomically; returns the :class:`RunResult`."""
    result = run(RunInputs.resolve(**given), progress=progress, cache=cache)  # type: ignore[arg-type]
    result.write(out)
    return result
