"""The placement-level model: the observed window, rates that drift, the
simulation and the DemandModel protocol."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import placement_synth as ps
import pytest
import xarray as xr

from sctforecast import ConfigError, DataValidationError, NotFittedError
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.demand import DemandForecast, DemandModel, PlacementFlowModel
from sctforecast.demand.flows import (
    AGE_BINS,
    episode_events,
    flow_counts,
    month_end_children,
    observed_window,
)
from sctforecast.mtfp import Scenario, project
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903 import care_events, read_ssda903, synthetic_ssda903, write_ssda903

# The generator's monthly chance of leaving is 3%: as a hazard with events
# spread over the month, events / child-months comes to about 0.0305.
TRUE_EXIT = 0.0305


@pytest.fixture(scope="module")
def long_history(tmp_path_factory):
    """Returns from April 2018 of children simulated since 2012: the first
    return's long-stayers carry up to six years of history."""
    return ps.returns(tmp_path_factory.mktemp("hist"), seed=1, history_years=6)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    h, e, truth = synthetic_ssda903(years=8, initial_children=800, random_seed=11)
    root = tmp_path_factory.mktemp("gen")
    write_ssda903(h, e, root, by_collection_year=True, first_year_end=2017)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_ssda903(root), truth


def exit_rate(model, when="window_mean"):
    r = model.rates()
    return r[(r["flow"] == "exits") & (r["group"] == "foster")][when].item()


# --- 1. the observed window ---------------------------------------------------------------
def test_window_starts_where_the_returns_start(long_history):
    assert long_history.episodes["start"].min() < pd.Timestamp("2013-01-01")
    start, end = observed_window(long_history)
    assert (start, end) == (pd.Timestamp("2018-04-01"), pd.Timestamp("2024-04-01"))
    m = PlacementFlowModel(drift=0.0).fit(long_history)
    assert m.posterior.months == 72 and m.window_start == pd.Timestamp("2018-04-01")


def test_delayed_entry_recovers_the_hazard_the_old_rule_biases(long_history):
    """Counting exposure from the earliest DECOM (the old rule, emulated by
    claiming the returns observe from then) sees only the long-stayers of
    the years before the first return, so leaving care looks rarer."""
    new = PlacementFlowModel(drift=0.0).fit(long_history)
    earliest = long_history.episodes["start"].min().to_period("M").to_timestamp()
    old = PlacementFlowModel(drift=0.0).fit(
        dataclasses.replace(long_history, observed_from=earliest)
    )
    assert abs(exit_rate(new) / TRUE_EXIT - 1) < 0.08
    assert exit_rate(old) < 0.85 * TRUE_EXIT
    # and the entry rate: the old rule counts only the entrants who stayed
    entries = lambda m: m.rates().query("flow == 'entries'")["window_mean"].sum()  # noqa: E731
    assert abs(entries(new) / 12.0 - 1) < 0.06 and entries(old) < 0.8 * 12.0


def test_since_narrows_but_never_widens(long_history):
    m = PlacementFlowModel(drift=0.0).fit(long_history, since="2020-04-01")
    assert m.posterior.months == 48
    assert (
        m.counts.exposure.sum()
        < PlacementFlowModel(drift=0.0).fit(long_history).counts.exposure.sum()
    )
    with pytest.raises(ConfigError, match="before the returns start observing"):
        PlacementFlowModel().fit(long_history, since="2016-04-01")
    with pytest.raises(DataValidationError, match="needs at least 12"):
        PlacementFlowModel().fit(long_history, since="2023-06-01")


# --- counting, vectorised -----------------------------------------------------------------
def test_vectorised_events_match_care_events(generated):
    data, _ = generated
    key = ["date", "child", "event"]
    fast = episode_events(data).sort_values(key).reset_index(drop=True)
    slow = care_events(data).sort_values(key).reset_index(drop=True)
    assert len(fast) == len(slow) > 1000
    for col in ("child", "date", "event", "from_type", "to_type"):
        assert (
            fast[col].astype(object).fillna("").tolist()
            == slow[col].astype(object).fillna("").tolist()
        ), col
    np.testing.assert_allclose(fast["age"], slow["age"])


def test_counts_are_identities(generated):
    """Stock at the end = stock at the start + entries - exits - aged out,
    month by month; exposure in a month lies between the two stocks' range."""
    data, _ = generated
    start, end = observed_window(data)
    c = flow_counts(data, start, end)
    months = pd.period_range(start - pd.offsets.MonthBegin(1), end - pd.Timedelta(days=1), freq="M")
    stock = month_end_children(data, months).sum(axis=1)
    flows = (c.entries - c.exits - c.aged_out - c.closed).sum(axis=(1, 2))
    np.testing.assert_array_equal(stock[1:], stock[:-1] + flows)
    np.testing.assert_array_equal(c.stock.sum(axis=1), stock)
    assert c.start_state.shape == (AGE_BINS, len(PLACEMENT_TYPES))
    assert c.start_state.sum() == stock[-1]
    monthly = c.exposure.sum(axis=(1, 2))
    assert (monthly > 0.9 * np.minimum(stock[:-1], stock[1:]) - 40).all()
    assert (monthly < np.maximum(stock[:-1], stock[1:]) + 40).all()


# --- 2. rates that drift ------------------------------------------------------------------
@pytest.mark.parametrize(("before", "after"), [(0.02, 0.04), (0.04, 0.02)])
def test_recent_experience_dominates_after_a_step_change(tmp_path, before, after):
    """Exit hazards change two years before the origin: the rate at the
    origin is near the new level, not the window's average."""
    data = ps.returns(
        tmp_path,
        seed=3,
        history_years=3,
        exit_hazard=before,
        exit_hazard_after=after,
        change="2022-04",
    )
    m = PlacementFlowModel().fit(data)
    window, now = exit_rate(m), exit_rate(m, "current_mean")
    assert abs(now / after - 1) < 0.2, (window, now)
    assert abs(now - after) < 0.5 * abs(window - after)
    fixed = PlacementFlowModel(drift=0.0).fit(data)
    assert (
        abs(exit_rate(fixed, "current_mean") - window) < 0.15 * window
    )  # fixed rates: the average


def test_drift_widens_intervals_with_the_horizon(long_history):
    width = {}
    for drift in (None, 0.0):
        ds = (
            PlacementFlowModel(n_draws=600, drift=drift)
            .fit(long_history)
            .simulate(48, random_seed=2)
        )
        total = ds["children"].sum("placement_type").values
        q = np.quantile(total, [0.05, 0.95], axis=0)
        width[drift] = q[1] - q[0]
    # the learnt drift adds width, more so far ahead
    assert width[None][-1] > 1.15 * width[0.0][-1]
    assert width[None][-1] / width[None][11] > width[0.0][-1] / width[0.0][11]


def test_options_change_the_output_or_are_refused(long_history):
    a = PlacementFlowModel(n_draws=300, drift=0.1).fit(long_history).simulate(24, random_seed=1)
    b = PlacementFlowModel(n_draws=300, drift=0.001).fit(long_history).simulate(24, random_seed=1)
    assert a["children"].values.std(axis=0).sum() > b["children"].values.std(axis=0).sum()
    c = (
        PlacementFlowModel(n_draws=300, month_effect=0.5)
        .fit(long_history)
        .simulate(24, random_seed=1)
    )
    d = (
        PlacementFlowModel(n_draws=300, month_effect=0.0)
        .fit(long_history)
        .simulate(24, random_seed=1)
    )
    assert c["entries"].values.std() > 1.1 * d["entries"].values.std()
    for bad in ({"drift": -0.1}, {"month_effect": "big"}, {"n_draws": 0}):
        with pytest.raises(ConfigError):
            PlacementFlowModel(**bad).fit(long_history)


def test_learnt_drift_is_small_when_rates_are_steady(long_history):
    lev = PlacementFlowModel().fit(long_history).posterior.exits
    seen = [lev.groups.index(g) for g in ("foster", "residential")]
    assert lev.common.expected_drift[0] < 0.03
    assert (lev.deviations.expected_drift[seen] < 0.03).all()
    # a category never seen takes the prior its flow's categories share
    other = lev.groups.index("other")
    w = lev.deviations.weight
    assert not np.allclose(w[:, other], 1 / len(lev.deviations.drift))
    assert (w[:, other] * lev.deviations.drift).sum() < 0.03


# --- 3. simulation and the DemandModel protocol -------------------------------------------
def test_simulation_conserves_children_and_follows_the_protocol(generated):
    data, _ = generated
    m = PlacementFlowModel(n_draws=200).fit(data)
    assert isinstance(m, DemandModel)
    ds = m.forecast_draws(24, random_seed=1)
    assert isinstance(ds, xr.Dataset)
    assert ds["children"].dims == ("draw", "month", "placement_type")
    assert ds["entries"].dims == ("draw", "month")
    assert list(ds["placement_type"].values) == list(PLACEMENT_TYPES)
    assert ds["month"].values[0] == "2024-04" and m.origin == pd.Period("2024-04", freq="M")
    total = ds["children"].sum("placement_type").values
    change = ds["entries"].values.cumsum(axis=1) - ds["exits"].values.cumsum(axis=1)
    np.testing.assert_array_equal(total, m.start_state.sum() + change)
    assert (ds["placement_days"].values >= 0).all()
    demand = m.demand("2024/25", 5)
    assert isinstance(demand, DemandForecast)
    p = project(
        load_outturn(), Scenario.builtin(), profile=sandwell_profile(), demand=demand, random_seed=2
    )
    assert p.n_draws == 200
    later = m.demand("2025/26", 3)
    assert later.placement_days_draws(FinancialYear(2025), 3).sizes["month"] == 36
    with pytest.raises(ConfigError, match="cannot feed a plan"):
        m.demand("2023/24", 3)


def test_same_seed_same_numbers(generated):
    data, _ = generated
    m = PlacementFlowModel(n_draws=100).fit(data)
    a = m.simulate(12, random_seed=5)
    b = m.simulate(12, random_seed=5)
    c = m.simulate(12, random_seed=6)
    assert a.identical(b) and not a.identical(c)


def test_ageing_out_happens_in_the_right_month():
    """Children aged 17 years and k months at the origin leave at 18, in
    month 12 - k, and none of them before."""
    m = PlacementFlowModel(n_draws=50, drift=0.0, month_effect=0.0)
    dobs = pd.to_datetime(["2006-06-15", "2006-11-15"])
    header = pd.DataFrame({"child": ["A", "B"], "sex": "1", "dob": dobs, "uasc": False})
    rows = []
    for i in range(40):  # plenty of exposure, no exits, no moves, no entries after 2020
        rows.append((f"K{i}", "2019-04-10", None, pd.Timestamp("2010-01-01")))
    rows += [
        ("A", "2020-01-01", None, pd.Timestamp("2006-06-15")),
        ("B", "2020-01-01", None, pd.Timestamp("2006-11-15")),
    ]
    eps = pd.DataFrame(rows, columns=["child", "start", "end", "dob"])
    eps["start"] = pd.to_datetime(eps["start"])
    eps["end"] = pd.to_datetime(eps["end"])
    eps["placement_type"] = "foster_in_house"
    eps["rec"] = ""
    from sctforecast.ssda903 import SSDA903Data

    data = SSDA903Data(
        header=header,
        episodes=eps,
        quality=pd.DataFrame(),
        observed_to=pd.Timestamp("2024-03-31"),
        origin="test",
        observed_from=pd.Timestamp("2019-04-01"),
    )
    ds = m.fit(data).simulate(12, random_seed=0)
    aged = ds["aged_out"].values
    # A turns 18 on 15 June 2024 (month 3), B on 15 November 2024 (month 8)
    # (a draw may have one of them leave care earlier: no exits were seen,
    # but the posterior's hazard is small, not zero)
    assert set(np.flatnonzero(aged.sum(axis=0))) == {2, 7}
    assert (aged[:, 2] == 1).mean() > 0.9 and (aged[:, 7] == 1).mean() > 0.9


def test_not_fitted_and_bad_months():
    with pytest.raises(NotFittedError):
        PlacementFlowModel().simulate(3)
    with pytest.raises(NotFittedError):
        PlacementFlowModel().origin  # noqa: B018


def test_bad_months_refused(generated):
    m = PlacementFlowModel(n_draws=10).fit(generated[0])
    for bad in (0, -1, 2.5, "12", True):
        with pytest.raises(ConfigError, match="months"):
            m.simulate(bad)
