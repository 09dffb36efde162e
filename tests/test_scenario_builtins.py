"""Each built-in scenario's effect on the tables, pinned (figures: 004 Section (e))."""

import numpy as np
import pytest

from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.money import to_pence
from sctforecast.mtfp import BUILTIN_SCENARIOS, Scenario, project
from sctforecast.placements import PLACEMENT_TYPES

LEDGER, PROFILE = load_outturn(), sandwell_profile()
STEADY = {"placements": {"volume_growth_sd": 0.0, "price_sd": 0.0}}


def run(name, draws=2000, changes=None):
    s = Scenario.builtin(name)
    if changes:
        s = s.override(changes)
    return project(LEDGER, s, profile=PROFILE, draws=draws, random_seed=11)


@pytest.fixture(scope="module")
def runs():
    return {name: run(name) for name in BUILTIN_SCENARIOS}


def test_the_built_ins_are_listed():
    assert BUILTIN_SCENARIOS == (
        "default",
        "flat_cash",
        "inflation_funded",
        "high_demand",
        "savings_slippage",
    )


@pytest.mark.parametrize("name", BUILTIN_SCENARIOS)
def test_every_built_in_keeps_the_outturn_and_the_2024_25_settlement(runs, name):
    """004 Section (e): the 2023/24 outturn, and the 2024/25 Contract Sum of 80,800,000
    with 2,500,000 of savings in every built-in scenario."""
    p = runs[name]
    assert (p.line("in_year_deficit", "2023/24") == 4_253_670_00).all()
    assert (p.line("closing_cumulative_deficit", "2023/24") == 11_230_962_00).all()
    assert (p.line("contract_sum", "2024/25") == 80_800_000_00).all()
    (item,) = p.scenario.savings
    assert item.amount_pence == 2_500_000_00
    assert p.contract_sum_assumptions[1] == "80,800,000 agreed (004 Section (e))"


def test_flat_cash_holds_the_contract_sum_and_matches_the_default(runs):
    p, d = runs["flat_cash"], runs["default"]
    for y in p.years[1:]:
        assert (p.line("contract_sum", y) == 80_800_000_00).all()
    for k in p.draws.data_vars:
        np.testing.assert_array_equal(p.draws[k].values, d.draws[k].values)
    assert all("flat cash after 2024/25" in t for t in p.contract_sum_assumptions[2:])


def test_inflation_funded_uplifts_by_the_scenarios_cost_inflation(runs):
    p, d = runs["inflation_funded"], runs["default"]
    s = p.scenario
    # the run-rate mix's placement price inflation, from the calibrated unit costs
    weekly = p.calibration.model.unit_costs.weekly_costs(s.years)
    kids = np.array([PROFILE.children.get(t, 0.0) for t in PLACEMENT_TYPES])
    mix_cost = kids @ weekly.to_numpy()
    weights = np.array([32_434_958, 48_565_330, 7_931_600])  # staffing, placements, overheads
    contract = 80_800_000.0
    for t, y in enumerate(s.years[2:], start=2):
        placement_rate = mix_cost[t] / mix_cost[t - 1] - 1
        rate = weights @ [0.03, placement_rate, 0.03] / weights.sum()
        contract *= 1 + rate
        assert (p.line("contract_sum", y) == to_pence(contract)).all()
    # 2025/26: residential +9.2% and foster +3.55% weigh on the placements part
    c25 = p.line("contract_sum", "2025/26")[0] / 100
    assert c25 == pytest.approx(84_518_058, abs=1)
    # same costs, more income: the deficit falls by the extra Contract Sum on every path
    for y in p.years[1:]:
        extra = p.line("contract_sum", y) - d.line("contract_sum", y)
        np.testing.assert_array_equal(
            d.line("in_year_deficit", y) - p.line("in_year_deficit", y), extra
        )
    assert "cost inflation" in p.contract_sum_assumptions[2]


def test_high_demand_placements_exceed_the_default_by_5_percent_a_year(runs):
    steady = {n: run(n, draws=1, changes=STEADY) for n in ("default", "high_demand")}
    for k, y in enumerate(steady["default"].years[1:], start=1):
        ratio = (
            steady["high_demand"].line("placements", y)[0]
            / steady["default"].line("placements", y)[0]
        )
        assert ratio == pytest.approx(1.05**k, rel=1e-9)
        # more children in care, more social workers
        assert (
            steady["high_demand"].line("staffing", y)[0] > steady["default"].line("staffing", y)[0]
        )
    hd, d = runs["high_demand"], runs["default"]
    for k, y in enumerate(d.years[1:], start=1):
        ratio = hd.line("placements", y).mean() / d.line("placements", y).mean()
        assert ratio == pytest.approx(1.05**k, rel=0.01)


def test_savings_slippage_delivers_less_in_expectation(runs):
    s, d = runs["savings_slippage"], runs["default"]
    assert s.scenario.savings[0].delivery_probability == 0.5
    for y in d.years[1:]:
        assert s.line("savings", y).mean() == pytest.approx(-1_250_000_00, rel=0.05)
        assert d.line("savings", y).mean() == pytest.approx(-2_000_000_00, rel=0.03)
        np.testing.assert_array_equal(s.line("placements", y), d.line("placements", y))
    assert (
        s.line("closing_cumulative_deficit", "2028/29").mean()
        > d.line("closing_cumulative_deficit", "2028/29").mean()
    )
