"""The questions an MTFP answers: what Contract Sum (or what savings) would break
even, how likely breakeven is under the stated Contract Sum, in numbers and words.

Definitions (per path, per year, integer pence)
-----------------------------------------------
* ``contract_sum_needed``: the Contract Sum at which that year's in-year
  deficit is zero on that path, everything else as projected: the stated
  Contract Sum plus the in-year deficit.  In-year only: it does not recover
  the cumulative deficit brought forward.
* ``savings_needed``: the savings, on top of the scenario's, that make that
  year's in-year deficit zero on that path: the in-year deficit where it is
  positive, else zero (a path in surplus needs none).
* ``contract_sum_to_clear``: the Contract Sum at which that year's *closing
  cumulative deficit* is zero on that path, i.e. breakeven plus recovering the
  opening cumulative deficit (as projected with the stated Contract Sums of
  the years before) in that one year.
* ``p_breakeven``: the share of paths whose in-year deficit is zero or less
  with the scenario's stated Contract Sum.

Means and the central ``ci_prob`` interval are over the paths; the stated
Contract Sum is the same on every path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.money import format_money, to_pence

__all__ = ["BREAKEVEN_COLUMNS", "breakeven_table", "projection_text"]

#: Columns of :meth:`MTFPProjection.breakeven` (pinned by a test).
BREAKEVEN_COLUMNS = (
    "financial_year",
    "contract_sum_pence",
    "contract_sum_assumption",
    "p_breakeven",
    "contract_sum_needed_mean_pence",
    "contract_sum_needed_lower_pence",
    "contract_sum_needed_upper_pence",
    "savings_needed_mean_pence",
    "savings_needed_lower_pence",
    "savings_needed_upper_pence",
    "contract_sum_to_clear_mean_pence",
    "contract_sum_to_clear_lower_pence",
    "contract_sum_to_clear_upper_pence",
    "ci_prob",
)


def _pence(x: float) -> int:
    return int(to_pence(float(x) / 100))


def _stats(values: np.ndarray, lo: float, hi: float) -> tuple[int, int, int]:
    q = np.quantile(values.astype(np.float64), [lo, hi])
    return _pence(values.mean()), _pence(q[0]), _pence(q[1])


def breakeven_table(p: Any, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """One row per financial year: see the module docs for each column."""
    lo, hi = interval_bounds(ci_prob)
    d = p.draws
    contract = d["contract_sum"].values
    deficit = d["in_year_deficit"].values
    opening = d["opening_cumulative_deficit"].values
    texts = list(p.contract_sum_assumptions) or [""] * len(p.years)
    rows = []
    for j, y in enumerate(p.years):
        c, dj = contract[:, j], deficit[:, j]
        rows.append(
            (
                y,
                int(c[0]),
                texts[j],
                float(np.mean(dj <= 0)),
                *_stats(c + dj, lo, hi),
                *_stats(np.maximum(dj, 0), lo, hi),
                *_stats(c + dj + opening[:, j], lo, hi),
                float(ci_prob),
            )
        )
    return pd.DataFrame(rows, columns=list(BREAKEVEN_COLUMNS))


def _m(pence: int) -> str:
    return format_money(pence)


def projection_text(p: Any, ci_prob: float = DEFAULT_CI_PROB) -> str:
    """The answers first, in words; every deficit figure beside its Contract Sum assumption."""
    t = breakeven_table(p, ci_prob)
    pct = f"{ci_prob:.0%}"
    who = f" for {p.profile_name}" if p.profile_name else ""
    lines = [
        f"Scenario {getattr(p.scenario, 'name', '')!r}{who}, {p.n_draws:,} paths. "
        f"Contract Sum needed to break even in-year (mean, {pct} interval), against the "
        "scenario's stated Contract Sum:"
    ]
    for r in t.iloc[1:].itertuples(index=False):
        lines.append(
            f"  {r.financial_year}: {_m(r.contract_sum_needed_mean_pence)} "
            f"({_m(r.contract_sum_needed_lower_pence)} to {_m(r.contract_sum_needed_upper_pence)}) "
            f"against {r.contract_sum_assumption}; P(breakeven) {r.p_breakeven:.0%}; "
            f"or savings of {_m(r.savings_needed_mean_pence)} "
            f"({_m(r.savings_needed_lower_pence)} to {_m(r.savings_needed_upper_pence)}) "
            "on top of the scenario's."
        )
    last = t.iloc[-1]
    closing = p.draws["closing_cumulative_deficit"].values[:, -1]
    mean, low, high = _stats(closing, *interval_bounds(ci_prob))
    end = int(str(last["financial_year"])[:4]) + 1
    lines.append(
        f"With the stated Contract Sums (in {last['financial_year']}: "
        f"{last['contract_sum_assumption']}), the cumulative deficit at 31 March {end} is "
        f"{_m(mean)} on average ({pct} interval {_m(low)} to {_m(high)}); clearing it in "
        f"{last['financial_year']} would take a Contract Sum of "
        f"{_m(int(last['contract_sum_to_clear_mean_pence']))} on average."
    )
    return "\n".join(lines)
