"""The engine projects whichever authority it is given: profile and ledger are
arguments, and a demand forecast feels the scenario's volume assumptions."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sctforecast import ConfigError, Ledger
from sctforecast.costs import PlacementCostModel, UnitCostTable
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.demand import DemandForecast
from sctforecast.mtfp import Scenario, project
from sctforecast.mtfp.lines import run_rate_costs
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.profile import AuthorityProfile

LEDGER, SANDWELL = load_outturn(), sandwell_profile()
STEADY = {"placements": {"volume_growth_sd": 0.0, "price_sd": 0.0}}
DEFAULT = Scenario.builtin()

# a smaller authority: 400 children in care, its own ledger
OTHER = AuthorityProfile.from_counts(
    "Another Trust",
    baseline_year="2023/24",
    children={
        "foster_in_house": 120,
        "foster_kinship": 80,
        "foster_ifa": 150,
        "residential_external": 30,
        "supported_accommodation": 20,
    },
    child_population=60_000,
)
OTHER_LEDGER = Ledger.from_records(
    [
        {"financial_year": "2023/24", "line": line, "kind": kind, "amount": amount}
        for line, kind, amount in [
            ("Contract Sum (basic)", "income", 40_000_000),
            ("Third-party income", "income", 3_000_000),
            ("Staffing", "expenditure", 16_000_000),
            ("Placements", "expenditure", 23_000_000),
            ("Overheads", "expenditure", 4_000_000),
            ("Opening cumulative deficit", "opening_cumulative_deficit", 0),
        ]
    ],
    origin="another trust's outturn",
)
OTHER_SCENARIO = DEFAULT.override(
    {
        **STEADY,
        "baseline": {"additional_council_funding": []},
        "contract_sum": {"amounts": {"2024/25": 41_000_000}},
    }
)


def demand_of(children_by_type, n=20, seed=0):
    """A demand forecast holding given children by type (with a little noise per draw)."""
    months = month_index(FinancialYear(2024), 5)
    rng = np.random.default_rng(seed)
    base = np.array([children_by_type.get(t, 0.0) for t in PLACEMENT_TYPES])
    kids = (
        base[None, None, :] * rng.uniform(0.95, 1.05, size=(n, 1, 1)) * np.ones((1, len(months), 1))
    )
    days = kids * months.days_in_month.to_numpy()[None, :, None]
    ds = xr.Dataset(
        {
            "children": (("draw", "month", "placement_type"), kids),
            "placement_days": (("draw", "month", "placement_type"), days),
        },
        coords={"month": [str(m) for m in months], "placement_type": list(PLACEMENT_TYPES)},
    )
    return DemandForecast(ds, source="test draws")


def test_another_authority_is_costed_and_staffed_from_its_own_profile():
    p = project(OTHER_LEDGER, OTHER_SCENARIO, profile=OTHER, random_seed=1)
    cal = p.calibration
    assert cal.modelled_pence == 23_000_000_00  # calibrated to its own placements line
    assert (
        cal.table.set_index("placement_type").loc["supported_accommodation_uasc", "placement_days"]
        == 0
    )
    # the run rate is its own 400 children, priced by its own calibration
    expected = run_rate_costs(cal.model, OTHER, [FinancialYear(2024)])[0]
    assert p.line("placements", "2024/25")[0] / 100 == pytest.approx(expected, abs=0.01)
    # staffing: its own baseline, grown by the pay award; no extra workers at its own 400
    assert p.line("staffing", "2024/25")[0] == 16_000_000_00 * 103 // 100
    assert p.profile_name == "Another Trust" and "Another Trust" in p.text
    assert p.contract_sum_assumptions[0].endswith("another trust's outturn")


def test_staffing_follows_children_in_care_against_the_profiles_own_baseline():
    """Reported: children in care were compared with Sandwell's ~805 whatever the data."""
    same = demand_of(OTHER.children)  # about 400 children on every draw
    p = project(OTHER_LEDGER, OTHER_SCENARIO, profile=OTHER, demand=same, random_seed=1)
    cic = same.children_in_care_draws([FinancialYear(2024)])[:, 0]
    extra = (cic - 400) / 15 * 60_000 * 1.07 * 1.03
    np.testing.assert_allclose(
        p.line("staffing", "2024/25") / 100, 16_000_000 * 1.03 + extra, atol=0.01
    )
    assert abs(extra).max() < 0.06 * 400 / 15 * 60_000 * 1.1  # nowhere near 405 children short


def test_volume_growth_scales_the_demand_draws():
    """Reported: high_demand wrote the same tables as default when a forecast was given."""
    d = demand_of(SANDWELL.children, n=30)
    base = DEFAULT.override(STEADY)
    high = Scenario.builtin("high_demand").override(STEADY)
    a = project(LEDGER, base, profile=SANDWELL, demand=d, random_seed=2)
    b = project(LEDGER, high, profile=SANDWELL, demand=d, random_seed=2)
    for k, y in enumerate(a.years[1:], start=1):
        np.testing.assert_allclose(
            b.line("placements", y) / a.line("placements", y), 1.05**k, rtol=1e-9
        )
        assert (b.line("staffing", y) > a.line("staffing", y)).all()
    # and with the built-ins as they are (3% volume noise), high_demand still differs
    a = project(LEDGER, DEFAULT, profile=SANDWELL, demand=d, random_seed=2)
    b = project(LEDGER, Scenario.builtin("high_demand"), profile=SANDWELL, demand=d, random_seed=2)
    assert not np.array_equal(a.draws["placements"].values, b.draws["placements"].values)
    ratio = b.line("placements", "2026/27").mean() / a.line("placements", "2026/27").mean()
    assert ratio == pytest.approx(1.05**3, rel=0.01)


def test_uasc_income_follows_the_profiles_uasc_children():
    grant = {
        "third_party_income": [{"name": "G", "rule": "per_uasc_child_week", "weekly_rate": 1_000}]
    }
    with_grant = project(OTHER_LEDGER, OTHER_SCENARIO.override(grant), profile=OTHER, random_seed=1)
    without = project(OTHER_LEDGER, OTHER_SCENARIO, profile=OTHER, random_seed=1)
    np.testing.assert_array_equal(  # Another Trust has no UASC children
        with_grant.draws["third_party_income"].values, without.draws["third_party_income"].values
    )


def test_a_cost_model_given_is_used_as_given():
    doubled = PlacementCostModel(UnitCostTable.default().scaled(2.0))
    p = project(LEDGER, DEFAULT.override(STEADY), profile=SANDWELL, cost_model=doubled)
    assert p.calibration is None
    expected = run_rate_costs(doubled, SANDWELL, [FinancialYear(2024)])[0]
    assert p.line("placements", "2024/25")[0] / 100 == pytest.approx(expected, abs=0.01)


def test_the_engine_refuses_what_it_cannot_use():
    s = DEFAULT
    with pytest.raises(ConfigError, match="baseline ledger must be a sctforecast.Ledger"):
        project(None, s, profile=SANDWELL)
    with pytest.raises(ConfigError, match="profile must be a sctforecast.profile.AuthorityProfile"):
        project(LEDGER, s, profile="Sandwell")
    with pytest.raises(TypeError, match="profile"):
        project(LEDGER, s)  # the authority is never assumed
    with pytest.raises(
        ConfigError, match="placements.method = 'growth' cannot use a demand forecast"
    ):
        project(
            LEDGER,
            s.override({"placements": {"method": "growth"}}),
            profile=SANDWELL,
            demand=demand_of(SANDWELL.children),
        )
    older = AuthorityProfile.from_counts(
        "Old", baseline_year="2022/23", children={"foster_ifa": 10}, child_population=1000
    )
    with pytest.raises(
        ConfigError, match="describes 2022/23, but the scenario's baseline_year is 2023/24"
    ):
        project(LEDGER, s, profile=older)
    with pytest.raises(ConfigError, match="draws must be a whole number of at least 1"):
        project(LEDGER, s, profile=SANDWELL, draws=0)


def test_profile_assumptions_travel_with_the_embedded_default():
    a = SANDWELL.assumptions
    assert isinstance(a, pd.DataFrame) and len(a) >= 5
    assert SANDWELL.children_in_care == pytest.approx(808)
