"""Placement cost model: unit costs, activity, costing, calibration,
variance bridges and mix scenarios."""

from sctforecast.costs.activity import (
    activity_from_counts,
    activity_from_frame,
    activity_from_placements,
    as_activity,
    move_children,
)
from sctforecast.costs.bridge import PriceVolumeMix, price_volume_mix
from sctforecast.costs.calibrate import Calibration, calibrate
from sctforecast.costs.kernel import cost_kernel
from sctforecast.costs.model import Contribution, CostResult, HighCostPlacement, PlacementCostModel
from sctforecast.costs.scenarios import Move, mix_scenario
from sctforecast.costs.unit_costs import UnitCostTable
from sctforecast.placements import CATEGORIES, CATEGORY_OF, PLACEMENT_TYPES

__all__ = [
    "CATEGORIES",
    "CATEGORY_OF",
    "PLACEMENT_TYPES",
    "Calibration",
    "Contribution",
    "CostResult",
    "HighCostPlacement",
    "Move",
    "PlacementCostModel",
    "PriceVolumeMix",
    "UnitCostTable",
    "activity_from_counts",
    "activity_from_frame",
    "activity_from_placements",
    "as_activity",
    "calibrate",
    "cost_kernel",
    "mix_scenario",
    "move_children",
    "price_volume_mix",
]
