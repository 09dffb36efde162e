"""Write a projection to a folder: CSV tables, an Excel workbook and PNG charts.

The folder is built beside its destination and moved into place only when
complete: an error never leaves half a workbook or half a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from sctforecast._io import atomic_directory, write_csv
from sctforecast.mtfp.result import MTFPProjection
from sctforecast.reporting.charts import fan_chart, save_figure, waterfall
from sctforecast.reporting.workbook import PERCENT_FORMAT, write_workbook

__all__ = ["projection_tables", "write_projection", "OUTPUT_FILES"]

OUTPUT_FILES = (
    "mtfp_summary.csv",
    "mtfp_intervals.csv",
    "mtfp_breakeven.csv",
    "mtfp_assumptions.csv",
    "mtfp.xlsx",
    "cumulative_deficit_fan.png",
    "deficit_bridge.png",
)


def projection_tables(p: MTFPProjection) -> dict[str, pd.DataFrame]:
    """The tables of a projection, money in pounds."""
    means = p.footed_means()
    means.index.name = "line"
    intervals = p.summary()
    for c in ("mean", "median", "lower", "upper"):
        intervals[f"{c}_pounds"] = intervals.pop(f"{c}_pence") / 100
    years = p.years
    breakeven = pd.DataFrame(
        {
            "financial_year": years,
            "p_breakeven": [p.probability_of_breakeven(y) for y in years],
            "mean_in_year_deficit_pounds": [
                float(p.line("in_year_deficit", y).mean()) / 100 for y in years
            ],
            "mean_closing_cumulative_deficit_pounds": [
                float(p.line("closing_cumulative_deficit", y).mean()) / 100 for y in years
            ],
        }
    )
    bridge = p.bridge_years(years[0], years[1])
    assumptions = p.scenario.assumptions()  # type: ignore[attr-defined]
    return {
        "summary": means,
        "intervals": intervals,
        "breakeven": breakeven,
        "bridge": bridge,
        "assumptions": assumptions,
    }


def write_projection(p: MTFPProjection, out_dir: str | os.PathLike[str]) -> Path:
    """Write :data:`OUTPUT_FILES` into ``out_dir`` atomically; returns the folder."""
    tables = projection_tables(p)
    with atomic_directory(out_dir) as tmp:
        write_csv(tables["summary"], tmp / "mtfp_summary.csv", index=True)
        write_csv(tables["intervals"], tmp / "mtfp_intervals.csv")
        write_csv(tables["breakeven"], tmp / "mtfp_breakeven.csv")
        write_csv(tables["assumptions"], tmp / "mtfp_assumptions.csv")
        write_workbook(
            tmp / "mtfp.xlsx",
            {
                "Summary": tables["summary"],
                "Intervals": tables["intervals"],
                "Breakeven": tables["breakeven"],
                "Bridge": tables["bridge"],
                "Inputs": tables["assumptions"],
            },
            formats={
                "Summary": {"*": "#,##0;(#,##0)"},
                "Breakeven": {"p_breakeven": PERCENT_FORMAT},
                "Bridge": {"amount": "#,##0;(#,##0)"},
            },
            index={"Summary": True},
        )
        closing = p.draws["closing_cumulative_deficit"].values / 100
        ax = fan_chart(closing, p.years, title=f"Cumulative deficit at 31 March: {p.scenario.name}")  # type: ignore[attr-defined]
        save_figure(ax, tmp / "cumulative_deficit_fan.png")
        ax = waterfall(
            tables["bridge"], title=f"In-year deficit {p.years[0]} to {p.years[1]} (means)"
        )
        save_figure(ax, tmp / "deficit_bridge.png")
    return Path(out_dir)
