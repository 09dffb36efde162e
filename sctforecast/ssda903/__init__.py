"""SSDA903 returns: read, validate, derive events and counts; synthetic returns."""

from sctforecast.ssda903.codes import PlacementMapping
from sctforecast.ssda903.derive import care_events, monthly_counts, placement_days
from sctforecast.ssda903.reader import (
    AGE_BANDS,
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    SSDA903Data,
    read_ssda903,
)
from sctforecast.ssda903.synthetic import SyntheticTruth, default_truth, synthetic_ssda903
from sctforecast.ssda903.writer import messy_ssda903, write_ssda903

__all__ = [
    "AGE_BANDS",
    "EPISODE_COLUMNS",
    "HEADER_COLUMNS",
    "PlacementMapping",
    "SSDA903Data",
    "SyntheticTruth",
    "care_events",
    "default_truth",
    "messy_ssda903",
    "monthly_counts",
    "placement_days",
    "read_ssda903",
    "synthetic_ssda903",
    "write_ssda903",
]
