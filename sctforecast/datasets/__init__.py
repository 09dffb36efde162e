"""Embedded published figures and synthetic data generators."""

from sctforecast.datasets._published import (
    SandwellData,
    data_path,
    known_inconsistencies,
    load_care_flows,
    load_children_in_care,
    load_outturn,
    load_placement_mix,
    load_sandwell,
)

__all__ = [
    "SandwellData",
    "data_path",
    "known_inconsistencies",
    "load_care_flows",
    "load_children_in_care",
    "load_outturn",
    "load_placement_mix",
    "load_sandwell",
]
