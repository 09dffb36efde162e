"""Rolling-origin backtest of the placement model, and the forecasts it is scored against."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sctforecast import ConfigError, DataValidationError
from sctforecast.demand import PlacementFlowModel
from sctforecast.demand.backtest import (
    GROUPS,
    METHODS,
    PlacementBacktest,
    backtest_placement,
    truncate,
)
from sctforecast.demand.baselines import deterministic_forecast, flat_forecast
from sctforecast.demand.flows import AGE_BINS, FlowCounts
from sctforecast.demand.placement_backtest import TABLE_COLUMNS, _score, origins_of
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903 import read_ssda903, synthetic_ssda903, write_ssda903

T = len(PLACEMENT_TYPES)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    h, e, _ = synthetic_ssda903(
        years=6, initial_children=400, random_seed=8, history_years=6, exit_trend=0.1
    )
    root = tmp_path_factory.mktemp("bt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_ssda903(h, e, root, by_collection_year=True, missing_open=0.02, random_seed=8)
        return read_ssda903(root)


def test_truncate_is_the_returns_as_they_stood(data):
    cut = pd.Timestamp("2019-03-31")
    past = truncate(data, cut)
    e = past.episodes
    assert (e["start"] <= cut).all()
    assert e["end"].dropna().le(cut).all()  # ended by then, or open
    opened = e["end"].isna() & data.episodes.loc[e.index, "end"].notna()
    assert opened.any() and (e.loc[opened, "rec"] == "").all()
    assert past.observed_to == cut and past.observed_from == data.observed_from
    with pytest.raises(DataValidationError, match="before they start observing"):
        truncate(data, "2015-03-31")


def test_origins(data):
    ends = origins_of(data, k=3, every=12, horizon=12)
    assert [str(o.date()) for o in ends] == ["2019-03-31", "2020-03-31", "2021-03-31"]
    halves = origins_of(data, k=4, every=6, horizon=12)
    assert [str(o.date()) for o in halves] == [
        "2019-09-30",
        "2020-03-31",
        "2020-09-30",
        "2021-03-31",
    ]
    assert len(origins_of(data, k=50, every=12, horizon=12)) == 5
    with pytest.raises(ConfigError, match="every"):
        origins_of(data, k=3, every=5, horizon=12)
    with pytest.raises(ConfigError, match="horizon"):
        origins_of(data, k=3, every=12, horizon=0)
    with pytest.raises(DataValidationError, match="too short"):
        origins_of(data, k=3, every=12, horizon=72)


def counts_with(*, months=6, stock, entries, leave, move=None):
    """FlowCounts of a steady window: ``entries`` a month by type; ``leave``
    and ``move`` the share of the stock a month."""
    M = months
    z = np.zeros((M, 5, T))
    exposure, ent, exits = z.copy(), z.copy(), z.copy()
    exposure[:, 3] = stock
    ent[:, 3] = entries
    exits[:, 3] = stock * leave
    mv = np.zeros((M, 5, T, T))
    if move is not None:
        mv[:, 3] = stock[:, None] * move
    start = np.zeros((AGE_BINS, T))
    start[12] = stock
    return FlowCounts(
        months=pd.period_range("2023-10", periods=M, freq="M"),
        entries=ent,
        exits=exits,
        aged_out=z.copy(),
        closed=z.copy(),
        moves=mv,
        exposure=exposure,
        entry_age=np.ones((5, AGE_BINS)),
        start_state=start,
        stock=np.broadcast_to(stock, (M + 1, T)).copy(),
    )


def test_deterministic_method_holds_six_month_rates():
    stock = np.zeros(T)
    stock[3], stock[5] = 100.0, 50.0
    entries = np.zeros(T)
    entries[3] = 2.0
    leave = np.zeros(T)
    leave[3] = 0.02
    move = np.zeros((T, T))
    move[3, 5] = 0.01
    c = counts_with(stock=stock, entries=entries, leave=leave, move=move)
    out = deterministic_forecast(c, 3)
    # month 1: 100 - 2 leave - 1 moves + 2 enter = 99 in type 3; 50 + 1 in type 5
    np.testing.assert_allclose(out[0, [3, 5]], [99.0, 51.0])
    np.testing.assert_allclose(out[1, 3], 99 - 99 * 0.03 + 2)
    np.testing.assert_array_equal(flat_forecast(c, 3), np.broadcast_to(stock, (3, T)))
    with pytest.raises(ConfigError, match="window"):
        deterministic_forecast(c, 3, window=0)


def test_scores():
    t = pd.DataFrame(
        {
            "group": ["total"] * 4,
            "method": ["model", "model", "flat", "flat"],
            "actual": [100.0, 200.0, 100.0, 200.0],
            "forecast": [110.0, 200.0, 100.0, 150.0],
            "covered": [True, False, False, False],
        }
    )
    s = _score(t).set_index("method")
    assert s.loc["model", "mape"] == pytest.approx(5.0)
    assert s.loc["flat", "mape"] == pytest.approx(12.5)
    assert s.loc["model", "coverage"] == 0.5 and np.isnan(s.loc["flat", "coverage"])


def test_backtest_on_returns(data):
    bt = backtest_placement(
        data, origins=2, every=12, horizon=12, model=PlacementFlowModel(n_draws=300)
    )
    assert isinstance(bt, PlacementBacktest) and len(bt.origins) == 2
    t = bt.table
    assert tuple(t.columns) == TABLE_COLUMNS
    assert len(t) == 2 * 12 * len(GROUPS) * len(METHODS)
    model = t[t["method"] == "model"]
    assert (model["lower"] <= model["forecast"]).all() and (
        model["forecast"] <= model["upper"]
    ).all()
    assert t.loc[t["method"] != "model", "lower"].isna().all()
    # the actuals are the same for every method, and the total adds up the categories
    wide = t[t["method"] == "flat"].pivot_table(
        index=["origin", "month"], columns="group", values="actual"
    )
    np.testing.assert_array_equal(wide["total"], wide[list(GROUPS[:-1])].sum(axis=1))
    # intervals of the total come from its own draws: narrower than summed bounds
    tot = model[model["group"] == "total"].set_index(["origin", "month"])
    cats = model[model["group"] != "total"].groupby(["origin", "month"])[["lower", "upper"]].sum()
    assert ((tot["upper"] - tot["lower"]) < (cats["upper"] - cats["lower"])).all()
    s = bt.summary
    assert set(s["group"]) == set(GROUPS) and (s["mape"] >= 0).all()
    assert "total: model MAPE" in bt.text and "origin(s)" in bt.text
    # a narrower interval is narrower, from the same draws
    half = backtest_placement(
        data, origins=2, horizon=12, model=PlacementFlowModel(n_draws=300), ci_prob=0.5
    ).table
    m50 = half[half["method"] == "model"]
    assert (
        (m50["upper"] - m50["lower"]).to_numpy() <= (model["upper"] - model["lower"]).to_numpy()
    ).all()
    np.testing.assert_array_equal(m50["forecast"], model["forecast"])
    # a different model setting changes the scores
    fixed = backtest_placement(
        data,
        origins=2,
        horizon=12,
        model=PlacementFlowModel(n_draws=300, drift=0.0, month_effect=0.0),
    )
    assert not fixed.table["upper"].equals(bt.table["upper"])
