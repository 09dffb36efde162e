import warnings

import numpy as np
import pandas as pd
import pytest

from sctforecast import DataQualityWarning, DataValidationError
from sctforecast.ssda903 import (
    care_events,
    monthly_counts,
    placement_days,
    read_ssda903,
    synthetic_ssda903,
    write_ssda903,
)

HEADER = "CHILD,SEX,DOB,UASC\nA,1,01/06/2010,0\nB,2,15/09/2006,1\nC,1,01/01/2015,0\n"
EPISODES_COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"


def files(tmp_path, episodes, header=HEADER):
    d = tmp_path / "ret"
    d.mkdir(exist_ok=True)
    (d / "header.csv").write_text(header)
    (d / "episodes.csv").write_text(EPISODES_COLS + episodes)
    return d


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    h, e, truth = synthetic_ssda903(years=6, initial_children=500, random_seed=3)
    root = tmp_path_factory.mktemp("s903")
    write_ssda903(h, e, root / "flat")
    write_ssda903(h, e, root / "years", by_collection_year=True, first_year_end=2017)
    return root, truth


def test_flat_and_year_folders_give_the_same_episodes(synthetic):
    root, _ = synthetic
    a = read_ssda903(root / "flat")
    b = read_ssda903(root / "years")
    cols = ["child", "start", "end", "placement_type"]
    pd.testing.assert_frame_equal(a.episodes[cols], b.episodes[cols])
    assert a.observed_to == b.observed_to == pd.Timestamp("2022-03-31")
    q = b.quality_summary()
    assert q["rule"].str.startswith("episode repeated across collection years").all()


def test_stock_flow_identity_holds_exactly(synthetic):
    root, _ = synthetic
    d = read_ssda903(root / "flat")
    mc = monthly_counts(d, start="2016-04")
    s = mc["stock_end"].to_numpy()
    assert (s[1:] == s[:-1] + mc["entries"].to_numpy()[1:] - mc["exits"].to_numpy()[1:]).all()
    ev = care_events(d)
    assert set(ev["event"]) <= {"entry", "exit", "aged_out", "move"}
    assert (ev.loc[ev["event"] == "aged_out", "age"] >= 17.99).all()


def test_placement_days_match_the_stock(synthetic):
    root, _ = synthetic
    d = read_ssda903(root / "flat")
    months = pd.period_range("2020-04", periods=3, freq="M")
    pdays = placement_days(d, months)
    per_month = pdays.groupby("month")["placement_days"].sum()
    mc = monthly_counts(d, start="2020-03", end="2020-06").set_index("month")["stock_end"]
    for m in months:
        avg = per_month[str(m)] / m.days_in_month
        assert min(mc[str(m - 1)], mc[str(m)]) - 15 <= avg <= max(mc[str(m - 1)], mc[str(m)]) + 15


def test_good_small_return(tmp_path):
    d = read_ssda903(
        files(
            tmp_path,
            "A,01/04/2020,S,C2,N1,U4,PR1,01/10/2020,X1\nA,01/10/2020,P,C2,N1,K2,PR4,,\n"
            "B,01/05/2022,S,C2,N8,H5,PR4,,\n",
        )
    )
    e = d.episodes.set_index("child")
    assert list(d.episodes["placement_type"]) == [
        "foster_in_house",
        "residential_external",
        "supported_accommodation_uasc",
    ]
    ev = care_events(d)
    assert ev["event"].tolist().count("move") == 1 and ev["event"].tolist().count("entry") == 2
    assert e.loc["B", "placement_type"] == "supported_accommodation_uasc"


def test_missing_columns_are_listed(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / "header.csv").write_text("CHILD,DOB\nA,01/01/2010\n")
    (d / "episodes.csv").write_text("CHILD,DECOM,PLACE\nA,01/01/2020,U4\n")
    with pytest.raises(DataValidationError) as info:
        read_ssda903(d)
    msg = str(info.value)
    assert "header.csv: missing column(s) SEX" in msg
    assert "episodes.csv: missing column(s) RNE, LS, CIN, PLACE_PROVIDER, DEC, REC" in msg


def test_unparseable_dates(tmp_path):
    with pytest.raises(
        DataValidationError,
        match=r"episodes.csv, column DECOM: unparseable date\(s\) at row 3 \('31/02/2021'\)",
    ):
        read_ssda903(
            files(tmp_path, "A,01/04/2020,S,C2,N1,U4,PR1,,\nC,31/02/2021,S,C2,N1,U4,PR1,,\n")
        )


def test_episode_ending_before_it_starts(tmp_path):
    with pytest.raises(
        DataValidationError, match=r"end \(DEC\) before they start \(DECOM\) at row\(s\) 2"
    ):
        read_ssda903(files(tmp_path, "A,01/04/2020,S,C2,N1,U4,PR1,01/03/2020,E4A\n"))


def test_unknown_placement_codes(tmp_path):
    d = files(tmp_path, "A,01/04/2020,S,C2,N1,Q7,PR1,,\nC,01/04/2020,S,C2,N1,Q7,PR1,,\n")
    with pytest.raises(
        DataValidationError,
        match=r"unknown PLACE code\(s\): 'Q7' on row\(s\) ret/episodes.csv:2, ret/episodes.csv:3",
    ):
        read_ssda903(d)
    with pytest.warns(DataQualityWarning, match="mapped to other_settings"):
        out = read_ssda903(d, unknown_codes="other")
    assert set(out.episodes["placement_type"]) == {"other_settings"}


def test_child_not_in_header(tmp_path):
    with pytest.raises(
        DataValidationError, match=r"episodes for children not in header.csv: Z \(rows 2\)"
    ):
        read_ssda903(files(tmp_path, "Z,01/04/2020,S,C2,N1,U4,PR1,,\n"))


def test_overlap_rule_warns_and_strict_raises(tmp_path):
    d = files(
        tmp_path, "A,01/04/2020,S,C2,N1,U4,PR1,01/09/2020,X1\nA,01/08/2020,P,C2,N1,K2,PR4,,\n"
    )
    with pytest.warns(DataQualityWarning, match="child A"):
        out = read_ssda903(d)
    first = out.episodes.iloc[0]
    assert first["end"] == pd.Timestamp("2020-08-01")
    assert "overlap" in out.quality_summary()["rule"].iloc[0]
    with pytest.raises(DataValidationError, match="strict mode"):
        read_ssda903(d, strict=True)


def test_same_day_conflict_is_an_error(tmp_path):
    d = files(tmp_path, "A,01/04/2020,S,C2,N1,U4,PR1,,\nA,01/04/2020,S,C2,N1,K2,PR4,,\n")
    with pytest.raises(
        DataValidationError,
        match=r"child A on 01/04/2020: U4/PR1 \(ret/episodes.csv:2\), K2/PR4 \(ret/episodes.csv:3\)",
    ):
        read_ssda903(d)


def test_episode_past_18th_birthday(tmp_path):
    # B was born 15/09/2006: 18 on 15/09/2024
    d = files(tmp_path, "B,01/05/2022,S,C2,N8,H5,PR4,01/12/2024,E8\n")
    with pytest.warns(DataQualityWarning, match="child B reached 18 on 2024-09-15"):
        out = read_ssda903(d)
    assert out.episodes.iloc[0]["end"] == pd.Timestamp("2024-09-15")
    assert care_events(out)["event"].tolist() == ["entry", "aged_out"]


def test_child_missing_from_the_next_return(tmp_path):
    root = tmp_path / "years"
    for y, eps in (
        ("2021-22", "A,01/04/2021,S,C2,N1,U4,PR1,,\nC,01/06/2021,S,C2,N1,U4,PR1,,\n"),
        ("2022-23", "C,01/06/2021,S,C2,N1,U4,PR1,,\n"),
    ):
        (root / y).mkdir(parents=True)
        (root / y / "header.csv").write_text(HEADER)
        (root / y / "episodes.csv").write_text(EPISODES_COLS + eps)
    with pytest.warns(DataQualityWarning, match="child A open at 31 March 2022"):
        out = read_ssda903(root)
    a = out.episodes.set_index("child").loc["A"]
    assert a["end"] == pd.Timestamp("2022-04-01")
    assert pd.isna(out.episodes.set_index("child").loc["C", "end"])


def test_missing_folder_and_layout(tmp_path):
    with pytest.raises(DataValidationError, match="no such folder"):
        read_ssda903(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        DataValidationError, match="found neither header.csv and episodes.csv nor year subfolders"
    ):
        read_ssda903(tmp_path / "empty")


def test_synthetic_is_seeded():
    a = synthetic_ssda903(years=2, initial_children=50, random_seed=9)
    b = synthetic_ssda903(years=2, initial_children=50, random_seed=9)
    pd.testing.assert_frame_equal(a[1], b[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(a[0]) >= 50
    assert np.isclose(a[2].initial_mix.sum(axis=1), 1).all()
