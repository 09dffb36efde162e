"""Medium term financial plan: scenarios, projection, answers."""

from sctforecast.mtfp.outputs import OUTPUT_FILES, projection_tables, write_projection
from sctforecast.mtfp.project import DemandDraws, baseline_lines, project
from sctforecast.mtfp.result import (
    EXPENDITURE_LINES,
    INCOME_LINES,
    SUMMARY_COLUMNS,
    TOTAL_LINES,
    MTFPProjection,
)
from sctforecast.mtfp.scenario import (
    BUILTIN_SCENARIOS,
    Pressure,
    SavingsItem,
    Scenario,
    ThirdPartyItem,
)

__all__ = [
    "OUTPUT_FILES",
    "projection_tables",
    "write_projection",
    "BUILTIN_SCENARIOS",
    "DemandDraws",
    "EXPENDITURE_LINES",
    "INCOME_LINES",
    "MTFPProjection",
    "Pressure",
    "SUMMARY_COLUMNS",
    "SavingsItem",
    "Scenario",
    "TOTAL_LINES",
    "ThirdPartyItem",
    "baseline_lines",
    "project",
]
