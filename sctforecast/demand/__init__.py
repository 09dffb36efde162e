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
from sctforecast.demand.mix import AggregateDemand, default_mix
from sctforecast.demand.simulate import Levers

__all__ = [
    "FORECAST_MEASURES",
    "AggregateDemand",
    "CareFlowConfig",
    "CareFlowData",
    "CareFlowModel",
    "Diagnostics",
    "Levers",
    "check_convergence",
    "default_mix",
    "kpi_band_probabilities",
    "summarise_draws",
]
