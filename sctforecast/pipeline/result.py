"""What one run of the main job found: the MTFP answers first, then how they were reached."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM, TYPE_DIM, interval_bounds
from sctforecast.costs import Calibration
from sctforecast.demand import DemandForecast
from sctforecast.money import format_money
from sctforecast.mtfp import MTFPProjection, Scenario
from sctforecast.periods import FinancialYear
from sctforecast.profile import AuthorityProfile
from sctforecast.reconcile import Bridge, ReconciliationReport

__all__ = ["RunResult", "HEADLINE_COLUMNS"]

#: Columns of :attr:`RunResult.table`, one row per projected financial year.
HEADLINE_COLUMNS = (
    "financial_year",
    "contract_sum_pence",
    "contract_sum_assumption",
    "contract_sum_needed_mean_pence",
    "contract_sum_needed_lower_pence",
    "contract_sum_needed_upper_pence",
    "p_breakeven",
    "in_year_deficit_mean_pence",
    "in_year_deficit_lower_pence",
    "in_year_deficit_upper_pence",
    "closing_cumulative_deficit_mean_pence",
    "contract_sum_to_clear_mean_pence",
    "children_in_care_mean",
    "children_in_care_lower",
    "children_in_care_upper",
    "ci_prob",
)


@dataclass(frozen=True)
class RunResult:
    """Everything the main job found, from which every output is written.

    ``answers`` is :meth:`MTFPProjection.breakeven` for the projected years;
    ``history`` the observed children in care at month ends (for charts);
    ``variance`` and ``notes`` what the inputs carried to show beside the
    outturn; ``demand_reused`` whether the demand fit was a saved one
    (:func:`~sctforecast.pipeline.run` with a cache).
    """

    profile: AuthorityProfile
    scenario: Scenario
    reconciliation: ReconciliationReport
    demand: DemandForecast
    diagnostics: str
    calibration: Calibration
    projection: MTFPProjection
    answers: pd.DataFrame = field(repr=False)
    history: pd.Series = field(repr=False)
    demand_source: str = ""
    variance: Bridge | None = None
    notes: pd.DataFrame | None = field(default=None, repr=False)
    ci_prob: float = DEFAULT_CI_PROB
    demand_reused: bool = False

    # --- the numbers -------------------------------------------------------------------------
    @property
    def years(self) -> list[str]:
        """The projected financial years."""
        return [str(y) for y in self.answers["financial_year"]]

    def children_at_year_end(self) -> np.ndarray:
        """Draws of children in care at 31 March of each projected year, (draw, year)."""
        months = [f"{FinancialYear.parse(y).end.year}-03" for y in self.years]
        total = self.demand.ds["children"].sum(TYPE_DIM).sel({MONTH_DIM: months})
        return total.transpose(DRAW_DIM, MONTH_DIM).values

    @property
    def table(self) -> pd.DataFrame:
        """The headline table: per projected year, the stated Contract Sum and its
        assumption, the Contract Sum needed to break even, the probability of
        breakeven, the in-year deficit and the closing cumulative deficit under
        the stated Contract Sum, the Contract Sum that would also clear the
        cumulative deficit in that year (pence; see :mod:`sctforecast.mtfp.answers`),
        and children in care at 31 March."""
        lo, hi = interval_bounds(self.ci_prob)
        lines = self.projection.summary(ci_prob=self.ci_prob).set_index(["line", "financial_year"])
        deficit = lines.loc["in_year_deficit"].loc[self.years]
        closing = lines.loc["closing_cumulative_deficit"].loc[self.years]
        children = self.children_at_year_end()
        t = self.answers[list(HEADLINE_COLUMNS[:7])].copy()
        t["in_year_deficit_mean_pence"] = deficit["mean_pence"].to_numpy()
        t["in_year_deficit_lower_pence"] = deficit["lower_pence"].to_numpy()
        t["in_year_deficit_upper_pence"] = deficit["upper_pence"].to_numpy()
        t["closing_cumulative_deficit_mean_pence"] = closing["mean_pence"].to_numpy()
        t["contract_sum_to_clear_mean_pence"] = self.answers["contract_sum_to_clear_mean_pence"]
        t["children_in_care_mean"] = children.mean(axis=0)
        t["children_in_care_lower"] = np.quantile(children, lo, axis=0)
        t["children_in_care_upper"] = np.quantile(children, hi, axis=0)
        t["ci_prob"] = self.ci_prob
        return t[list(HEADLINE_COLUMNS)]

    # --- the words ---------------------------------------------------------------------------
    def answer_lines(self) -> list[str]:
        """The MTFP answers, one sentence per projected year and one for the
        cumulative deficit: the Contract Sum needed to break even, then the
        probability of breakeven and the deficit under the stated Contract Sum."""
        t = self.table
        ci = f"{self.ci_prob:.0%} interval"
        lines = []
        for r in t.itertuples(index=False):
            lines.append(
                f"{r.financial_year}: to break even the Contract Sum would need to be "
                f"{_money(r.contract_sum_needed_mean_pence)} ({ci} "
                f"{_money(r.contract_sum_needed_lower_pence)} to "
                f"{_money(r.contract_sum_needed_upper_pence)}). With the stated Contract Sum "
                f"{_stated(r.contract_sum_pence, r.contract_sum_assumption)} the probability "
                f"of breakeven is {r.p_breakeven:.0%} and the in-year result "
                f"{_result(r.in_year_deficit_mean_pence)} on average ({ci} "
                f"{_signed(r.in_year_deficit_lower_pence)} to "
                f"{_signed(r.in_year_deficit_upper_pence)}, deficits positive)."
            )
        last = t.iloc[-1]
        year_end = FinancialYear.parse(last["financial_year"]).end.year
        lines.append(
            f"Cumulative deficit at 31 March {year_end} with the stated Contract Sums: "
            f"{_signed(last['closing_cumulative_deficit_mean_pence'])} on average."
        )
        return lines

    @property
    def text(self) -> str:
        """A plain-English summary that leads with the MTFP answers."""
        first = self.table.iloc[0]
        ci = f"{self.ci_prob:.0%} interval"
        return "\n".join(
            [
                f"{self.profile.name}: scenario {self.scenario.name!r}, "
                f"{self.projection.n_draws:,} paths.",
                "MTFP answers:",
                *(f"- {line}" for line in self.answer_lines()),
                f"Outturn: {self.reconciliation.text.splitlines()[0]}",
                f"Demand ({self.demand_source}): {first['children_in_care_mean']:,.0f} children "
                f"in care at 31 March {FinancialYear.parse(first['financial_year']).end.year} on "
                f"average ({ci} {first['children_in_care_lower']:,.0f} to "
                f"{first['children_in_care_upper']:,.0f}), against "
                f"{self.profile.children_in_care:,.0f} at the end of {self.profile.baseline_year}. "
                f"{self.diagnostics}",
                f"Costs: {self.calibration.text}",
            ]
        )

    def write(self, out: str | os.PathLike[str]) -> Path:
        """Write the report, workbook, charts and CSVs into ``out`` atomically
        (:func:`sctforecast.reporting.run.write_run`)."""
        from sctforecast.reporting.run import write_run

        return write_run(self, out)

    def __repr__(self) -> str:
        first = self.answers.iloc[0]
        return (
            f"<RunResult {self.profile.name!r}, scenario {self.scenario.name!r}: "
            f"{self.years[0]}..{self.years[-1]}, {self.projection.n_draws:,} paths; "
            f"P(breakeven {first['financial_year']}) {first['p_breakeven']:.0%}>"
        )


def _money(pence: int) -> str:
    return format_money(int(pence), symbol=True)


def _signed(pence: int) -> str:
    """Money with a deficit positive and a surplus in brackets."""
    return format_money(int(pence), symbol=True)


def _stated(pence: int, assumption: str) -> str:
    """The stated Contract Sum with its assumption, the amount said once."""
    text = str(assumption)
    if format_money(int(pence)) in text:
        return f"({text})"
    return f"of {_money(pence)} ({text})" if text else f"of {_money(pence)}"


def _result(pence: int) -> str:
    p = int(pence)
    return f"a deficit of {_money(p)}" if p > 0 else f"a surplus of {_money(-p)}"
