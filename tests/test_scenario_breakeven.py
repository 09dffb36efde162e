"""The MTFP's answers: the Contract Sum (or savings) that breaks even, and how
likely breakeven is under the stated Contract Sum."""

import numpy as np
import pytest

from sctforecast import ConfigError
from sctforecast.constants import interval_bounds
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.money import to_pence
from sctforecast.mtfp import BREAKEVEN_COLUMNS, Scenario, project

LEDGER, PROFILE = load_outturn(), sandwell_profile()
DEFAULT = Scenario.builtin()
STEADY = DEFAULT.override(
    {
        "placements": {"volume_growth_sd": 0.0, "price_sd": 0.0},
        "savings": [{"name": "Cost Saving Programme 2024/25", "delivery_probability": 1.0}],
    }
)


def run(s, **kw):
    return project(LEDGER, s, profile=PROFILE, random_seed=5, **kw)


@pytest.fixture(scope="module")
def p():
    return run(DEFAULT, draws=3000)


def test_columns_are_pinned(p):
    assert BREAKEVEN_COLUMNS == (
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
    b = p.breakeven()
    assert list(b.columns) == list(BREAKEVEN_COLUMNS)
    assert list(b["financial_year"]) == p.years


def test_the_baseline_row_is_the_outturn(p):
    """004 Section (e): 74,475,000 Contract Sum and a 4,253,670 deficit: 78,728,670 would
    have broken even in 2023/24; clearing the 11,230,962 closing deficit needed 85,705,962."""
    r = p.breakeven().iloc[0]
    assert r["contract_sum_pence"] == 74_475_000_00
    assert (
        r["contract_sum_needed_mean_pence"] == r["contract_sum_needed_upper_pence"] == 78_728_670_00
    )
    assert r["savings_needed_mean_pence"] == 4_253_670_00
    assert r["contract_sum_to_clear_mean_pence"] == 85_705_962_00
    assert r["p_breakeven"] == 0.0


def test_every_column_is_what_the_docs_say_on_the_draws(p):
    b = p.breakeven(ci_prob=0.8).set_index("financial_year")
    lo, hi = interval_bounds(0.8)
    for y in p.years:
        c = p.line("contract_sum", y)
        d = p.line("in_year_deficit", y)
        opening = p.line("opening_cumulative_deficit", y)
        r = b.loc[y]
        assert (c == r["contract_sum_pence"]).all()
        assert r["p_breakeven"] == p.probability_of_breakeven(y)
        for stem, values in (
            ("contract_sum_needed", c + d),
            ("savings_needed", np.maximum(d, 0)),
            ("contract_sum_to_clear", c + d + opening),
        ):
            q = np.quantile(values.astype(float), [lo, hi])
            assert r[f"{stem}_mean_pence"] == to_pence(values.mean() / 100)
            assert r[f"{stem}_lower_pence"] == to_pence(q[0] / 100)
            assert r[f"{stem}_upper_pence"] == to_pence(q[1] / 100)
        assert r["ci_prob"] == 0.8
    # a narrower interval for a smaller probability
    b5 = p.breakeven(ci_prob=0.5).set_index("financial_year")
    w = lambda t: t["contract_sum_needed_upper_pence"] - t["contract_sum_needed_lower_pence"]  # noqa: E731
    assert (w(b5.iloc[1:]) < w(b.iloc[1:])).all()
    with pytest.raises(ConfigError, match="ci_prob must be between 0 and 1"):
        p.breakeven(ci_prob=1.5)


def test_the_needed_contract_sum_does_break_even():
    """Setting the 2025/26 Contract Sum to the figure needed makes that year's in-year
    deficit zero; the contract sum 'to clear' makes its closing cumulative deficit zero."""
    one = run(STEADY)
    assert one.n_draws == 1
    r = one.breakeven().set_index("financial_year").loc["2025/26"]
    needed = r["contract_sum_needed_mean_pence"]
    fixed = run(STEADY.override({"contract_sum": {"amounts": {"2025/26": f"{needed / 100:.2f}"}}}))
    assert fixed.line("in_year_deficit", "2025/26")[0] == 0
    clear = r["contract_sum_to_clear_mean_pence"]
    cleared = run(STEADY.override({"contract_sum": {"amounts": {"2025/26": f"{clear / 100:.2f}"}}}))
    assert cleared.line("closing_cumulative_deficit", "2025/26")[0] == 0
    # and the savings needed, delivered in that year only, break even too
    s = r["savings_needed_mean_pence"]
    saved = run(
        STEADY.override(
            {
                "savings": [
                    {
                        "name": "More",
                        "amount": f"{s / 100:.2f}",
                        "first_year": "2025/26",
                        "recurring": False,
                    }
                ]
            }
        )
    )
    assert saved.line("in_year_deficit", "2025/26")[0] == 0


def test_savings_needed_are_zero_where_a_year_breaks_even():
    rich = run(STEADY.override({"contract_sum": {"uplift": 0.2}}))
    b = rich.breakeven().set_index("financial_year")
    assert b.loc["2028/29", "p_breakeven"] == 1.0
    assert b.loc["2028/29", "savings_needed_mean_pence"] == 0
    assert (
        b.loc["2028/29", "contract_sum_needed_mean_pence"] < b.loc["2028/29", "contract_sum_pence"]
    )


def test_the_text_leads_with_the_answers_and_names_the_assumption(p):
    text = p.text
    first, *years, last = text.splitlines()
    assert first.startswith("Scenario 'default' for Sandwell Children's Trust, 3,000 paths.")
    assert "Contract Sum needed to break even in-year" in first
    assert years[0].strip().startswith("2024/25: ")
    assert "against 80,800,000 agreed (004 Section (e)); P(breakeven)" in years[0]
    assert all("flat cash after 2024/25" in line for line in years[1:])
    # the cumulative deficit is stated beside the Contract Sum assumption that produces it
    assert last.startswith("With the stated Contract Sums (in 2028/29: 80,800,000 flat cash")
    assert "cumulative deficit at 31 March 2029" in last
    assert text.index("break even") < text.index("cumulative deficit at 31 March")
