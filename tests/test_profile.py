"""Authority profiles from the user's data: a small CSV, or SSDA903 returns."""

import warnings

import numpy as np
import pytest

from sctforecast import DataQualityWarning, DataValidationError
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.profile import AuthorityProfile, read_profile_csv
from sctforecast.ssda903 import (
    monthly_counts,
    placement_days,
    read_ssda903,
    synthetic_ssda903,
    write_ssda903,
)

GOOD = """key,value,source
name,Northfield Children's Services,
baseline_year,2023/24,
child_population,"52,400",ONS mid-2023 estimate
foster_in_house,120,SSDA903 at 31 March 2024
foster_ifa,95,
residential_external,30,
placed_with_parents,15,
comparator:cic_rate_per_10k/England,70,DfE 2024
"""


def _write(tmp_path, text, name="profile.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_profile_from_csv(tmp_path):
    p = AuthorityProfile.from_csv(_write(tmp_path, GOOD))
    assert p.name == "Northfield Children's Services"
    assert p.baseline_year == FinancialYear(2023)
    assert p.children_in_care == 260 and p.child_population == 52_400
    assert p.rate_per_10k == pytest.approx(260 / 52_400 * 1e4)
    assert p.mix["foster_ifa"] == pytest.approx(95 / 260) and p.mix["residential_in_house"] == 0
    assert p.comparators == {"cic_rate_per_10k/England": 70.0}
    # the activity is the year-end children held through the year, and says so
    assert float(p.activity.sel(placement_type="foster_ifa").sum()) == 95 * 366
    text = " ".join(p.assumptions["assumption"])
    assert "held through 2023/24" in text
    assert "ONS mid-2023 estimate" in set(p.assumptions["source"])
    assert str(tmp_path / "profile.csv") in p.source


def test_child_population_given_replaces_the_files(tmp_path):
    p = AuthorityProfile.from_csv(_write(tmp_path, GOOD), child_population=40_000)
    assert p.child_population == 40_000
    assert "given by the caller" in set(p.assumptions["source"])


BAD = {
    "missing columns": ("item,amount\nname,Northfield\n", "missing column(s) key, value"),
    "unknown key, a near miss": (
        "key,value\nname,N\nbaseline_year,2023/24\nchild_population,100\nfoster_ifaa,3\n",
        "row 5, column key: unknown key 'foster_ifaa'; did you mean 'foster_ifa'?",
    ),
    "not a number": (
        "key,value\nname,N\nbaseline_year,2023/24\nchild_population,lots\nfoster_ifa,3\n",
        "row 4, column value (child_population): 'lots' is not a number",
    ),
    "negative count": (
        "key,value\nname,N\nbaseline_year,2023/24\nchild_population,100\nfoster_ifa,-3\n",
        "row 5, column value (foster_ifa): '-3' must be zero or more",
    ),
    "zero population": (
        "key,value\nname,N\nbaseline_year,2023/24\nchild_population,0\nfoster_ifa,3\n",
        "row 4, column value (child_population): '0' must be more than zero",
    ),
    "key given twice": (
        "key,value\nname,N\nname,M\nbaseline_year,2023/24\nchild_population,9\nfoster_ifa,3\n",
        "row 3, column key: 'name' is given twice",
    ),
    "bad year": (
        "key,value\nname,N\nbaseline_year,23-24x\nchild_population,100\nfoster_ifa,3\n",
        "row 3, column value (baseline_year):",
    ),
    "missing facts": ("key,value\nfoster_ifa,3\n", "no 'name' row; add a row 'name,<value>'"),
    "no children": (
        "key,value\nname,N\nbaseline_year,2023/24\nchild_population,100\n",
        "no children by placement type",
    ),
    "empty file": ("", "the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_profile_files_say_where_and_how_to_fix(tmp_path, case):
    text, message = BAD[case]
    path = _write(tmp_path, text)
    with pytest.raises(DataValidationError) as err:
        AuthorityProfile.from_csv(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = _write(tmp_path, "key,value\nname,\nbaseline_year,2023/24\nchild_population,x\nfoo,1\n")
    with pytest.raises(DataValidationError, match="3 problems") as err:
        read_profile_csv(path)
    assert [p.split(",")[0] for p in err.value.problems] == ["row 2", "row 4", "row 5"]


def test_a_profile_file_may_hold_only_name_and_population(tmp_path):
    facts = read_profile_csv(_write(tmp_path, "key,value\nname,N\nchild_population,100\n"))
    assert facts.children == {} and facts.child_population == 100
    with pytest.raises(DataValidationError, match="no 'baseline_year' row"):
        facts.require(children=False)


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    h, e, _ = synthetic_ssda903(years=8, initial_children=300, random_seed=11)
    folder = write_ssda903(h, e, tmp_path_factory.mktemp("ssda") / "Northfield")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_ssda903(folder)


def test_profile_from_ssda903_counts_the_children_at_31_march(returns):
    p = AuthorityProfile.from_ssda903(returns, "2023/24", child_population=30_000)
    assert p.name == "Northfield"
    counts = monthly_counts(returns, start="2024-03", end="2024-03")
    assert p.children_in_care == counts["stock_end"].iloc[0]
    assert "SSDA903 returns" in p.source and p.child_population == 30_000


def test_profile_activity_agrees_with_the_ssda903_placement_days(returns):
    p = AuthorityProfile.from_ssda903(returns, "2023/24", child_population=30_000, name="N")
    months = FinancialYear(2023).months()
    days = (
        placement_days(returns, months).groupby(["month", "placement_type"])["placement_days"].sum()
    )
    want = days.unstack().reindex(columns=list(PLACEMENT_TYPES)).to_numpy()
    np.testing.assert_array_equal(p.activity.transpose("month", "placement_type").values, want)


def test_profile_from_ssda903_needs_the_whole_baseline_year(returns):
    with pytest.raises(DataValidationError, match="before the end of the baseline year 2024/25"):
        AuthorityProfile.from_ssda903(returns, "2024/25", child_population=30_000)
    with pytest.raises(DataValidationError, match="after the start of the baseline year 2015/16"):
        AuthorityProfile.from_ssda903(returns, "2015/16", child_population=30_000)
