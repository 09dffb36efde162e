"""Demand: Bayesian forecasts of children entering and leaving care.

This is the only package that imports PyMC (lazily, inside ``fit``).
"""

from sctforecast.demand.aggregate import (
    FORECAST_MEASURES,
    CareFlowConfig,
    CareFlowModel,
    kpi_band_probabilities,
    summarise_draws,
)
from sctforecast.demand.data import CareFlowData
from sctforecast.demand.diagnostics import Diagnostics, check_convergence
from sctforecast.demand.forecast import DemandForecast, DemandModel
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.demand.simulate import Levers

__all__ = [
    "FORECAST_MEASURES",
    "CareFlowConfig",
    "CareFlowData",
    "CareFlowModel",
    "DemandForecast",
    "DemandModel",
    "Diagnostics",
    "Levers",
    "PlacementFlowModel",
    "check_convergence",
    "kpi_band_probabilities",
    "summarise_draws",
]
