"""The run report as one HTML page, section by section, leading with the MTFP answers.

Every section is a small function of a run outcome
(:class:`~sctforecast.reporting.outcome.RunOutcome`, such as a ``pipeline.RunResult``,
taken without importing the pipeline) and its tables
(:func:`~sctforecast.reporting.run_tables.run_tables`); money is shown in whole pounds
through :func:`sctforecast.money.format_money`, floats converted by
:func:`sctforecast.money.to_pence` only.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from sctforecast.money import format_money, to_pence
from sctforecast.periods import FinancialYear

if TYPE_CHECKING:
    from sctforecast.reporting.outcome import RunOutcome

__all__ = ["report_html", "html_table"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
table { display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.key { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.key div { background: #f3f6fa; padding: .8rem 1rem; border-radius: 6px; max-width: 22rem; }
.key .v { font-size: 1.3rem; font-weight: 600; display: block; }
.note { color: #555; font-size: .9rem; display: block; }
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


_ANSWER_LABELS = {
    "financial_year": "year",
    "contract_sum_pence": "stated Contract Sum",
    "contract_sum_assumption": "its assumption",
    "contract_sum_needed_mean_pence": "Contract Sum needed to break even (mean)",
    "contract_sum_needed_lower_pence": "lower",
    "contract_sum_needed_upper_pence": "upper",
    "p_breakeven": "P(breakeven) with the stated Contract Sum",
    "in_year_deficit_mean_pence": "in-year deficit (mean)",
    "closing_cumulative_deficit_mean_pence": "closing cumulative deficit (mean)",
    "contract_sum_to_clear_mean_pence": "Contract Sum to clear the cumulative deficit (mean)",
}  # the answers table of the page; children in care are shown with the demand


# --- building blocks -----------------------------------------------------------------------------
def _pence(values: Iterable[object]) -> list[str]:
    return [format_money(int(v)) if pd.notna(v) else "" for v in values]  # type: ignore[call-overload]


def _pounds(values: Iterable[object]) -> list[str]:
    return [format_money(to_pence(float(v))) if pd.notna(v) else "" for v in values]  # type: ignore[arg-type]


def html_table(
    frame: pd.DataFrame,
    *,
    table_id: str = "",
    index: bool = False,
    labels: dict[str, str] | None = None,
) -> str:
    """A table as HTML: money columns (``_pence``, ``_pounds``) in whole pounds,
    ``p_`` columns as percentages, text escaped; ``labels`` renames columns."""
    f = frame.copy()
    for c in f.columns:
        name = str(c)
        if name.endswith("_pence"):
            f[c] = _pence(f[c])
        elif name.endswith("_pounds"):
            f[c] = _pounds(f[c])
        elif name.startswith("p_"):
            f[c] = [f"{v:.0%}" if pd.notna(v) else "" for v in f[c]]
    names = labels or {}
    f.columns = [
        names.get(str(c), str(c).removesuffix("_pence").removesuffix("_pounds")) for c in f.columns
    ]
    attrs = f' id="{table_id}"' if table_id else ""
    return f.to_html(
        index=index, escape=True, border=0, na_rep="", float_format="{:,.1f}".format
    ).replace("<table", f"<table{attrs}", 1)


def _cards(cards: list[tuple[str, str, str, str]]) -> str:
    """Key figures: (label, element id, value, note)."""
    return (
        '<div class="key">'
        + "".join(
            f'<div>{html.escape(label)}<span class="v" id="{ident}">{html.escape(value)}</span>'
            + (f'<span class="note">{html.escape(note)}</span>' if note else "")
            + "</div>"
            for label, ident, value, note in cards
        )
        + "</div>"
    )


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


# --- sections ---------------------------------------------------------------------------------------
def _title(result: RunOutcome) -> str:
    p = result.projection
    return (
        f"<h1>{html.escape(result.profile.name)}: placements, demand and the MTFP</h1>"
        f"<p class='note'>Scenario <b>{html.escape(result.scenario.name)}</b>, {p.n_draws:,} "
        f"paths; baseline {html.escape(result.reconciliation.origin)}; demand from "
        f"{html.escape(result.demand_source)}. Money in pounds; deficits positive, surpluses "
        f"in brackets; intervals are central {result.ci_prob:.0%} intervals.</p>"
    )


def _answers(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    first = tables["answers"].iloc[0]
    y = first["financial_year"]
    ci = f"{result.ci_prob:.0%} interval"
    cards = [
        (
            f"Contract Sum needed to break even {y}",
            "contract-sum-needed",
            format_money(int(first["contract_sum_needed_mean_pence"])),
            f"{ci} {format_money(int(first['contract_sum_needed_lower_pence']))} to "
            f"{format_money(int(first['contract_sum_needed_upper_pence']))}",
        ),
        (
            f"Stated Contract Sum {y}",
            "contract-sum",
            format_money(int(first["contract_sum_pence"])),
            str(first["contract_sum_assumption"]),
        ),
        (
            f"P(breakeven) {y} with the stated Contract Sum",
            "p-breakeven",
            f"{first['p_breakeven']:.0%}",
            "",
        ),
        (
            f"In-year deficit {y} with the stated Contract Sum (mean)",
            "in-year-deficit-forecast",
            format_money(int(first["in_year_deficit_mean_pence"])),
            f"{ci} {format_money(int(first['in_year_deficit_lower_pence']))} to "
            f"{format_money(int(first['in_year_deficit_upper_pence']))}",
        ),
    ]
    return (
        "<h2 id='answers'>MTFP answers</h2>"
        + _cards(cards)
        + "<ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in result.answer_lines())
        + "</ul>"
        + html_table(
            tables["answers"][[c for c in _ANSWER_LABELS if c in tables["answers"].columns]],
            table_id="answers-table",
            labels=_ANSWER_LABELS,
        )
        + "<img src='contract_sum_needed_fan.png' alt='Fan chart of the Contract Sum needed'>"
    )


def _reconciliation(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    rec = result.reconciliation
    comp = rec.computed.iloc[-1]
    closing = comp["closing_cumulative_deficit_pence"]
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
            format_money(int(closing)) if pd.notna(closing) else "not stated",
            "",
        ),
    ]
    cols = ["financial_year", "check", "expected", "actual", "difference", "status", "source"]
    parts = [
        "<h2 id='reconciliation'>Outturn reconciliation</h2>",
        _cards(cards),
        _p(rec.text),
        html_table(tables["reconciliation"][cols], table_id="reconciliation-table"),
    ]
    if result.variance is not None:
        parts += [
            "<h3 id='variance'>Variance against the plan</h3>",
            _p(result.variance.text),
            html_table(result.variance.table[["step", "amount", "role"]]),
        ]
    return "".join(parts)


def _demand(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    year_end = FinancialYear.parse(result.years[0]).end.year
    parts = [
        "<h2 id='demand'>Children in care</h2>",
        "<img src='children_in_care_fan.png' alt='Fan chart of children in care'>",
        "<img src='children_by_category.png' alt='Children in care by placement category'>",
        f"<p class='note'>Demand from {html.escape(result.demand_source)}. "
        f"{html.escape(result.diagnostics)}</p>",
        html_table(tables["demand"].round(1), table_id="demand-table"),
    ]
    if len(tables["comparators"]):
        parts += [
            f"<h3>Children in care per 10,000 at 31 March {year_end} onwards, against comparators</h3>",
            html_table(tables["comparators"], table_id="comparators-table"),
        ]
    return "".join(parts)


def _costs(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    cols = [
        "placement_type",
        "default_weekly",
        "calibrated_weekly",
        "factor",
        "price_year",
        "basis",
        "source",
    ]
    return (
        "<h2 id='costs'>Placement unit costs</h2>"
        + _p(result.calibration.text)
        + html_table(tables["unit_costs"][cols].round(2))
    )


def _mtfp(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    summary = tables["summary"].copy()
    shown = summary.apply(lambda col: [format_money(to_pence(int(v))) for v in col])
    bridge = tables["bridge"].assign(
        amount=[format_money(to_pence(int(v))) for v in tables["bridge"]["amount"]]
    )
    return (
        "<h2 id='mtfp'>Medium term financial plan</h2>"
        "<img src='cumulative_deficit_fan.png' alt='Fan chart of the cumulative deficit'>"
        + html_table(shown.reset_index().rename(columns={"index": "line"}), table_id="mtfp-table")
        + html_table(tables["breakeven"], table_id="breakeven-table")
        + "<img src='deficit_bridge.png' alt='Waterfall of the deficit bridge'>"
        + html_table(bridge)
    )


def _assumptions(tables: dict[str, pd.DataFrame]) -> str:
    return "<h2 id='assumptions'>Every assumption and its source</h2>" + html_table(
        tables["inputs"], table_id="assumptions-table"
    )


def _notes(result: RunOutcome) -> str:
    head = "<h2 id='data-quality'>Figures that disagree</h2>"
    if result.notes is None or result.notes.empty:
        return head + _p("No disagreements between sources were given with these inputs.")
    return head + html_table(result.notes)


def report_html(result: RunOutcome, tables: dict[str, pd.DataFrame]) -> str:
    """The whole page."""
    sections = [
        _title(result),
        _answers(result, tables),
        _reconciliation(result, tables),
        _demand(result, tables),
        _costs(result, tables),
        _mtfp(result, tables),
        _assumptions(tables),
        _notes(result),
    ]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>sctforecast report: {html.escape(result.profile.name)}</title>"
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
        + "\n".join(sections)
        + "</body></html>"
    )
