"""Yearly SSDA903 returns as authorities keep them: folder names, years read
from the dates, and the rules across returns (small hand-written returns)."""

import re
import warnings

import pandas as pd
import pytest

from sctforecast import DataQualityWarning, DataValidationError
from sctforecast.ssda903 import PlacementMapping, read_ssda903
from sctforecast.ssda903.years import read_folder_name

# A born 2010, B born 15/09/2006 (18 on 15/09/2024), C born 2015, D born 2012
HEADER = (
    "CHILD,SEX,DOB,UASC\nA,1,01/06/2010,0\nB,2,15/09/2006,0\nC,1,01/01/2015,0\nD,2,01/03/2012,0\n"
)
COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"

# Two returns, for 1 April 2017 - 31 March 2018 and 2018-19.  A starts in
# June 2017 and is missing from the second return while open (rule 4).
Y2017 = (
    "A,01/06/2017,S,C2,N1,U4,PR1,,\n"
    "B,01/05/2016,S,C2,N1,U4,PR4,,\n"
    "C,01/05/2017,S,C2,N1,U1,PR1,01/09/2017,E4A\n"
)
Y2018 = "B,01/05/2016,S,C2,N1,U4,PR4,01/10/2018,E4A\nD,01/07/2018,S,C2,N1,U4,PR1,,\n"


def returns(root, years, header=HEADER):
    for name, eps in years.items():
        (root / name).mkdir(parents=True)
        (root / name / "header.csv").write_text(header)
        (root / name / "episodes.csv").write_text(COLS + eps)
    return root


def read_quietly(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_ssda903(path, **kw)
    return data, [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]


NAMINGS = {
    "start": ("2017", "2018"),
    "end": ("2018", "2019"),
    "range": ("2017-18", "2018-19"),
    "underscore": ("2017_18", "2018_19"),
    "long range": ("2017-2018", "2018-2019"),
    "FY": ("FY18", "FY19"),
}


@pytest.mark.parametrize("naming", list(NAMINGS))
def test_every_naming_reads_the_same_years(tmp_path, naming):
    """Reported: folders named by the year's start ("2017" holding 2017-18)
    were read as the year ending March 2017, so rule 4 closed A on 1 April
    2017, before A's episode began ("episodes end before they start")."""
    first, second = NAMINGS[naming]
    data, msgs = read_quietly(returns(tmp_path, {first: Y2017, second: Y2018}))
    e = data.episodes.set_index("child")
    assert e.loc["A", "end"] == pd.Timestamp("2018-04-01")  # end of 2017/18, after its start
    assert e.loc["A", "rec"] == "LOST"
    assert e.loc["A", "collection"] == "2017/18"
    assert e.loc["B", "collection"] == "2018/19"
    assert data.observed_from == pd.Timestamp("2017-04-01")
    assert data.observed_to == pd.Timestamp("2019-03-31")
    assert not any("folder '" in m for m in msgs)  # every name agrees with the dates
    assert any("child A open at 31 March 2018" in m for m in msgs)


def test_namings_give_identical_episodes(tmp_path):
    cols = ["child", "start", "end", "placement_type", "collection"]
    frames = [
        read_quietly(returns(tmp_path / n, dict(zip(NAMINGS[n], (Y2017, Y2018), strict=True))))[0]
        for n in NAMINGS
    ]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0].episodes[cols], other.episodes[cols])


def test_a_name_that_disagrees_with_the_dates_warns_and_the_dates_win(tmp_path):
    root = returns(tmp_path, {"2016-17": Y2017, "2018-19": Y2018})
    with pytest.warns(
        DataQualityWarning,
        match=r"folder '2016-17' is named for 2016/17 but its dates \(DEC dates 01/09/2017 to "
        r"01/09/2017, latest DECOM 01/06/2017\) place it in 2017/18; read as 2017/18",
    ):
        data = read_ssda903(root)
    assert data.observed_from == pd.Timestamp("2017-04-01")
    assert "collection year read from the dates, not the folder name" in set(data.quality["rule"])


def test_a_name_that_fits_neither_reading_warns(tmp_path):
    # "2020" may mean 2019/20 or 2020/21; its DEC says 2017/18
    root = returns(tmp_path, {"2020": Y2017})
    with pytest.warns(DataQualityWarning, match=r"folder '2020' is named for 2019/20 or 2020/21"):
        data = read_ssda903(root)
    assert data.observed_from == pd.Timestamp("2017-04-01")


def test_undecidable_single_year_takes_the_end_reading_and_says_so(tmp_path):
    """Only open episodes that began long ago: "2018" fits both 2017/18 and 2018/19."""
    root = returns(tmp_path, {"2018": "B,01/05/2015,S,C2,N1,U4,PR4,,\n"})
    with pytest.warns(
        DataQualityWarning,
        match=r"folder '2018': its dates \(no DEC dates \(every episode open\), latest DECOM "
        r"01/05/2015\) fit both 2017/18 and 2018/19, and no other folder settles the naming; "
        r"read the name as the year ending 31 March 2018 \(2017/18\)",
    ):
        data = read_ssda903(root)
    assert data.observed_from == pd.Timestamp("2017-04-01")


def test_undecidable_year_follows_the_other_folders(tmp_path):
    # "2019" holds a DEC in 2019/20: these folders are named by the year's start
    root = returns(
        tmp_path,
        {
            "2018": "B,01/05/2015,S,C2,N1,U4,PR4,,\n",
            "2019": "B,01/05/2015,S,C2,N1,U4,PR4,,\nC,01/05/2019,S,C2,N1,U1,PR1,01/09/2019,E4A\n",
        },
    )
    data, msgs = read_quietly(root)
    assert data.observed_from == pd.Timestamp("2018-04-01")
    assert msgs == []


def test_two_folders_for_one_year_is_an_error_naming_both(tmp_path):
    root = returns(tmp_path, {"2017": Y2017, "2017-18": Y2017})
    with pytest.raises(
        DataValidationError,
        match=r"folders '2017' and '2017-18' both hold collection year 2017/18",
    ):
        read_ssda903(root)


def test_other_folder_names_and_a_nameless_folder(tmp_path):
    y2019 = "D,01/07/2018,S,C2,N1,U4,PR1,01/02/2020,E4A\n"
    root = returns(tmp_path, {"FY18": Y2017, "SSDA903_2018_19": Y2018, "latest return": y2019})
    data, msgs = read_quietly(root)
    assert sorted(set(data.episodes["collection"])) == ["2017/18", "2018/19", "2019/20"]
    assert not any("folder '" in m for m in msgs)


def test_rule_4_never_closes_before_the_episode_began(tmp_path):
    # A's DECOM is after the end of the 2017/18 return it is in (a row that does
    # not fit its year): closed at the end of the year it began, not 1 April 2018
    y2017 = Y2017.replace("A,01/06/2017", "A,01/06/2018")
    data, msgs = read_quietly(returns(tmp_path, {"2017-18": y2017, "2018-19": Y2018}))
    a = data.episodes.set_index("child").loc["A"]
    assert a["end"] == pd.Timestamp("2019-04-01") > a["start"]
    assert "dates outside the return's collection year: kept as written" in set(
        data.quality["rule"]
    )
    assert any("2017-18/episodes.csv:2 outside 2017/18" in m for m in msgs)


def test_shown_again_later_stays_open(tmp_path):
    root = returns(
        tmp_path,
        {
            "2017-18": Y2017,
            "2018-19": Y2018,
            "2019-20": "A,01/06/2017,S,C2,N1,U4,PR1,,\nD,01/07/2018,S,C2,N1,U4,PR1,01/02/2020,E4A\n",
        },
    )
    with pytest.warns(DataQualityWarning, match="child A missing from 2018/19, shown again later"):
        data = read_ssda903(root)
    assert pd.isna(data.episodes.set_index("child").loc["A", "end"])


def test_a_missing_year_is_reported(tmp_path):
    y2019 = "D,01/07/2018,S,C2,N1,U4,PR1,01/02/2020,E4A\n"
    root = returns(tmp_path, {"2017-18": Y2017, "2019-20": y2019})
    with pytest.warns(
        DataQualityWarning, match=r"no return for 2018/19 between 2017/18 and 2019/20"
    ):
        read_ssda903(root)


def test_strict_refuses_rule_4(tmp_path):
    root = returns(tmp_path, {"2017-18": Y2017, "2018-19": Y2018})
    with pytest.raises(DataValidationError, match="strict mode applies no rules"):
        read_ssda903(root, strict=True)


# --- same-day episodes: PLACE codes, not placement types ------------------------


def test_u4_and_u5_on_one_day_are_an_error_naming_codes_and_rows(tmp_path):
    mapped = PlacementMapping.default().map_codes(pd.Series(["U4", "U5"]), pd.Series(["PR1"] * 2))
    assert mapped.nunique() == 1  # the same placement type: the old reader merged them
    y2017 = "A,01/06/2017,S,C2,N1,U4,PR1,,\nA,01/06/2017,S,C2,N1,U5,PR1,,\n" + Y2017
    root = returns(tmp_path, {"2017-18": y2017, "2018-19": Y2018})
    expected = re.escape(
        "child A on 01/06/2017: U4/PR1 (2017-18/episodes.csv:2), U5/PR1 (2017-18/episodes.csv:3)"
    )
    for strict in (False, True):
        with pytest.raises(DataValidationError, match=expected):
            read_ssda903(root, strict=strict)


def test_same_place_different_provider_is_an_error_too(tmp_path):
    d = returns(
        tmp_path,
        {"ret": "A,01/06/2017,S,C2,N1,U4,PR1,,\nA,01/06/2017,S,C2,N1,U4,PR4,,\n"},
    )
    with pytest.raises(DataValidationError, match=r"U4/PR1 \(ret/episodes.csv:2\), U4/PR4"):
        read_ssda903(d / "ret")


def test_identical_same_day_episodes_are_one(tmp_path):
    d = returns(
        tmp_path,
        {"ret": "A,01/06/2017,S,C2,N1,U4,PR1,01/09/2017,X1\nA,01/06/2017,S,C2,N1,U4,PR1,,\n"},
    )
    with pytest.warns(DataQualityWarning, match="child A same-day duplicate 2017-06-01"):
        data = read_ssda903(d / "ret")
    assert len(data.episodes) == 1 and pd.isna(data.episodes["end"].iloc[0])  # the open one
    assert "same-day duplicate (same PLACE and provider): one episode kept" in set(
        data.quality["rule"]
    )
    with pytest.raises(DataValidationError, match="strict mode"):
        read_ssda903(d / "ret", strict=True)


# --- observed_from ----------------------------------------------------------------


def test_observed_from_can_be_given(tmp_path):
    root = returns(tmp_path, {"2017-18": Y2017, "2018-19": Y2018})
    data, _ = read_quietly(root, observed_from="2017-10-01")
    assert data.observed_from == pd.Timestamp("2017-10-01")
    with pytest.raises(DataValidationError, match=r"observed_from='soon' is not a date"):
        read_ssda903(root, observed_from="soon")
    with pytest.raises(DataValidationError, match=r"is after the last day observed \(2019-03-31\)"):
        read_ssda903(root, observed_from="2020-04-01")


def test_single_file_observed_from_ignores_moves_before_the_window(tmp_path):
    """A pair of files holding a child's earlier placements (a move in 2014) but
    exits only from 2017: the window starts 1 April 2017, not 2014."""
    d = returns(
        tmp_path,
        {
            "ret": "A,01/01/2012,S,C2,N1,U4,PR1,01/06/2014,X1\nA,01/06/2014,P,C2,N1,U4,PR4,,\n"
            "C,01/05/2017,S,C2,N1,U1,PR1,01/09/2017,E4A\n"
        },
    )
    data, _ = read_quietly(d / "ret")
    assert data.observed_from == pd.Timestamp("2017-04-01")


def test_codes_changed_between_returns_are_logged(tmp_path):
    y2018 = Y2018 + "A,01/06/2017,S,C2,N1,U5,PR1,,\n"
    with pytest.warns(
        DataQualityWarning,
        match=r"child A episode from 2017-06-01: U4/PR1 in 2017/18, U5/PR1 later",
    ):
        data = read_ssda903(returns(tmp_path, {"2017-18": Y2017, "2018-19": y2018}))
    assert data.episodes.set_index("child").loc["A", "place"] == "U5"


@pytest.mark.parametrize(
    ("name", "kind", "years"),
    [
        ("2017-18", "range", (2017,)),
        ("2017_18", "range", (2017,)),
        ("2017-2018", "range", (2017,)),
        ("FY2017-18", "range", (2017,)),
        ("SSDA903_2018_19", "range", (2018,)),
        ("1999-00", "range", (1999,)),
        ("2018", "single", (2017, 2018)),  # the year ending March 2018 first, or starting then
        ("FY18", "single", (2017, 2018)),
        ("fy2018", "single", (2017, 2018)),
        ("latest return", "none", ()),
        ("2017-19", "none", ()),
    ],
)
def test_folder_names(name, kind, years):
    r = read_folder_name(name)
    assert (r.kind, r.years) == (kind, years)
    assert (r.problem is not None) == (name == "2017-19")


def test_a_nameless_folder_of_open_episodes_takes_the_earliest_year_and_says_so(tmp_path):
    root = returns(tmp_path, {"extract": "B,01/05/2015,S,C2,N1,U4,PR4,,\n"})
    with pytest.warns(
        DataQualityWarning,
        match=r"folder 'extract' has no year in its name but its dates .* fit 2015/16 or any "
        r"later year; read as 2015/16",
    ):
        data = read_ssda903(root)
    assert data.observed_from == pd.Timestamp("2015-04-01")


def test_a_range_that_is_not_a_year_is_read_from_the_dates(tmp_path):
    with pytest.warns(DataQualityWarning, match=r"folder '2017-19': 2017 is followed by 2019"):
        data = read_ssda903(returns(tmp_path, {"2017-19": Y2017}))
    assert data.observed_from == pd.Timestamp("2017-04-01")
