"""Demand: Bayesian forecasts of children entering and leaving care.

This is the only package that imports PyMC (lazily, inside ``fit``).  Names
are imported on first use (PEP 562), so ``from sctforecast.demand import
PlacementFlowModel`` does not load the aggregate model's ArviZ and PyMC
stack: a placement forecast runs in about a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sctforecast.demand.aggregate import CareFlowConfig, CareFlowModel
    from sctforecast.demand.aggregate_forecast import (
        FORECAST_MEASURES,
        kpi_band_probabilities,
        summarise_draws,
    )
    from sctforecast.demand.data import CareFlowData, ComparatorRates, read_counts_csv
    from sctforecast.demand.diagnostics import Diagnostics, check_convergence
    from sctforecast.demand.forecast import DemandForecast, DemandModel
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.demand.population import PopulationProjection, read_population_csv
    from sctforecast.demand.simulate import Levers

_WHERE = {
    "FORECAST_MEASURES": "aggregate_forecast",
    "CareFlowConfig": "aggregate",
    "CareFlowModel": "aggregate",
    "kpi_band_probabilities": "aggregate_forecast",
    "summarise_draws": "aggregate_forecast",
    "CareFlowData": "data",
    "ComparatorRates": "data",
    "PopulationProjection": "population",
    "read_population_csv": "population",
    "read_counts_csv": "data",
    "Diagnostics": "diagnostics",
    "check_convergence": "diagnostics",
    "DemandForecast": "forecast",
    "DemandModel": "forecast",
    "PlacementFlowModel": "placement",
    "Levers": "simulate",
}

__all__ = [
    "FORECAST_MEASURES",
    "CareFlowConfig",
    "CareFlowData",
    "CareFlowModel",
    "ComparatorRates",
    "DemandForecast",
    "DemandModel",
    "Diagnostics",
    "Levers",
    "PlacementFlowModel",
    "PopulationProjection",
    "check_convergence",
    "kpi_band_probabilities",
    "read_counts_csv",
    "read_population_csv",
    "summarise_draws",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f"sctforecast.demand.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sctforecast.demand' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
