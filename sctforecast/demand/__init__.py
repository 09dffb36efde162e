"""Demand: Bayesian forecasts of children entering and leaving care.

This is the only package that imports PyMC (lazily, inside ``fit``).
"""

from sctforecast.demand.aggregate import CareFlowConfig, CareFlowModel
from sctforecast.demand.aggregate_forecast import (
    FORECAST_MEASURES,
    kpi_band_probabilities,
    summarise_draws,
)
from sctforecast.demand.data import CareFlowData, ComparatorRates
from sctforecast.demand.diagnostics import Diagnostics, check_convergence
from sctforecast.demand.forecast import DemandForecast, DemandModel
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.demand.population import PopulationProjection, read_population_csv
from sctforecast.demand.simulate import Levers

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
    "read_population_csv",
    "summarise_draws",
]
