"""Workbooks, charts and reports: the top floor, written from results alone."""

from sctforecast.reporting.charts import fan_chart, save_figure, waterfall
from sctforecast.reporting.mtfp import OUTPUT_FILES, projection_tables, write_projection
from sctforecast.reporting.run import RUN_OUTPUT_FILES, write_run
from sctforecast.reporting.workbook import MONEY_FORMAT, write_workbook

__all__ = [
    "MONEY_FORMAT",
    "OUTPUT_FILES",
    "RUN_OUTPUT_FILES",
    "fan_chart",
    "projection_tables",
    "save_figure",
    "waterfall",
    "write_projection",
    "write_run",
    "write_workbook",
]
