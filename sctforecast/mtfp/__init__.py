"""Medium term financial plan: scenarios, projection, answers."""

from sctforecast.mtfp.answers import BREAKEVEN_COLUMNS
from sctforecast.mtfp.baseline import baseline_lines, scenario_ledger
from sctforecast.mtfp.many import (
    COMPARISON_COLUMNS,
    ScenarioComparison,
    compare_scenarios,
    project_many,
)
from sctforecast.mtfp.project import project
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
    "BREAKEVEN_COLUMNS",
    "BUILTIN_SCENARIOS",
    "COMPARISON_COLUMNS",
    "EXPENDITURE_LINES",
    "INCOME_LINES",
    "MTFPProjection",
    "Pressure",
    "SUMMARY_COLUMNS",
    "SavingsItem",
    "Scenario",
    "ScenarioComparison",
    "TOTAL_LINES",
    "ThirdPartyItem",
    "baseline_lines",
    "compare_scenarios",
    "project",
    "project_many",
    "scenario_ledger",
]
