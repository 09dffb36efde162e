"""Workbooks, charts and reports, written from results alone; the pipeline above calls them."""

from sctforecast.reporting.charts import fan_chart, save_figure, scenarios_chart, waterfall
from sctforecast.reporting.compare import COMPARISON_FILES, comparison_pounds, write_comparison
from sctforecast.reporting.mtfp import OUTPUT_FILES, projection_tables, write_projection
from sctforecast.reporting.outcome import RunOutcome
from sctforecast.reporting.run import RUN_OUTPUT_FILES, write_run
from sctforecast.reporting.workbook import MONEY_FORMAT, write_workbook

__all__ = [
    "COMPARISON_FILES",
    "MONEY_FORMAT",
    "OUTPUT_FILES",
    "RUN_OUTPUT_FILES",
    "RunOutcome",
    "comparison_pounds",
    "fan_chart",
    "projection_tables",
    "save_figure",
    "scenarios_chart",
    "waterfall",
    "write_comparison",
    "write_projection",
    "write_run",
    "write_workbook",
]
