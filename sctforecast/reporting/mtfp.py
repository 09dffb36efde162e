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

__all__ = ["breakeven_pounds", "projection_tables", "write_projection", "OUTPUT_FILES"]

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
    breakeven = breakeven_pounds(p)
    bridge = p.bridge_years(years[0], years[1])
    assumptions = p.scenario.assumptions()  # type: ignore[attr-defined]
    return {
        "summary": means,
        "intervals": intervals,
        "breakeven": breakeven,
        "bridge": bridge,
        "assumptions": assumptions,
    }


def breakeven_pounds(p: MTFPProjection) -> pd.DataFrame:
    """:meth:`MTFPProjection.breakeven` with money in pounds, P(breakeven) second,
    and the mean in-year and closing cumulative deficits beside it."""
    b = p.breakeven()
    out = pd.DataFrame(
        {
            "financial_year": b["financial_year"],
            "p_breakeven": b["p_breakeven"],
            "contract_sum_pounds": b["contract_sum_pence"] / 100,
            "contract_sum_assumption": b["contract_sum_assumption"],
        }
    )
    for stem in ("contract_sum_needed", "savings_needed", "contract_sum_to_clear"):
        for stat in ("mean", "lower", "upper"):
            out[f"{stem}_{stat}_pounds"] = b[f"{stem}_{stat}_pence"] / 100
    out["ci_prob"] = b["ci_prob"]
    out["mean_in_year_deficit_pounds"] = [
        float(p.line("in_year_deficit", y).mean()) / 100 for y in p.years
    ]
    out["mean_closing_cumulative_deficit_pounds"] = [
        float(p.line("closing_cumulative_deficit", y).mean()) / 100 for y in p.years
    ]
    return out


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
                "Breakeven": tables["breakeven"],
                "Summary": tables["summary"],
                "Intervals": tables["intervals"],
                "Bridge": tables["bridge"],
                "Inputs": tables["assumptions"],
            },
            formats={
                "Summary": {"*": "#,##0;(#,##0)"},
                "Breakeven": {"p_breakeven": PERCENT_FORMAT, "ci_prob": PERCENT_FORMAT},
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
