"""Placement cost model: taxonomy, unit costs, activity, costing, calibration,
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
from sctforecast.costs.published import ACTIVITY_ASSUMPTIONS, sandwell_activity_2023_24
from sctforecast.costs.scenarios import Move, mix_scenario
from sctforecast.costs.taxonomy import CATEGORIES, CATEGORY_OF, PLACEMENT_TYPES, PlacementMapping
from sctforecast.costs.unit_costs import UnitCostTable

__all__ = [
    "ACTIVITY_ASSUMPTIONS",
    "CATEGORIES",
    "CATEGORY_OF",
    "PLACEMENT_TYPES",
    "Calibration",
    "Contribution",
    "CostResult",
    "HighCostPlacement",
    "Move",
    "PlacementCostModel",
    "PlacementMapping",
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
    "sandwell_activity_2023_24",
]
