"""The tables of a run, built from any run outcome alone
(:class:`~sctforecast.reporting.outcome.RunOutcome`, such as a ``pipeline.RunResult``,
taken without importing the pipeline).

Each builder returns one DataFrame; the CSV files, the workbook and the HTML
report all show these same tables.  Money stays integer pence in the CSVs
(columns ending ``_pence``) and is shown in whole pounds elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sctforecast.constants import DRAW_DIM, MONTH_DIM, TYPE_DIM, interval_bounds
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.reporting.mtfp import projection_tables

if TYPE_CHECKING:
    from sctforecast.reporting.outcome import RunOutcome

__all__ = [
    "run_tables",
    "demand_table",
    "comparator_table",
    "unit_cost_table",
    "inputs_table",
    "DEMAND_COLUMNS",
    "CIC_RATE_MEASURES",
]

DEMAND_COLUMNS = ("financial_year", "measure", "mean", "median", "lower", "upper", "ci_prob")
#: Comparator measures (``<measure>/<area>`` keys of a profile) that are children
#: in care per 10,000, compared with the forecast rate.
CIC_RATE_MEASURES = ("cic_rate_per_10k", "children_in_care_per_10k")


def run_tables(result: RunOutcome) -> dict[str, pd.DataFrame]:
    """Every table of the run, by name."""
    tables = projection_tables(result.projection)
    units = unit_cost_table(result)
    return {
        "answers": result.table,
        "summary": tables["summary"],
        "intervals": tables["intervals"],
        "breakeven": tables["breakeven"],
        "bridge": tables["bridge"],
        "reconciliation": result.reconciliation.to_frame(),
        "demand": demand_table(result),
        "comparators": comparator_table(result),
        "unit_costs": units,
        "inputs": inputs_table(result, tables["assumptions"], units),
    }


def _stats(rows: list[tuple], year: str, measure: str, v: np.ndarray, ci: float) -> None:
    lo, hi = interval_bounds(ci)
    q = np.quantile(v, [lo, 0.5, hi])
    rows.append((year, measure, float(v.mean()), float(q[1]), float(q[0]), float(q[2]), ci))


def demand_table(result: RunOutcome) -> pd.DataFrame:
    """Per projected year: children in care at 31 March (in all, by category and
    per 10,000 children), their yearly average, and entries and exits where the
    model forecasts them."""
    ds = result.demand.ds
    pop = result.profile.child_population
    rows: list[tuple] = []
    for y in result.years:
        fy = FinancialYear.parse(y)
        months = [str(m) for m in fy.months()]
        march = months[-1]
        children = ds["children"].sel({MONTH_DIM: months})
        total = children.sum(TYPE_DIM).transpose(DRAW_DIM, MONTH_DIM).values
        _stats(rows, y, "children_in_care_31_march", total[:, -1], result.ci_prob)
        _stats(rows, y, "children_in_care_average", total.mean(axis=1), result.ci_prob)
        _stats(rows, y, "rate_per_10k_31_march", total[:, -1] / pop * 1e4, result.ci_prob)
        for measure in ("entries", "exits"):
            if measure in ds and not np.isnan(ds[measure].sel({MONTH_DIM: months}).values).any():
                v = ds[measure].sel({MONTH_DIM: months}).sum(MONTH_DIM).values
                _stats(rows, y, f"{measure}_in_year", v, result.ci_prob)
        by_cat = result.demand.children("category").sel({MONTH_DIM: march})
        for cat in by_cat["category"].values:
            v = by_cat.sel(category=cat).values
            _stats(rows, y, f"children_31_march_{cat}", v, result.ci_prob)
    return pd.DataFrame(rows, columns=list(DEMAND_COLUMNS))


def comparator_table(result: RunOutcome) -> pd.DataFrame:
    """The forecast rate of children in care per 10,000 at 31 March against each
    comparator rate of the profile: the probability of being above it."""
    rates = result.children_at_year_end() / result.profile.child_population * 1e4
    rows = []
    for key, value in result.profile.comparators.items():
        measure, _, area = key.partition("/")
        if measure not in CIC_RATE_MEASURES:
            continue
        for j, y in enumerate(result.years):
            rows.append(
                {
                    "financial_year": y,
                    "comparator": area or measure,
                    "comparator_rate_per_10k": float(value),
                    "forecast_rate_per_10k_mean": float(rates[:, j].mean()),
                    "p_above": float(np.mean(rates[:, j] > value)),
                }
            )
    cols = [
        "financial_year",
        "comparator",
        "comparator_rate_per_10k",
        "forecast_rate_per_10k_mean",
        "p_above",
    ]
    return pd.DataFrame(rows, columns=cols)


def unit_cost_table(result: RunOutcome) -> pd.DataFrame:
    """Default and calibrated weekly unit costs with each default's source."""
    cal = result.calibration
    sources = cal.model.unit_costs.weekly.set_index("placement_type")[
        ["price_year", "basis", "source"]
    ]
    return cal.table.join(sources, on="placement_type")


def _profile_rows(result: RunOutcome) -> pd.DataFrame:
    p = result.profile
    rows = [
        ("authority", p.name, p.source),
        ("baseline year", str(p.baseline_year), p.source),
        ("child population aged 0-17", f"{p.child_population:,.0f}", p.source),
        ("children in care at year end", f"{p.children_in_care:,.0f}", p.source),
    ]
    rows += [
        (f"children at year end: {t}", f"{p.children[t]:,.1f}", p.source)
        for t in PLACEMENT_TYPES
        if p.children.get(t, 0)
    ]
    rows += [(f"comparator {k}", f"{v:g}", p.source) for k, v in p.comparators.items()]
    rows += [
        (str(r.placement_type), str(r.assumption), str(r.source))
        for r in p.assumptions.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["assumption", "value", "source"]).assign(
        area=f"authority profile ({p.baseline_year})"
    )


def inputs_table(
    result: RunOutcome, scenario_assumptions: pd.DataFrame, units: pd.DataFrame
) -> pd.DataFrame:
    """Every assumption of the run with its value and source: the scenario's,
    the authority profile's and the calibrated unit costs."""
    unit_rows = units[["placement_type", "calibrated_weekly", "source"]].rename(
        columns={"placement_type": "assumption", "calibrated_weekly": "value"}
    )
    unit_rows = unit_rows.assign(
        value=[f"{v:,.2f}" for v in unit_rows["value"]],
        area=f"weekly unit cost (calibrated, {result.calibration.year} prices)",
    )
    frames = [
        scenario_assumptions.assign(area=f"MTFP scenario {result.scenario.name!r}"),
        _profile_rows(result),
        unit_rows,
    ]
    return pd.concat(frames, ignore_index=True)[["area", "assumption", "value", "source"]]
