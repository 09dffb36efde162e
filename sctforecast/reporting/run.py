"""The run folder, written from any run outcome alone
(:class:`~sctforecast.reporting.outcome.RunOutcome`, such as a ``pipeline.RunResult``,
taken without importing the pipeline): the HTML report, the workbook, charts as PNG
and the tables as CSV.

The folder is built beside its destination and moved into place when complete
(:func:`sctforecast._io.atomic_directory`): an error never leaves half a folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sctforecast._io import atomic_directory, atomic_file, write_csv
from sctforecast.constants import MONTH_DIM, TYPE_DIM
from sctforecast.periods import FinancialYear
from sctforecast.reporting.charts import category_chart, fan_chart, save_figure, waterfall
from sctforecast.reporting.html import report_html
from sctforecast.reporting.run_tables import run_tables
from sctforecast.reporting.workbook import MONEY_FORMAT, PERCENT_FORMAT, write_workbook

if TYPE_CHECKING:
    from sctforecast.reporting.outcome import RunOutcome

__all__ = ["write_run", "RUN_OUTPUT_FILES", "CSV_FILES", "CHART_FILES", "WORKBOOK_SHEETS"]

#: CSV file -> table of :func:`~sctforecast.reporting.run_tables.run_tables`.
CSV_FILES = {
    "mtfp_answers.csv": "answers",
    "mtfp_summary.csv": "summary",
    "mtfp_intervals.csv": "intervals",
    "mtfp_breakeven.csv": "breakeven",
    "demand_forecast.csv": "demand",
    "rate_comparators.csv": "comparators",
    "reconciliation.csv": "reconciliation",
    "unit_costs.csv": "unit_costs",
    "assumptions.csv": "inputs",
}
CHART_FILES = (
    "contract_sum_needed_fan.png",
    "children_in_care_fan.png",
    "children_by_category.png",
    "cumulative_deficit_fan.png",
    "deficit_bridge.png",
)
#: Workbook sheet -> table.
WORKBOOK_SHEETS = {
    "MTFP answers": "answers",
    "MTFP summary": "summary",
    "MTFP intervals": "intervals",
    "Breakeven": "breakeven",
    "Bridge": "bridge",
    "Reconciliation": "reconciliation",
    "Demand": "demand",
    "Rate comparators": "comparators",
    "Unit costs": "unit_costs",
    "Inputs": "inputs",
}
RUN_OUTPUT_FILES = ("report.html", "sctforecast.xlsx", *CHART_FILES, *CSV_FILES)


def write_run(result: RunOutcome, out: str | os.PathLike[str]) -> Path:
    """Write :data:`RUN_OUTPUT_FILES` for ``result`` into ``out`` atomically."""
    tables = run_tables(result)
    with atomic_directory(out) as folder:
        write_csvs(tables, folder)
        write_charts(result, tables, folder)
        write_run_workbook(tables, folder / "sctforecast.xlsx")
        with atomic_file(folder / "report.html") as tmp:
            tmp.write_text(report_html(result, tables), encoding="utf-8")
    return Path(out)


def write_csvs(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """One CSV per table of :data:`CSV_FILES` (money in pence where a column says so)."""
    for name, key in CSV_FILES.items():
        write_csv(tables[key], folder / name, index=key == "summary")


# --- charts --------------------------------------------------------------------------------------
def write_charts(result: RunOutcome, tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Every chart of :data:`CHART_FILES`."""
    save_figure(contract_sum_chart(result), folder / "contract_sum_needed_fan.png")
    save_figure(children_chart(result), folder / "children_in_care_fan.png")
    summary = result.demand.summary(level="category", ci_prob=result.ci_prob)
    save_figure(
        category_chart(summary, title="Children in care by placement category (month ends)"),
        folder / "children_by_category.png",
    )
    closing = result.projection.draws["closing_cumulative_deficit"].values / 100
    save_figure(
        fan_chart(closing, result.projection.years, title="Cumulative deficit at 31 March"),
        folder / "cumulative_deficit_fan.png",
    )
    years = result.projection.years
    save_figure(
        waterfall(tables["bridge"], title=f"In-year deficit {years[0]} to {years[1]} (means)"),
        folder / "deficit_bridge.png",
    )


def contract_sum_chart(result: RunOutcome):  # type: ignore[no-untyped-def]
    """Fan of the Contract Sum needed to break even, with the stated Contract Sums."""
    p = result.projection
    need = np.stack(
        [(p.line("contract_sum", y) + p.line("in_year_deficit", y)) / 100 for y in result.years],
        axis=1,
    )
    stated = pd.Series(
        [float(v) / 100 for v in result.answers["contract_sum_pence"]], index=result.years
    )
    return fan_chart(
        need,
        result.years,
        title="Contract Sum needed to break even",
        observed=stated,
        observed_label="stated Contract Sum",
    )


def children_chart(result: RunOutcome):  # type: ignore[no-untyped-def]
    """Children in care at 31 March: observed, then the forecast draws."""
    history = result.history[[str(m).endswith("-03") for m in result.history.index]]
    future = [f"{FinancialYear.parse(y).end.year}-03" for y in result.years]
    labels = [*history.index, *future]
    draws = result.demand.ds["children"].sum(TYPE_DIM).sel({MONTH_DIM: future}).values
    known = np.repeat(history.to_numpy(dtype=float)[None, :], draws.shape[0], axis=0)
    return fan_chart(
        np.concatenate([known, draws], axis=1),
        [f"Mar {m[:4]}" for m in labels],
        title=f"Children in care at 31 March: {result.profile.name}",
        money=False,
        observed=pd.Series(history.to_numpy(), index=[f"Mar {m[:4]}" for m in history.index]),
        observed_label="observed",
        ylabel="children",
    )


# --- workbook ---------------------------------------------------------------------------------------
def _pounds(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns ``x_pence`` shown as ``x_pounds`` (whole pounds by the money format)."""
    out = frame.copy()
    for c in [c for c in out.columns if str(c).endswith("_pence")]:
        out[c[: -len("_pence")] + "_pounds"] = out.pop(c).astype(float) / 100
    return out


def write_run_workbook(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """The workbook: :data:`WORKBOOK_SHEETS`, money as numbers with a money format."""
    sheets = {sheet: _pounds(tables[key]) for sheet, key in WORKBOOK_SHEETS.items()}
    return write_workbook(
        path,
        sheets,
        formats={
            "MTFP answers": {"p_breakeven": PERCENT_FORMAT},
            "MTFP summary": {"*": MONEY_FORMAT},
            "Breakeven": {"p_breakeven": PERCENT_FORMAT},
            "Bridge": {"amount": MONEY_FORMAT},
            "Rate comparators": {"p_above": PERCENT_FORMAT},
            "Unit costs": {"default_weekly": "#,##0", "calibrated_weekly": "#,##0"},
        },
        index={"MTFP summary": True},
    )
