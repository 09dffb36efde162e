"""A counts CSV: the reader, and ``sctforecast forecast`` on one (the aggregate model)."""

import re

import numpy as np
import pandas as pd
import pytest

from sctforecast.cli import main
from sctforecast.datasets import sandwell_care_flows, sandwell_profile
from sctforecast.demand import CareFlowData, read_counts_csv
from sctforecast.errors import DataValidationError
from sctforecast.profile_file import COMPARATOR_PREFIX

HEADER = "period,entries,exits,children_in_care"


def sandwell_counts_text(*, population: bool = False) -> str:
    """The embedded Sandwell core series (004 Section (f)) as a counts CSV: the
    31 March 2018 stock as the opening row, then each year's flows and closing stock."""
    d = sandwell_care_flows()
    head = HEADER + (",population" if population else "")
    pop = [f",{p:.0f}" if population else "" for p in d.population]
    lines = [head, f"2017/18,,,{d.stock[0]:.0f}" + ("," if population else "")]
    for k, period in enumerate(d.periods):
        lines.append(f"{period},{d.entries[k]:.0f},{d.exits[k]:.0f},{d.stock[k + 1]:.0f}{pop[k]}")
    return "\n".join(lines) + "\n"


def write(tmp_path, text, name="counts.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the reader ------------------------------------------------------------------------------
def test_reads_the_sandwell_series_as_the_embedded_data_hold_it(tmp_path):
    d = sandwell_care_flows()
    got = CareFlowData.from_csv(
        write(tmp_path, sandwell_counts_text()), default_population=d.population[0]
    )
    assert got.periods == d.periods and got.freq == "year"
    np.testing.assert_array_equal(got.entries, d.entries)
    np.testing.assert_array_equal(got.exits, d.exits)
    np.testing.assert_array_equal(got.stock, d.stock)
    np.testing.assert_array_equal(got.population, d.population)
    assert got.source == "counts CSV counts.csv" and got.comparators is None


def test_row_order_does_not_matter_and_population_column_is_used(tmp_path):
    lines = sandwell_counts_text(population=True).splitlines()
    shuffled = [lines[0], *reversed(lines[1:])]
    shuffled = [
        shuffled[0],
        *(ln.replace("85824", str(85000 + i)) for i, ln in enumerate(shuffled[1:])),
    ]
    got = read_counts_csv(write(tmp_path, "\n".join(shuffled)))
    assert got.periods == sandwell_care_flows().periods
    # rows were reversed, so the populations run backwards from the last row written
    assert list(got.population) == [85005.0, 85004.0, 85003.0, 85002.0, 85001.0, 85000.0]


def test_monthly_periods_and_a_source_column(tmp_path):
    text = (
        "period,entries,exits,children_in_care,source\n"
        "2023-03,,,500,LA return\n"
        "2023-04,20,18,502,LA return\n"
        "2023-05,15,19,498,\n"
        "2023-06,22,21,499,monthly KPI pack\n"
    )
    got = read_counts_csv(write(tmp_path, text), default_population=40_000)
    assert got.freq == "month" and got.periods == ("2023-04", "2023-05", "2023-06")
    assert list(got.stock) == [500, 502, 498, 499]
    assert got.source == "counts CSV counts.csv; LA return; monthly KPI pack"
    assert (
        read_counts_csv(write(tmp_path, text), default_population=1, source="mine").source == "mine"
    )


def problems_of(tmp_path, text, **kw):
    with pytest.raises(DataValidationError) as info:
        read_counts_csv(write(tmp_path, text), **kw)
    err = info.value
    assert err.where.endswith("counts.csv")
    return err.problems


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a count that is not a whole number
        (
            "2018/19,362.5,215,901",
            r"row 3 \(2018/19\), column entries: '362.5' is not a whole number",
        ),
        ("2018/19,lots,215,901", r"row 3 \(2018/19\), column entries: 'lots' is not a number"),
        # a negative count
        ("2018/19,362,-4,901", r"row 3 \(2018/19\), column exits: '-4' is negative"),
        # a huge count (a typing slip), and one too large to be a float
        ("2018/19,362,215,9010000", r"column children_in_care: '9010000' is more than 1,000,000"),
        ("2018/19,362,215,1e999999", r"column children_in_care: '1e999999' is more than 1,000,000"),
        ("2018/19,362,215,inf", r"column children_in_care: 'inf' is not a number"),
        # a blank flow after the opening row
        ("2018/19,,215,901", r"row 3 \(2018/19\), column entries: blank; only the opening row"),
        ("2018/19,362,215,", r"row 3 \(2018/19\), column children_in_care: blank"),
        # a period that is neither a financial year nor a month
        ("18/19,362,215,901", r"row 3, column period: '18/19' is not a period"),
        ("2018/20,362,215,901", r"row 3, column period: .*2018 must be followed by 2019"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_column(tmp_path, rows, expected):
    lines = sandwell_counts_text().splitlines()
    lines[2] = rows  # the 2018/19 row is CSV row 3
    problems = problems_of(tmp_path, "\n".join(lines), default_population=85_000)
    assert any(re.search(expected, p) for p in problems), problems


def test_every_problem_is_collected_and_raised_once(tmp_path):
    lines = sandwell_counts_text().splitlines()
    lines[2] = "2018/19,362.5,-1,901"
    lines[4] = "2020/21,226,x,888"
    problems = problems_of(tmp_path, "\n".join(lines), default_population=85_000)
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "row 3 (2018/19), column entries",
        "row 3 (2018/19), column exits",
        "row 5 (2020/21), column exits",
    ]


def test_missing_opening_row_is_refused_not_invented(tmp_path):
    lines = sandwell_counts_text().splitlines()
    del lines[1]  # the 2017/18 opening stock
    (p,) = problems_of(tmp_path, "\n".join(lines), default_population=85_000)
    assert p.startswith("row 2 (2018/19), columns entries and exits: the earliest period has flows")
    assert "add a row '2017/18,,,<children in care at 31 March 2018>'" in p
    monthly = "period,entries,exits,children_in_care\n2023-04,1,1,5\n2023-05,1,1,5\n2023-06,1,1,5\n"
    (p,) = problems_of(tmp_path, monthly, default_population=1_000)
    assert "add a row '2023-03,,,<children in care at the end of 2023-03>'" in p


def test_opening_row_with_one_flow_given(tmp_path):
    lines = sandwell_counts_text().splitlines()
    lines[1] = "2017/18,,12,767"
    (p,) = problems_of(tmp_path, "\n".join(lines), default_population=85_000)
    assert p.startswith("row 2 (2017/18), column entries: blank but exits is given")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda ls: ls.__setitem__(3, "2019-04,194,242,874"),
            "mixes financial years and months: row 2",
        ),
        (lambda ls: ls.insert(4, "2019/20,1,1,1"), r"row 5, column period: 2019/20 is also row 4"),
        (
            lambda ls: ls.__delitem__(4),
            r"rows 4 \(2019/20\) and 5 \(2021/22\), column period: 1 period",
        ),
    ],
)
def test_periods_must_be_one_kind_each_once_without_gaps(tmp_path, edit, expected):
    lines = sandwell_counts_text().splitlines()
    edit(lines)
    problems = problems_of(tmp_path, "\n".join(lines), default_population=85_000)
    assert any(re.search(expected, p) for p in problems), problems


def test_missing_and_unknown_columns(tmp_path):
    (p,) = problems_of(tmp_path, "period,entries,children_in_care\n2017/18,,767\n")
    assert p.startswith("missing column(s) exits; the header row must be")
    text = sandwell_counts_text().replace(HEADER, HEADER + ",notes", 1)
    text = "\n".join(ln + "," if i else ln for i, ln in enumerate(text.splitlines()))
    (p,) = problems_of(tmp_path, text, default_population=1)
    assert p.startswith("column(s) notes are not read")


def test_population_needed_from_the_file_or_the_caller(tmp_path):
    (p,) = problems_of(tmp_path, sandwell_counts_text())
    assert p.startswith("no population column: add one")
    lines = sandwell_counts_text(population=True).splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ","
    (p,) = problems_of(tmp_path, "\n".join(lines))
    assert p.startswith("row 4 (2019/20), column population: blank")


def test_empty_files_and_too_short_series(tmp_path):
    with pytest.raises(DataValidationError, match="the file is empty"):
        read_counts_csv(write(tmp_path, ""))
    with pytest.raises(DataValidationError, match="has a header but no data rows"):
        read_counts_csv(write(tmp_path, HEADER + "\n"))
    short = HEADER + "\n2017/18,,,767\n2018/19,362,215,901\n2019/20,194,242,874\n"
    (p,) = problems_of(tmp_path, short, default_population=85_000)
    assert p.startswith("2 period(s) with flows after the opening row; the model needs at least 3")


def test_population_without_a_projection_cancels_from_the_rates(tmp_path):
    """Without comparators, a population held flat is a constant offset: the model's
    centres of the log entry rate move by log of its ratio and nothing else (so the
    default population from the profile does not move the children-in-care forecast)."""
    from sctforecast.demand.design import design_for

    path = write(tmp_path, sandwell_counts_text())
    a = design_for(read_counts_csv(path, default_population=85_000))
    b = design_for(read_counts_csv(path, default_population=170_000))
    assert b.entry_level == pytest.approx(a.entry_level - np.log(2))
    assert b.eta_start == pytest.approx(a.eta_start - np.log(2))
    assert b.exit_level == a.exit_level and b.xi_start == a.xi_start
    np.testing.assert_allclose(
        b.population * np.exp(b.entry_level), a.population * np.exp(a.entry_level)
    )


# --- sctforecast forecast and backtest on a counts CSV -----------------------------------------
PROFILE_B = """key,value
name,Northfield Children's Services
baseline_year,2023/24
child_population,85824
residential_external,300
foster_ifa,100
supported_accommodation,100
other_settings,300
"""


SANDWELL_COMPARATOR_ROWS = "".join(
    f"{COMPARATOR_PREFIX}{k},{v}\n" for k, v in sandwell_profile().comparators.items()
)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # no placement mix may be used behind the user's back
        ([], "needs your authority's placement mix: give --profile P.csv"),
        (["--profile", "{tmp}/none.csv"], "none.csv: no such file"),
    ],
)
def test_a_counts_csv_needs_a_profile(tmp_path, capsys, extra, message):
    csv = write(tmp_path, sandwell_counts_text())
    argv = ["forecast", str(csv), "--out", str(tmp_path / "out"), *extra]
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sctforecast forecast: error:") and message in err.splitlines()[0]
    assert not (tmp_path / "out").exists()


def test_bad_counts_are_reported_before_any_fit(tmp_path, capsys):
    lines = sandwell_counts_text().splitlines()
    lines[3] = "2019/20,194,-242,874"
    csv = write(tmp_path, "\n".join(lines))
    code = main(["forecast", str(csv), "--profile", "sandwell", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "row 4 (2019/20), column exits: '-242' is negative" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_profile_is_refused_with_ssda903_returns(tmp_path, capsys):
    (tmp_path / "returns").mkdir()
    code = main(["forecast", str(tmp_path / "returns"), "--profile", "sandwell"])
    assert code == 2
    assert "SSDA903 returns give children by placement type themselves" in capsys.readouterr().err


def test_backtest_refuses_a_counts_csv_and_says_where_to_go(tmp_path, capsys):
    csv = write(tmp_path, sandwell_counts_text())
    assert main(["backtest", str(csv), "--out", str(tmp_path / "bt")]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("sctforecast backtest: error:")
    assert "A counts CSV is not backtested by this command" in first
    assert "backtest_aggregate" in first


def _printed_diagnostics(printed):
    m = re.search(r"Fit: max r_hat (\d+\.\d+), min bulk ESS \d+, (\d+) divergence", printed)
    assert m, printed
    return float(m[1]), int(m[2])


@pytest.mark.slow
def test_forecast_from_a_counts_csv_end_to_end(tmp_path, capsys, monkeypatch):
    """Sandwell's published core series (004 Section (f)) written as a counts CSV:
    a converged fit, the tables and chart of the SSDA903 path, each interval from
    the draws, the fit reused from the cache, and --profile changing only the split."""
    from sctforecast.cache import ResultCache
    from sctforecast.datasets import sandwell_profile
    from sctforecast.demand import compile_cache
    from sctforecast.demand.placement_report import FORECAST_TABLES, GROUPS, by_category
    from sctforecast.pipeline import PublishedCounts, saved_fit

    # compiled model code stays in PyTensor's own (warm) folder: a cold one in the new
    # cache folder would add half a minute of compiling (test_compile_cache covers it)
    monkeypatch.setattr(compile_cache, "_CHOICE", [None])
    csv = write(tmp_path, sandwell_counts_text())
    cache = tmp_path / "cache"
    argv = ["forecast", str(csv), "--months", "24", "--seed", "1", "--cache-dir", str(cache)]

    def run(out, profile):
        assert main([*argv, "--profile", profile, "--out", str(tmp_path / out)]) == 0
        return capsys.readouterr().out

    printed = run("a", "sandwell")
    r_hat, divergences = _printed_diagnostics(printed)
    assert r_hat < 1.01 and divergences == 0
    assert "children split by the placement mix of Sandwell Children's Trust" in printed
    out = tmp_path / "a"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*FORECAST_TABLES, "assumptions.csv", "diagnostics.txt"]
    )
    assert (out / "forecast.png").read_bytes()[:4] == b"\x89PNG"
    by_cat = pd.read_csv(out / "children_by_category.csv")
    by_type = pd.read_csv(out / "children_by_placement_type.csv")
    assert by_cat["month"].iloc[0] == "2024-04" and by_cat["month"].nunique() == 24
    assert "child population" in pd.read_csv(out / "assumptions.csv")["topic"].str.cat()

    # the category table's interval is the draws' own quantile, not summed bounds
    counts = read_counts_csv(csv, default_population=85824)
    sandwell = sandwell_profile()
    counts = counts.with_comparator_rates(sandwell.comparators, owner=f"profile of {sandwell.name}")
    source = PublishedCounts(counts)
    model, reused = saved_fit(
        source, sandwell_profile(), draws=4000, random_seed=1, cache=ResultCache(cache)
    )
    assert reused
    ds = model.forecast_draws(24, random_seed=1)
    assert ds.sizes["draw"] == 4000
    total = by_category(ds["children"].values)[:, -1, GROUPS.index("total")]
    last = by_cat[by_cat["month"] == "2026-03"].set_index("group")
    assert last.loc["total", "lower"] == pytest.approx(np.quantile(total, 0.05), rel=1e-12)
    assert last.loc["total", "upper"] == pytest.approx(np.quantile(total, 0.95), rel=1e-12)
    assert last.loc["total", "upper"] < last.loc[list(GROUPS[:-1]), "upper"].sum()

    # a second run reuses the saved fit and writes the same tables
    assert "Fit reused from the cache" in run("again", "sandwell")
    assert pd.read_csv(tmp_path / "again" / "children_by_category.csv").equals(by_cat)

    # another authority's mix: the same totals, split differently
    # (with the same comparator rows, so only the mix differs)
    profile_b = tmp_path / "northfield.csv"
    profile_b.write_text(PROFILE_B + SANDWELL_COMPARATOR_ROWS, encoding="utf-8")
    run("b", str(profile_b))
    cat_b = pd.read_csv(tmp_path / "b" / "children_by_category.csv").set_index(["month", "group"])
    type_b = pd.read_csv(tmp_path / "b" / "children_by_placement_type.csv")
    cat_a = by_cat.set_index(["month", "group"])
    total = (slice(None), "total")
    np.testing.assert_allclose(cat_b.loc[total, "median"], cat_a.loc[total, "median"], rtol=1e-9)
    end_a = by_type[by_type["month"] == "2026-03"].set_index("group")["median"]
    end_b = type_b[type_b["month"] == "2026-03"].set_index("group")["median"]
    assert end_b["residential_external"] > 2 * end_a["residential_external"]
    assert end_b["foster_ifa"] < end_a["foster_ifa"]


def test_options_reach_the_fit_and_the_forecast(tmp_path, monkeypatch, capsys):
    """The plumbing, with the fit replaced by pinned draws (the slow test samples):
    --draws, --seed, --months, --no-cache and --profile each reach the model."""
    import sctforecast.pipeline as pipeline
    from sctforecast.demand.forecast import split_by_mix
    from sctforecast.pipeline.sources import _AggregateFit

    calls = []

    class Pinned:
        assumptions = pd.DataFrame([("t", "a", "s")], columns=["topic", "assumption", "source"])

        def __init__(self, mix, draws):
            self.mix, self.draws = mix, draws

        def forecast_draws(self, months, *, random_seed):
            calls.append(("forecast", months, random_seed))
            rng = np.random.default_rng(random_seed)
            total = 800 + rng.normal(0, 20, (self.draws, months)).cumsum(axis=1)
            index = pd.period_range("2024-04", periods=months, freq="M")
            return split_by_mix(total, index, self.mix, start_total=np.full(self.draws, 808.0))

    centres = []

    def saved_fit(source, profile, *, draws, random_seed, cache):
        calls.append(("fit", draws, random_seed, cache.enabled, profile.name))
        centres.append(source.data.comparators)
        note = f"max r_hat 1.001, min bulk ESS 900, 0 divergence(s) in {draws} draws"
        return _AggregateFit(Pinned(profile.mix, draws), note), False

    monkeypatch.setattr(pipeline, "saved_fit", saved_fit)
    csv = write(tmp_path, sandwell_counts_text())
    profile_b = tmp_path / "northfield.csv"
    profile_b.write_text(PROFILE_B, encoding="utf-8")

    def run(out, *extra):
        assert main(["forecast", str(csv), "--out", str(tmp_path / out), *extra]) == 0
        printed = capsys.readouterr().out
        return pd.read_csv(tmp_path / out / "children_by_category.csv"), printed

    base, printed = run("a", "--profile", "sandwell", "--months", "6")
    assert calls == [
        ("fit", 4000, 0, True, "Sandwell Children's Trust"),
        ("forecast", 6, 0),
    ]
    assert "Fit: max r_hat 1.001, min bulk ESS 900, 0 divergence(s) in 4000 draws" in printed
    assert base["month"].nunique() == 6
    calls.clear()
    seeded, _ = run("b", "--profile", "sandwell", "--months", "6", "--seed", "7", "--draws", "300")
    assert calls == [("fit", 300, 7, True, "Sandwell Children's Trust"), ("forecast", 6, 7)]
    assert not seeded.equals(base)
    calls.clear()
    other, _ = run("c", "--profile", str(profile_b), "--months", "6", "--no-cache")
    assert calls == [("fit", 4000, 0, False, "Northfield Children's Services"), ("forecast", 6, 0)]
    # the long-run rates: the Sandwell profile's comparator rows; the Northfield profile
    # has none, so the model centres on the series' own rates
    from sctforecast.datasets import sandwell_profile
    from sctforecast.demand.comparators import ComparatorRates

    expected = ComparatorRates.from_rates(sandwell_profile().comparators)
    assert centres[0].entry_rate_per_10k == expected.entry_rate_per_10k
    assert centres[0].exit_hazard == expected.exit_hazard
    assert "profile of Sandwell" in centres[0].source
    assert centres[-1] is None
    res = other.set_index(["month", "group"])["median"].xs("residential", level="group")
    assert (
        res > 2 * base.set_index(["month", "group"])["median"].xs("residential", level="group")
    ).all()
