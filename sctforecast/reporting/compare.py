"""Write a comparison of scenarios to a folder: one table, one chart, and each
scenario's own tables.

The folder is built beside its destination and moved into place only when
complete.  The workbook and the per-scenario charts of a single projection
(:func:`~sctforecast.reporting.write_projection`) are not written here: a
batch is for comparing, and writing them for every scenario would cost more
than projecting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from sctforecast._io import atomic_directory, write_csv
from sctforecast.mtfp.many import ScenarioComparison
from sctforecast.reporting.charts import save_figure, scenarios_chart
from sctforecast.reporting.mtfp import breakeven_pounds

__all__ = ["COMPARISON_FILES", "SCENARIO_FILES", "comparison_pounds", "write_comparison"]

COMPARISON_FILES = ("scenario_comparison.csv", "scenario_comparison.png")
#: Written for each scenario in ``scenarios/<name>/``.
SCENARIO_FILES = ("mtfp_summary.csv", "mtfp_intervals.csv", "mtfp_breakeven.csv")


def comparison_pounds(c: ScenarioComparison) -> pd.DataFrame:
    """The comparison table with money in pounds (``*_pence`` -> ``*_pounds``)."""
    t = c.table.copy()
    money = [col for col in t.columns if col.endswith("_pence")]
    for col in money:
        t[col] = t[col].astype("Float64") / 100
    return t.rename(columns={col: col.removesuffix("_pence") + "_pounds" for col in money})


def _folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def write_comparison(c: ScenarioComparison, out_dir: str | os.PathLike[str]) -> Path:
    """Write :data:`COMPARISON_FILES`, and :data:`SCENARIO_FILES` of each
    scenario under ``scenarios/<name>/``, into ``out_dir`` atomically."""
    longest = max(c.projections.values(), key=lambda p: len(p.years))
    with atomic_directory(out_dir) as tmp:
        write_csv(comparison_pounds(c), tmp / "scenario_comparison.csv")
        ax = scenarios_chart(
            {
                n: p.draws["closing_cumulative_deficit"].values / 100
                for n, p in c.projections.items()
            },
            longest.years,
            title="Cumulative deficit at 31 March, by scenario (same paths)",
            ci_prob=c.ci_prob,
        )
        save_figure(ax, tmp / "scenario_comparison.png")
        used: set[str] = set()
        for name, p in c.projections.items():
            folder = _folder_name(name)
            while folder in used:
                folder += "_"
            used.add(folder)
            d = tmp / "scenarios" / folder
            d.mkdir(parents=True)
            means = p.footed_means()
            means.index.name = "line"
            write_csv(means, d / "mtfp_summary.csv", index=True)
            intervals = p.summary(ci_prob=c.ci_prob)
            for col in ("mean", "median", "lower", "upper"):
                intervals[f"{col}_pounds"] = intervals.pop(f"{col}_pence") / 100
            write_csv(intervals, d / "mtfp_intervals.csv")
            write_csv(breakeven_pounds(p), d / "mtfp_breakeven.csv")
    return Path(out_dir)
