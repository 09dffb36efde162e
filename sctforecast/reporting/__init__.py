"""Workbooks, charts and reports."""

from sctforecast.reporting.charts import fan_chart, save_figure, waterfall
from sctforecast.reporting.workbook import MONEY_FORMAT, write_workbook

__all__ = ["MONEY_FORMAT", "fan_chart", "save_figure", "waterfall", "write_workbook"]
