"""The run folder: an HTML report, the workbook, charts as PNG, data as CSV."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import write_csv
from sctforecast.money import format_money
from sctforecast.reporting.charts import fan_chart, save_figure, waterfall
from sctforecast.reporting.workbook import PERCENT_FORMAT, write_workbook

__all__ = ["write_run_folder"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.key { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.key div { background: #f3f6fa; padding: .8rem 1rem; border-radius: 6px; }
.key .v { font-size: 1.3rem; font-weight: 600; display: block; }
.note { color: #555; font-size: .9rem; }
img { max-width: 100%; border: 1px solid #eee; }
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-images-loaded', ok);
});
"""


def _table(
    frame: pd.DataFrame,
    *,
    money_cols: tuple[str, ...] = (),
    pct_cols: tuple[str, ...] = (),
    index: bool = False,
    table_id: str = "",
) -> str:
    f = frame.copy()
    for c in money_cols:
        if c in f.columns:
            f[c] = [format_money(int(round(v * 100))) if pd.notna(v) else "" for v in f[c]]
    for c in pct_cols:
        if c in f.columns:
            f[c] = [f"{v:.0%}" for v in f[c]]
    attrs = f' id="{table_id}"' if table_id else ""
    return f.to_html(index=index, escape=True, border=0, na_rep="").replace(
        "<table", f"<table{attrs}", 1
    )


def write_run_folder(
    folder: Path,
    *,
    reconciliation,  # type: ignore[no-untyped-def]
    bridge,
    projection,
    tables: dict[str, pd.DataFrame],
    demand_table: pd.DataFrame,
    kpi: pd.DataFrame | None,
    gap: pd.DataFrame | None,
    diagnostics: str,
    cic_fan: tuple[np.ndarray, list[str], pd.Series | None],
    ppc_model,
    calibration,
    activity_assumptions: pd.DataFrame,
    inconsistencies: pd.DataFrame,
    demand_source: str,
) -> None:
    """Write every file of the run into ``folder`` (a temporary folder the caller moves into place)."""
    folder = Path(folder)
    # --- CSV -------------------------------------------------------------------------
    write_csv(tables["summary"], folder / "mtfp_summary.csv", index=True)
    write_csv(tables["intervals"], folder / "mtfp_intervals.csv")
    write_csv(tables["breakeven"], folder / "mtfp_breakeven.csv")
    write_csv(demand_table, folder / "demand_forecast.csv")
    recon = reconciliation.to_frame()
    write_csv(recon, folder / "reconciliation.csv")
    unit = calibration.table.copy()
    sources = calibration.model.unit_costs.weekly.set_index("placement_type")[
        ["price_year", "basis", "source"]
    ]
    unit = unit.join(sources, on="placement_type")
    assumptions = pd.concat(
        [
            tables["assumptions"].assign(area="MTFP scenario"),
            activity_assumptions.rename(
                columns={"placement_type": "assumption", "assumption": "value"}
            ).assign(area="placement mix 2023/24"),
            unit[["placement_type", "calibrated_weekly", "source"]]
            .rename(columns={"placement_type": "assumption", "calibrated_weekly": "value"})
            .assign(area="weekly unit cost (calibrated, 2023/24 prices)"),
        ],
        ignore_index=True,
    )[["area", "assumption", "value", "source"]]
    write_csv(assumptions, folder / "assumptions.csv")
    # --- charts ----------------------------------------------------------------------------
    closing = projection.draws["closing_cumulative_deficit"].values / 100
    save_figure(
        fan_chart(closing, projection.years, title="Cumulative deficit at 31 March"),
        folder / "cumulative_deficit_fan.png",
    )
    draws, labels, observed = cic_fan
    save_figure(
        fan_chart(
            draws,
            labels,
            title="Children in care",
            money=False,
            observed=observed,
            ylabel="children",
        ),
        folder / "children_in_care_fan.png",
    )
    save_figure(
        waterfall(
            tables["bridge"],
            title=f"In-year deficit {projection.years[0]} to {projection.years[1]} (means)",
        ),
        folder / "deficit_bridge.png",
    )
    if ppc_model is not None:
        save_figure(ppc_model.plot_ppc(), folder / "demand_ppc.png")
    else:  # the conjugate model has no MCMC; show the forecast's yearly entries instead
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4))
        ax.text(0.5, 0.5, "Placement-level model: conjugate posterior, no MCMC check", ha="center")
        ax.set_axis_off()
        save_figure(ax, folder / "demand_ppc.png")
    # --- workbook -----------------------------------------------------------------------------------
    breakeven = tables["breakeven"]
    write_workbook(
        folder / "sctforecast.xlsx",
        {
            "MTFP summary": tables["summary"],
            "MTFP intervals": tables["intervals"],
            "Breakeven": breakeven,
            "Bridge": tables["bridge"],
            "Reconciliation": recon,
            "Demand": demand_table,
            "Unit costs": unit,
            "Inputs": assumptions,
        },
        formats={
            "MTFP summary": {"*": "#,##0;(#,##0)"},
            "Breakeven": {"p_breakeven": PERCENT_FORMAT},
            "Bridge": {"amount": "#,##0;(#,##0)"},
            "Unit costs": {"default_weekly": "#,##0", "calibrated_weekly": "#,##0"},
        },
        index={"MTFP summary": True},
    )
    # --- HTML ----------------------------------------------------------------------------------------
    p = projection
    last = p.years[-1]
    c_last = p.line("closing_cumulative_deficit", last) / 100
    lo, hi = np.quantile(c_last, [0.05, 0.95])
    first_proj = p.years[1]
    pb = p.probability_of_breakeven(first_proj)
    comp = reconciliation.computed.iloc[0]
    cards = [
        (
            f"Total income {comp['financial_year']}",
            "total-income",
            format_money(comp["total_income_pence"]),
            "",
        ),
        (
            "Total expenditure",
            "total-expenditure",
            format_money(comp["total_expenditure_pence"]),
            "",
        ),
        ("In-year deficit", "in-year-deficit", format_money(comp["in_year_deficit_pence"]), ""),
        (
            "Closing cumulative deficit",
            "closing-deficit",
            format_money(comp["closing_cumulative_deficit_pence"] or 0),
            "",
        ),
        (f"P(breakeven) {first_proj}", "p-breakeven", f"{pb:.0%}", ""),
        (
            f"Cumulative deficit 31 March {int(last[:4]) + 1} (mean)",
            "final-deficit",
            format_money(int(c_last.mean() * 100)),
            f"90% interval {format_money(int(lo * 100))} to {format_money(int(hi * 100))}",
        ),
    ]
    key = (
        '<div class="key">'
        + "".join(
            f'<div>{html.escape(label)}<span class="v" id="{ident}">{value}</span>'
            + (f'<span class="note">{html.escape(note)}</span>' if note else "")
            + "</div>"
            for label, ident, value, note in cards
        )
        + "</div>"
    )
    sections = [
        f"<h1>sctforecast: children's services placements, demand and MTFP</h1>"
        f"<p class='note'>Scenario <b>{html.escape(str(getattr(p.scenario, 'name', '')))}</b>, "
        f"{p.n_draws:,} paths; demand from {html.escape(demand_source)}. Money in pounds; "
        "deficits positive, surpluses in brackets.</p>",
        key,
        "<h2 id='reconciliation'>Outturn reconciliation</h2>",
        f"<p>{html.escape(reconciliation.text)}</p>",
        _table(
            recon[
                ["financial_year", "check", "expected", "actual", "difference", "status", "source"]
            ],
            table_id="reconciliation-table",
        ),
    ]
    if bridge is not None:
        sections += [
            "<h2 id='variance'>Variance against the MTFP aim</h2>",
            f"<p>{html.escape(bridge.text)}</p>",
            _table(bridge.table[["step", "amount", "role"]]),
        ]
    sections += [
        "<h2 id='demand'>Children in care</h2>",
        "<img src='children_in_care_fan.png' alt='Fan chart of children in care'>",
        f"<p class='note'>Diagnostics: {html.escape(diagnostics)}</p>",
        _table(demand_table.round(1), table_id="demand-table"),
    ]
    if kpi is not None:
        sections += [
            "<h3>Contract KPI 7: children in care per 10,000 (green at or below 94.0, red at or above 100.0)</h3>",
            _table(kpi, pct_cols=("p_green", "p_amber", "p_red")),
        ]
    if gap is not None:
        sections += [
            "<h3>Published stock against flows</h3><p class='note'>Published stocks and flows are counted "
            "differently; the gap is estimated, not forced to zero.</p>",
            _table(gap.round(1)),
        ]
    sections += [
        "<img src='demand_ppc.png' alt='Posterior predictive check'>",
        "<h2 id='costs'>Placement unit costs</h2>",
        f"<p>{html.escape(calibration.text)}</p>",
        _table(
            unit[
                [
                    "placement_type",
                    "default_weekly",
                    "calibrated_weekly",
                    "factor",
                    "price_year",
                    "basis",
                    "source",
                ]
            ].round(2)
        ),
        "<h2 id='mtfp'>Medium term financial plan</h2>",
        "<img src='cumulative_deficit_fan.png' alt='Fan chart of the cumulative deficit'>",
        _table(
            tables["summary"]
            .map(lambda v: format_money(int(v) * 100))
            .reset_index()
            .rename(columns={"index": "line"}),
            table_id="mtfp-table",
        ),
        _table(
            breakeven,
            money_cols=("mean_in_year_deficit_pounds", "mean_closing_cumulative_deficit_pounds"),
            pct_cols=("p_breakeven",),
            table_id="breakeven-table",
        ),
        "<img src='deficit_bridge.png' alt='Waterfall of the deficit bridge'>",
        _table(
            tables["bridge"].assign(
                amount=[format_money(int(v) * 100) for v in tables["bridge"]["amount"]]
            )
        ),
        "<h2 id='assumptions'>Every assumption and its source</h2>",
        _table(assumptions, table_id="assumptions-table"),
        "<h2 id='data-quality'>Published figures that disagree</h2>",
        _table(inconsistencies),
    ]
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>sctforecast report</title>"
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
        + "\n".join(sections)
        + "</body></html>"
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
