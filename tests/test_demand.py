"""Demand models: the placement-level model (fast).  The aggregate model's tests
are in tests/test_aggregate_*.py."""

import numpy as np
import pytest

from sctforecast import ConfigError, NotFittedError
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.mtfp import Scenario, project
from sctforecast.periods import FinancialYear
from sctforecast.ssda903 import read_ssda903, synthetic_ssda903, write_ssda903


def test_not_fitted():
    with pytest.raises(NotFittedError):
        PlacementFlowModel().simulate(3)


# --- placement-level model ------------------------------------------------------------
@pytest.fixture(scope="module")
def placement_data(tmp_path_factory):
    h, e, truth = synthetic_ssda903(years=8, initial_children=800, random_seed=11)
    root = tmp_path_factory.mktemp("pl")
    write_ssda903(h, e, root)
    return read_ssda903(root), truth


def test_placement_model_recovers_entry_rates(placement_data):
    data, truth = placement_data
    m = PlacementFlowModel(n_draws=2000).fit(data, since="2016-04-01")
    entries = m.rates(ci_prob=0.99).query("flow == 'entries'")
    total = truth.entry_rate.sum()  # children a month, all ages
    assert entries["current_lower"].sum() < total < entries["current_upper"].sum()
    assert abs(entries["window_mean"].sum() / total - 1) < 0.05
    assert m.posterior.months == 96


def test_placement_simulation(placement_data):
    data, _ = placement_data
    m = PlacementFlowModel(n_draws=200).fit(data, since="2016-04-01")
    ds = m.simulate(24, random_seed=1)
    assert ds["children"].dims == ("draw", "month", "placement_type")
    assert ds["month"].values[0] == "2024-04"
    total = ds["children"].sum("placement_type").values
    start = m.start_state.sum()
    change = ds["entries"].values.cumsum(axis=1) - ds["exits"].values.cumsum(axis=1)
    np.testing.assert_array_equal(total, start + change)  # children are conserved
    f = m.forecast(24)
    assert {"children: total", "entries", "exits"} <= set(f["measure"])
    demand = m.demand("2024/25", 5)
    p = project(
        load_outturn(), Scenario.builtin(), profile=sandwell_profile(), demand=demand, random_seed=2
    )
    assert p.n_draws == 200
    later = m.demand("2025/26", 3)  # forecasts through 2024/25 and keeps whole later years
    assert later.placement_days_draws(FinancialYear(2025), 3).sizes["month"] == 36
    with pytest.raises(
        ConfigError, match="cannot feed a plan whose first projected year is 2023/24"
    ):
        m.demand("2023/24", 3)
