"""Several scenarios in one go: the same paths for each, one comparison table and chart."""

import numpy as np
import pandas as pd
import pytest
from test_mtfp import FixedDemand, deterministic

from sctforecast import ConfigError
from sctforecast.cli import main
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.mtfp import (
    COMPARISON_COLUMNS,
    EXPENDITURE_LINES,
    INCOME_LINES,
    Scenario,
    compare_scenarios,
    project,
    project_many,
)
from sctforecast.reporting import COMPARISON_FILES, comparison_pounds, write_comparison
from sctforecast.reporting.compare import SCENARIO_FILES

LEDGER = load_outturn()
PROFILE = sandwell_profile()
NAMES = ("default", "flat_cash", "high_demand", "savings_slippage")


def many(names=NAMES, **kw):
    kw.setdefault("random_seed", 11)
    return project_many(LEDGER, [Scenario.builtin(n) for n in names], profile=PROFILE, **kw)


def test_every_scenario_runs_on_the_same_paths():
    runs = many(draws=300)
    assert list(runs) == list(NAMES)
    assert {p.n_draws for p in runs.values()} == {300}
    base = runs["default"]
    # flat_cash states the default's Contract Sum outright: the same scenario, so the same paths
    for line in (*INCOME_LINES, *EXPENDITURE_LINES):
        np.testing.assert_array_equal(runs["flat_cash"].draws[line], base.draws[line])
    # savings_slippage changes only whether the savings land: placements stay path for path
    np.testing.assert_array_equal(
        runs["savings_slippage"].draws["placements"], base.draws["placements"]
    )
    assert not np.array_equal(runs["savings_slippage"].draws["savings"], base.draws["savings"])
    # one scenario in a batch is the projector with that seed
    alone = project(
        LEDGER, Scenario.builtin("high_demand"), profile=PROFILE, draws=300, random_seed=11
    )
    np.testing.assert_array_equal(
        runs["high_demand"].draws["closing_cumulative_deficit"],
        alone.draws["closing_cumulative_deficit"],
    )


def test_same_demand_draws_for_every_scenario_when_resampled():
    demand = FixedDemand(n=40)
    runs = many(("default", "savings_slippage"), demand=demand, draws=90)
    a, b = runs["default"], runs["savings_slippage"]
    assert a.n_draws == b.n_draws == 90
    np.testing.assert_array_equal(a.draws["placements"], b.draws["placements"])
    np.testing.assert_array_equal(a.draws["staffing"], b.draws["staffing"])


def test_a_generator_seed_gives_one_seed_to_all():
    runs = many(("default", "flat_cash"), draws=50, random_seed=np.random.default_rng(3))
    np.testing.assert_array_equal(
        runs["default"].draws["in_year_deficit"], runs["flat_cash"].draws["in_year_deficit"]
    )
    other = many(("default",), draws=50, random_seed=np.random.default_rng(4))
    assert not np.array_equal(
        other["default"].draws["in_year_deficit"], runs["default"].draws["in_year_deficit"]
    )


def test_default_paths_follow_the_most_uncertain_scenario():
    fixed = deterministic().override({}, name="fixed")
    assert not fixed.uncertain
    assert project_many(LEDGER, [fixed], profile=PROFILE)["fixed"].n_draws == 1
    runs = project_many(LEDGER, [fixed, Scenario.builtin()], profile=PROFILE, random_seed=1)
    assert {p.n_draws for p in runs.values()} == {2000}


@pytest.mark.parametrize(
    ("scenarios", "message"),
    [
        ([], "non-empty list"),
        ([Scenario.builtin(), Scenario.builtin()], "two scenarios are named 'default'"),
        ([Scenario.builtin(), "flat_cash"], "is not a sctforecast.mtfp.Scenario"),
    ],
)
def test_bad_batches_are_refused(scenarios, message):
    with pytest.raises(ConfigError, match=message):
        project_many(LEDGER, scenarios, profile=PROFILE, draws=10)


def test_comparison_table_pairs_each_path_with_the_reference():
    runs = many(draws=400)
    c = compare_scenarios(runs)
    assert tuple(c.table.columns) == COMPARISON_COLUMNS
    assert c.reference == "default"
    assert len(c.table) == len(NAMES) * 6
    t = c.table.set_index(["scenario", "financial_year"])
    assert (t.loc["default", "difference_mean_pence"] == 0).all()
    assert (t.loc["flat_cash", "difference_mean_pence"] == 0).all()
    y = "2027/28"
    d = runs["high_demand"].line("in_year_deficit", y) - runs["default"].line("in_year_deficit", y)
    row = t.loc[("high_demand", y)]
    assert abs(row["difference_mean_pence"] - d.mean()) <= 1
    assert row["p_worse_than_reference"] == pytest.approx(np.mean(d > 0))
    assert (
        row["difference_lower_pence"]
        <= row["difference_mean_pence"]
        <= row["difference_upper_pence"]
    )
    # the paired interval is narrower than the spread of either scenario alone
    width = row["difference_upper_pence"] - row["difference_lower_pence"]
    assert width < row["in_year_deficit_upper_pence"] - row["in_year_deficit_lower_pence"]
    be = runs["high_demand"].breakeven().set_index("financial_year").loc[y]
    assert row["contract_sum_needed_mean_pence"] == be["contract_sum_needed_mean_pence"]
    assert "high_demand: 2028/29 in-year deficit" in c.text
    assert "more than default's on average (greater on 100% of the paths)" in c.text
    assert "reference 'default'" in repr(c)


def test_another_reference_and_unpaired_projections():
    runs = many(("default", "high_demand"), draws=100)
    c = compare_scenarios(runs, reference="high_demand", ci_prob=0.5)
    t = c.table.set_index(["scenario", "financial_year"])
    assert (t.loc["high_demand", "difference_mean_pence"] == 0).all()
    assert (t.loc[("default", "2028/29"), "difference_mean_pence"]) < 0
    assert (c.table["ci_prob"] == 0.5).all()
    with pytest.raises(ConfigError, match="reference 'nope' is not one of"):
        compare_scenarios(runs, reference="nope")
    with pytest.raises(ConfigError, match="at least one projection"):
        compare_scenarios({})
    other = project(LEDGER, Scenario.builtin(), profile=PROFILE, draws=50, random_seed=1)
    c = compare_scenarios({"default": runs["default"], "fewer": other})
    assert c.table.loc[c.table["scenario"] == "fewer", "difference_mean_pence"].isna().all()


def test_write_comparison_files(tmp_path):
    c = compare_scenarios(many(("default", "high_demand"), draws=100))
    out = write_comparison(c, tmp_path / "cmp")
    assert sorted(p.name for p in out.iterdir()) == sorted([*COMPARISON_FILES, "scenarios"])
    for name in ("default", "high_demand"):
        assert sorted(p.name for p in (out / "scenarios" / name).iterdir()) == sorted(
            SCENARIO_FILES
        )
    csv = pd.read_csv(out / "scenario_comparison.csv")
    assert list(csv.columns) == list(comparison_pounds(c).columns)
    assert "in_year_deficit_mean_pounds" in csv.columns and not any(
        col.endswith("_pence") for col in csv.columns
    )
    row = c.table.iloc[-1]
    assert csv["in_year_deficit_mean_pounds"].iloc[-1] == row["in_year_deficit_mean_pence"] / 100
    assert (out / "scenario_comparison.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_compares_several_scenarios(tmp_path, capsys):
    out = tmp_path / "batch"
    args = ["project", "default", "high_demand", "savings_slippage", "--draws", "200"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 scenarios" in printed and "the same 200 paths" in printed
    assert "difference from default" in printed
    assert (out / "scenario_comparison.csv").exists()
    assert not (out / "mtfp.xlsx").exists()
    assert main(["project", "default", "--draws", "200", "--out", str(tmp_path / "one")]) == 0
    assert (tmp_path / "one" / "mtfp.xlsx").exists()  # one scenario: today's output
    assert not (tmp_path / "one" / "scenario_comparison.csv").exists()


def test_command_line_refuses_scenarios_on_different_ledgers(tmp_path, capsys):
    own = tmp_path / "own.toml"
    own.write_text('name = "own"\ninherits = "default"\n[baseline]\nledger = "my_ledger.csv"\n')
    code = main(["project", "default", str(own), "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert "different baseline ledgers" in err and "pass --ledger" in err
    assert (
        main(["project", "default", "high_demand", "--sheet", "S", "--out", str(tmp_path / "y")])
        == 2
    )
    assert "--sheet needs --ledger" in capsys.readouterr().err


def test_comparison_csv_is_formula_safe(tmp_path):
    s = Scenario.builtin().override({}, name="=HYPERLINK(1)")
    c = compare_scenarios(project_many(LEDGER, [s], profile=PROFILE, draws=20, random_seed=1))
    out = write_comparison(c, tmp_path / "cmp")
    text = (out / "scenario_comparison.csv").read_text()
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text
    assert (out / "scenarios" / "HYPERLINK_1").is_dir()
