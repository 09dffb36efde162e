"""Embedded published figures: Sandwell Children's Trust, the default dataset.

Nothing in the engine (costs, demand, mtfp) imports this package: the pipeline
passes the default profile and ledger in when the user gives none.
"""

from sctforecast.datasets._published import (
    SANDWELL_CARE_FLOW_ASSUMPTIONS,
    SandwellData,
    data_path,
    known_inconsistencies,
    load_care_flows,
    load_children_in_care,
    load_outturn,
    load_placement_mix,
    load_sandwell,
    sandwell_care_flows,
)
from sctforecast.datasets.sandwell import (
    ACTIVITY_ASSUMPTIONS,
    sandwell_activity_2023_24,
    sandwell_children_march_2024,
    sandwell_profile,
)

__all__ = [
    "SANDWELL_CARE_FLOW_ASSUMPTIONS",
    "ACTIVITY_ASSUMPTIONS",
    "SandwellData",
    "data_path",
    "known_inconsistencies",
    "load_care_flows",
    "load_children_in_care",
    "load_outturn",
    "load_placement_mix",
    "load_sandwell",
    "sandwell_care_flows",
    "sandwell_activity_2023_24",
    "sandwell_children_march_2024",
    "sandwell_profile",
]
