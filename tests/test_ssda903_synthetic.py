"""The synthetic SSDA903 generator and writer: every option changes the output,
the truth carries the rates used, and messy returns read with the rules logged."""

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from sctforecast import ConfigError, DataQualityWarning
from sctforecast.ssda903 import (
    care_events,
    messy_ssda903,
    read_ssda903,
    synthetic_ssda903,
    write_ssda903,
)

SMALL = {"years": 4, "initial_children": 300, "start": "2016-04-01"}


def sim(**kw):
    return synthetic_ssda903(**{**SMALL, "random_seed": 5, **kw})


def dates(col):
    return pd.to_datetime(col.replace("", None), format="%d/%m/%Y")


def entries_by_year(episodes):
    """New periods of care (RNE S) begun in each financial year of the window."""
    start = dates(episodes.loc[episodes["RNE"] == "S", "DECOM"])
    start = start[start >= pd.Timestamp(SMALL["start"])]
    return start.dt.to_period("Q-MAR").dt.qyear.value_counts().sort_index().to_numpy()


def exits(episodes):
    return int((episodes["REC"] == "E4A").sum())


def read(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_ssda903(path, **kw)
    return data, [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]


# --- the generator --------------------------------------------------------------


def test_defaults_are_unchanged():
    """Digest of the output of the generator before the options existed (same
    seed and sizes), so backtests written against it keep their numbers."""
    h, e, truth = synthetic_ssda903(years=2, initial_children=50, random_seed=9)
    digest = hashlib.sha256((h.to_csv(index=False) + e.to_csv(index=False)).encode()).hexdigest()
    assert (len(h), len(e)) == (464, 492)
    assert digest == "dccd013229375a93a1a0021a642007b799549f0ee4a6a34b65a2b080b68c27d5"
    assert truth.months[0] == "2016-04" and len(truth.months) == 24
    assert (truth.entry_multiplier == 1).all() and (truth.exit_multiplier == 1).all()


def test_entry_trend_shrinks_the_cohort():
    _, base, _ = sim()
    _, shrinking, truth = sim(entry_trend=-0.15)
    assert truth.entry_multiplier[12] == pytest.approx(np.exp(-0.15))
    assert truth.entry_multiplier[-1] == pytest.approx(np.exp(-0.15 * 47 / 12))
    b, s = entries_by_year(base), entries_by_year(shrinking)
    assert s[-1] < 0.75 * s[0]  # about exp(-0.45) = 0.64 of the first year
    assert s[-1] < 0.8 * b[-1]
    _, growing, _ = sim(entry_trend=0.1)
    assert entries_by_year(growing)[-1] > b[-1]


def test_exit_trend_changes_exits():
    _, base, _ = sim()
    _, more, truth = sim(exit_trend=0.3)
    assert truth.exit_multiplier[-1] == pytest.approx(np.exp(0.3 * 47 / 12))
    assert exits(more) > 1.2 * exits(base)


def test_rate_shift_is_a_step_on_its_date():
    _, base, _ = sim()
    _, shifted, truth = sim(rate_shift=("2018-04-15", 2.0, 0.5))
    k = truth.months.index("2018-04")
    assert (truth.entry_multiplier[:k] == 1).all() and (truth.entry_multiplier[k:] == 2).all()
    assert (truth.exit_multiplier[k:] == 0.5).all()
    b, s = entries_by_year(base), entries_by_year(shifted)
    assert s[2] > 1.5 * b[2] and s[0] == b[0]  # same first year, doubled after the step
    assert exits(shifted) < exits(base)


@pytest.mark.parametrize(
    "bad",
    [("2030-01-01", 1.2, 0.9), ("2010-01-01", 1.2, 0.9), ("2018-04-01", -1, 1), ("soon", 1, 1)],
)
def test_rate_shift_that_would_do_nothing_is_refused(bad):
    with pytest.raises(ConfigError, match="rate_shift"):
        sim(rate_shift=bad)


def test_rate_volatility_makes_rates_drift():
    _, base, _ = sim()
    _, drifting, truth = sim(rate_volatility=0.05)
    steps = np.diff(np.log(truth.entry_multiplier))
    assert 0.03 < steps.std() < 0.07
    assert not np.allclose(truth.entry_multiplier, truth.exit_multiplier)  # separate walks
    assert not base.equals(drifting)
    with pytest.raises(ConfigError, match="rate_volatility"):
        sim(rate_volatility=-0.1)


def test_history_years_gives_long_pre_window_histories():
    t0 = pd.Timestamp(SMALL["start"])
    _, short, _ = sim()
    _, long, _ = sim(history_years=12)
    first_start = {
        name: dates(e["DECOM"]).groupby(e["CHILD"]).min() for name, e in (("s", short), ("l", long))
    }
    assert first_start["s"].min() >= t0 - pd.DateOffset(years=3, days=2)
    assert first_start["l"].min() < t0 - pd.DateOffset(years=8)
    # earlier placements: episodes that ended (a move) before the window began
    ended_before = dates(long["DEC"]) < t0
    assert ended_before.sum() > 20 and set(long.loc[ended_before, "REC"]) == {"X1"}
    assert not (dates(short["DEC"]) < t0).any()


def test_truth_gives_the_rates_of_a_month_and_they_match_the_data():
    _, e, truth = sim(entry_trend=-0.2, rate_shift=("2018-10-01", 1.5, 1.0), rate_volatility=0.03)
    assert np.allclose(
        truth.entry_rate_at("2019-06"), truth.entry_rate * truth.entry_multiplier[38]
    )
    assert truth.exit_hazard_at("2016-04").shape == truth.exit_hazard.shape
    with pytest.raises(ConfigError, match="outside the simulation"):
        truth.entry_rate_at("2025-01")
    expected = [
        sum(truth.entry_rate_at(m).sum() for m in truth.months[12 * y : 12 * (y + 1)])
        for y in range(4)
    ]
    seen = entries_by_year(e)
    assert np.all(np.abs(seen - expected) < 4 * np.sqrt(expected))  # Poisson noise


# --- the writer -----------------------------------------------------------------


@pytest.fixture(scope="module")
def long_stayers():
    return synthetic_ssda903(**SMALL, random_seed=2, history_years=10)


def test_folder_names_read_to_identical_episodes(tmp_path, long_stayers):
    h, e, _ = long_stayers
    cols = ["child", "start", "end", "placement_type", "collection"]
    got = {}
    for naming, first in (("range", "2016-17"), ("start", "2016"), ("end", "2017")):
        root = write_ssda903(h, e, tmp_path / naming, by_collection_year=True, folder_names=naming)
        assert sorted(p.name for p in root.iterdir())[0] == first
        data, msgs = read(root)
        assert not any("folder '" in m for m in msgs)
        # the window starts with the first collection year, under every naming
        assert data.observed_from == pd.Timestamp("2016-04-01")
        got[naming] = data.episodes[cols]
    pd.testing.assert_frame_equal(got["range"], got["start"])
    pd.testing.assert_frame_equal(got["range"], got["end"])


def test_collections_start_with_the_window_not_the_oldest_episode(tmp_path, long_stayers):
    h, e, _ = long_stayers
    assert dates(e["DECOM"]).min() < pd.Timestamp("2010-04-01")
    default = write_ssda903(h, e, tmp_path / "a", by_collection_year=True)
    assert sorted(p.name for p in default.iterdir()) == ["2016-17", "2017-18", "2018-19", "2019-20"]
    earlier = write_ssda903(h, e, tmp_path / "b", by_collection_year=True, first_year_end=2015)
    assert sorted(p.name for p in earlier.iterdir())[:2] == ["2014-15", "2015-16"]
    # without the window mark the first exit from care sets it
    bare = e.copy()
    bare.attrs = {}
    guessed = write_ssda903(h, bare, tmp_path / "c", by_collection_year=True)
    assert sorted(p.name for p in guessed.iterdir())[0] == "2016-17"


def test_missing_open_leaves_children_out_and_rule_4_closes_them(tmp_path, long_stayers):
    h, e, _ = long_stayers
    clean = write_ssda903(h, e, tmp_path / "clean", by_collection_year=True)
    messy = write_ssda903(h, e, tmp_path / "messy", by_collection_year=True, missing_open=0.2)
    for y in ("2017-18", "2018-19", "2019-20"):
        a = set(pd.read_csv(clean / y / "episodes.csv")["CHILD"])
        b = set(pd.read_csv(messy / y / "episodes.csv")["CHILD"])
        assert b < a and len(a - b) > 10
    data, msgs = read(messy)
    lost = data.episodes[data.episodes["rec"] == "LOST"]
    assert len(lost) > 10 and (lost["end"] > lost["start"]).all()
    assert set(lost["end"].dt.strftime("%d/%m")) == {"01/04"}
    rules = set(data.quality["rule"])
    assert "open at year end, missing from the next return: closed" in rules
    assert "open at year end, missing from the next return, shown again later: kept open" in rules
    assert any("missing from the next return" in m for m in msgs)
    other = write_ssda903(
        h, e, tmp_path / "seed", by_collection_year=True, missing_open=0.2, random_seed=1
    )
    assert not pd.read_csv(other / "2018-19" / "episodes.csv").equals(
        pd.read_csv(messy / "2018-19" / "episodes.csv")
    )


def test_overlaps_are_written_and_cut_back(tmp_path, long_stayers):
    h, e, _ = long_stayers
    write_ssda903(h, e, tmp_path / "clean")
    write_ssda903(h, e, tmp_path / "overlap", overlaps=0.5)
    written = pd.read_csv(tmp_path / "overlap" / "episodes.csv", dtype=str, keep_default_na=False)
    s, end = dates(written["DECOM"]), dates(written["DEC"])
    next_start = s.groupby(written["CHILD"]).shift(-1)
    overlapping = end > next_start
    assert overlapping.sum() > 10
    assert ((end - next_start)[overlapping].dt.days <= 14).all()
    clean, _ = read(tmp_path / "clean")
    # a pair of files holding moves from before the window: observed from its first year
    assert clean.observed_from == pd.Timestamp("2016-04-01")
    assert clean.episodes["end"].min() < pd.Timestamp("2014-04-01")
    cut, msgs = read(tmp_path / "overlap")
    assert any("overlap: earlier episode cut at next start" in m for m in msgs)
    cols = ["child", "start", "end", "placement_type"]
    pd.testing.assert_frame_equal(clean.episodes[cols], cut.episodes[cols])


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"folder_names": "start"}, "folder_names only apply to yearly returns"),
        ({"missing_open": 0.1}, "missing_open only apply to yearly returns"),
        ({"first_year_end": 2017}, "first_year_end only apply to yearly returns"),
        ({"by_collection_year": True, "folder_names": "2017"}, "folder_names must be one of"),
        ({"overlaps": 1.5}, "overlaps is a share between 0 and 1"),
    ],
)
def test_writer_refuses_options_that_would_do_nothing(tmp_path, long_stayers, kw, message):
    h, e, _ = long_stayers
    with pytest.raises(ConfigError, match=message):
        write_ssda903(h, e, tmp_path, **kw)


def test_messy_returns_read_with_the_rules_applied_and_logged(tmp_path):
    truth = messy_ssda903(tmp_path / "m", random_seed=4, years=5, initial_children=400)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [str(y) for y in range(2016, 2021)]
    assert np.ptp(np.log(truth.entry_multiplier)) > 0.1
    with pytest.warns(DataQualityWarning, match="data-quality rule"):
        data = read_ssda903(tmp_path / "m")
    assert data.observed_from == pd.Timestamp("2016-04-01")
    assert data.observed_to == pd.Timestamp("2021-03-31")
    rules = set(data.quality_summary()["rule"])
    assert {
        "open at year end, missing from the next return: closed",
        "overlap: earlier episode cut at next start",
        "episode repeated across collection years: latest kept",
    } <= rules
    e = data.episodes
    assert (e["end"].isna() | (e["end"] >= e["start"])).all()
    assert e["start"].min() < pd.Timestamp("2010-04-01")  # histories before the first return
    ev = care_events(data)
    assert {"entry", "exit", "move"} <= set(ev["event"])
