"""The ``forecast`` and ``backtest`` commands on SSDA903 returns."""

import warnings

import pandas as pd
import pytest

from sctforecast.cli import main
from sctforecast.demand.placement_backtest import GROUPS, METHODS, TABLE_COLUMNS
from sctforecast.demand.placement_report import FORECAST_FILES, SUMMARY_COLUMNS
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903 import synthetic_ssda903, write_ssda903


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    h, e, _ = synthetic_ssda903(years=5, initial_children=250, random_seed=4, history_years=5)
    root = tmp_path_factory.mktemp("cli") / "returns"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_ssda903(h, e, root, by_collection_year=True, folder_names="start")
    return root


def test_forecast_writes_tables_and_a_fan_chart(returns, tmp_path, capsys):
    out = tmp_path / "fc"
    code = main(["forecast", str(returns), "--months", "18", "--draws", "200", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Children in care at month ends" in printed and "total" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(FORECAST_FILES)
    by_type = pd.read_csv(out / "children_by_placement_type.csv")
    by_cat = pd.read_csv(out / "children_by_category.csv")
    assert tuple(by_type.columns) == SUMMARY_COLUMNS == tuple(by_cat.columns)
    assert set(by_type["group"]) == set(PLACEMENT_TYPES)
    assert list(dict.fromkeys(by_cat["group"])) == list(GROUPS)
    assert by_cat["month"].nunique() == 18 and by_cat["month"].iloc[0] == "2021-04"
    assert ((by_cat["lower"] <= by_cat["median"]) & (by_cat["median"] <= by_cat["upper"])).all()
    # category medians come from category draws: the total's is not the sum of bounds
    last = by_cat[by_cat["month"] == by_cat["month"].iloc[-1]].set_index("group")
    assert last.loc["total", "upper"] < last.loc[list(GROUPS[:-1]), "upper"].sum()
    assert (out / "forecast.png").read_bytes()[:4] == b"\x89PNG"


def test_forecast_options_change_the_output(returns, tmp_path):
    def run(*extra):
        out = tmp_path / "-".join(extra)
        assert main(["forecast", str(returns), "--draws", "100", "--out", str(out), *extra]) == 0
        return pd.read_csv(out / "children_by_category.csv")

    base = run("--months", "6")
    assert base["month"].nunique() == 6
    assert not base.equals(run("--months", "6", "--seed", "3"))
    assert base.equals(run("--months", "6", "--seed", "0"))
    assert not base.equals(run("--months", "6", "--draws", "60"))


def test_forecast_replaces_its_output_folder_whole(returns, tmp_path):
    out = tmp_path / "fc"
    out.mkdir()
    (out / "stale.csv").write_text("old")
    assert (
        main(["forecast", str(returns), "--months", "3", "--draws", "50", "--out", str(out)]) == 0
    )
    assert not (out / "stale.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forecast", "{returns}/2016/episodes.csv"], "needs your authority's placement mix"),
        (
            ["forecast", "{returns}/2016/episodes.csv", "--profile", "sandwell"],
            "missing column(s) period, entries, exits, children_in_care",
        ),
        (["backtest", "{returns}/2016/episodes.csv"], "A counts CSV is not backtested"),
        (["forecast", "{tmp}/missing"], "no such folder"),
        (["forecast", "{returns}", "--months", "0"], "--months 0 is outside 1 to 600"),
        (["forecast", "{returns}", "--months", "100000"], "--months 100000 is outside 1 to 600"),
        (["forecast", "{returns}", "--draws", "0"], "--draws 0 is outside 1 to 100,000"),
        (["backtest", "{returns}", "--origins", "0"], "--origins 0 is outside 1 to 100"),
        (["backtest", "{returns}", "--months", "60"], "too short for a backtest"),
        (["backtest", "{tmp}"], "found neither"),
    ],
)
def test_bad_input_exits_2_with_one_line(returns, tmp_path, capsys, args, message):
    argv = [a.format(returns=returns, tmp=tmp_path) for a in args]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    command = args[0]
    assert err.startswith(f"sctforecast {command}: error:") and message in err.splitlines()[0]
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(returns):
    assert main(["forecast", str(returns), "--months", "many"]) == 2
    assert main(["backtest", str(returns), "--every", "5"]) == 2


def test_backtest_prints_and_writes_the_scores(returns, tmp_path, capsys):
    out = tmp_path / "bt"
    code = main(
        [
            "backtest",
            str(returns),
            "--origins",
            "2",
            "--every",
            "6",
            "--draws",
            "200",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    for m in METHODS:
        assert f"MAPE {m}" in printed
    assert "2 origin(s) (2019-09-30, 2020-03-31)" in printed
    table = pd.read_csv(out / "backtest.csv")
    assert tuple(table.columns) == TABLE_COLUMNS
    assert len(table) == 2 * 12 * len(GROUPS) * len(METHODS)
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["group"]) == set(GROUPS) and set(summary["method"]) == set(METHODS)
    assert (out / "backtest.png").read_bytes()[:4] == b"\x89PNG"


def test_backtest_seed_and_draws_change_the_output(returns, tmp_path):
    def run(*extra):
        out = tmp_path / ("b" + "-".join(extra))
        argv = ["backtest", str(returns), "--origins", "1", "--draws", "80", "--out", str(out)]
        assert main([*argv, *extra]) == 0
        return pd.read_csv(out / "backtest.csv")

    base = run()
    assert not base.equals(run("--seed", "5"))
    assert not base.equals(run("--draws", "40"))
    assert run("--months", "6")["h"].max() == 6


def test_backtest_says_when_fewer_origins_fit(returns, tmp_path, capsys):
    assert (
        main(
            [
                "backtest",
                str(returns),
                "--origins",
                "9",
                "--draws",
                "50",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    assert "9 origins asked for; the returns leave room for 4" in capsys.readouterr().out
