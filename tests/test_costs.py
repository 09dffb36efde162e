import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from sctforecast import DataQualityWarning, DataValidationError
from sctforecast.costs import (
    PLACEMENT_TYPES,
    Contribution,
    HighCostPlacement,
    Move,
    PlacementCostModel,
    UnitCostTable,
    activity_from_counts,
    activity_from_placements,
    calibrate,
    cost_kernel,
    mix_scenario,
    price_volume_mix,
)
from sctforecast.costs.activity import move_children
from sctforecast.datasets import sandwell_activity_2023_24
from sctforecast.ssda903 import PlacementMapping

MODEL = PlacementCostModel()


def counts(**kw):
    idx = pd.period_range("2023-04", periods=24, freq="M")
    return pd.DataFrame({k: [v] * 24 for k, v in kw.items()}, index=idx)


def test_default_unit_costs_cite_sources_and_uprate():
    t = UnitCostTable.default()
    assert (t.weekly["source"].str.len() > 10).all()
    assert set(t.weekly["basis"]) <= {"published", "assumption"}
    w = t.weekly_costs(["2023/24", "2024/25", "2025/26"])
    # residential_external: 6,108 (CCN 2024) at 2023/24 prices, +9.2% a year assumed after
    assert w.loc["residential_external", "2023/24"] == pytest.approx(6108)
    assert w.loc["residential_external", "2024/25"] == pytest.approx(6108 * 1.092)
    # foster: national minimum allowance uplifts +6.88% (2024/25) and +3.55% (2025/26)
    r = w.loc["foster_ifa"]
    assert r["2024/25"] / r["2023/24"] == pytest.approx(1.0688)
    assert r["2025/26"] / r["2024/25"] == pytest.approx(1.0355)
    # in-house foster 646 a week at 2017/18 prices (PSSRU 2017), uprated 3% a year to 2023/24
    assert w.loc["foster_in_house", "2023/24"] == pytest.approx(646 * 1.03**6)
    # deflating runs backwards
    assert t.weekly_costs(["2022/23"]).loc["residential_external", "2022/23"] == pytest.approx(
        6108 / 1.092
    )


def test_part_year_and_full_year_effect():
    pl = pd.DataFrame(
        {"start": ["2024-01-01"], "end": [None], "placement_type": ["residential_external"]}
    )
    act = activity_from_placements(pl, first_year="2023/24", n_years=2)
    t = MODEL.cost(act).table()
    res = t[t["placement_type"] == "residential_external"].set_index("financial_year")
    assert res.loc["2023/24", "placement_days"] == 91  # January to March 2024 (leap year)
    assert res.loc["2024/25", "placement_days"] == 365
    assert res.loc["2023/24", "gross_pence"] == round(91 * 6108 / 7 * 100)
    assert res.loc["2024/25", "gross_pence"] == round(365 * 6108 * 1.092 / 7 * 100)


def test_end_date_is_exclusive():
    pl = pd.DataFrame(
        {"start": ["2023-04-01"], "end": ["2023-04-11"], "placement_type": ["foster_ifa"]}
    )
    act = activity_from_placements(pl, first_year="2023/24", n_years=1)
    assert float(act.sum()) == 10


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1e4), min_size=12, max_size=12),
    st.floats(0.1, 10),
    st.floats(0, 1e3),
)
def test_cost_is_linear_in_days_and_rates(days, k, rate):
    d = np.array(days).reshape(1, 12)
    g1, _, _ = cost_kernel(d, np.full((1, 12), rate))
    g2, _, _ = cost_kernel(k * d, np.full((1, 12), rate))
    g3, _, _ = cost_kernel(d, np.full((1, 12), k * rate))
    np.testing.assert_allclose(g2, k * g1, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(g3, k * g1, rtol=1e-12, atol=1e-9)
    g0, c0, n0 = cost_kernel(
        np.zeros((1, 12)), np.full((1, 12), rate), np.full((1, 12), 0.3), np.full((1, 12), 50)
    )
    assert not g0.any() and not c0.any() and not n0.any()


def test_draws_cost_the_same_as_single_sets():
    base = activity_from_counts(counts(foster_ifa=300, residential_external=60))
    rng = np.random.default_rng(1)
    draws = xr.concat([base * f for f in rng.uniform(0.8, 1.2, 25)], dim="draw")
    res = MODEL.cost(draws)
    assert res.has_draws
    by = res.by_year()["gross"].sum("placement_type")
    for i in (0, 7, 24):
        single = MODEL.cost(draws.isel(draw=i)).by_year()["gross"].sum("placement_type")
        np.testing.assert_allclose(by.isel(draw=i).values, single.values, rtol=1e-12)
    s = res.summary(ci_prob=0.9)
    tot = s[(s["placement_type"] == "total") & (s["financial_year"] == "2023/24")].iloc[0]
    assert tot["lower"] <= tot["median"] <= tot["upper"]


def test_contributions_share_and_weekly_rate():
    model = MODEL.with_contributions(
        [
            Contribution("ICB health", ("residential_external",), share=0.25),
            Contribution(
                "Home Office UASC grant",
                ("supported_accommodation_uasc",),
                weekly_rate=143.0 * 7 / 7,
            ),
        ]
    )
    t = model.cost(counts(residential_external=10, supported_accommodation_uasc=5)).table()
    r = t[t["financial_year"] == "2023/24"].set_index("placement_type")
    assert r.loc["residential_external", "contributions_pence"] == round(
        r.loc["residential_external", "gross_pence"] * 0.25
    )
    uasc_days = r.loc["supported_accommodation_uasc", "placement_days"]
    # lines are rounded so the year foots: each within a penny of its exact value
    assert (
        abs(
            r.loc["supported_accommodation_uasc", "contributions_pence"] - uasc_days * 143 / 7 * 100
        )
        <= 1
    )
    assert (t["net_pence"] == t["gross_pence"] - t["contributions_pence"]).all()


def test_high_cost_placement_overrides_the_average():
    hc = HighCostPlacement("C123", "residential_external", dt.date(2023, 4, 1), None, 15_000.0)
    model = PlacementCostModel(high_cost=(hc,))
    t = (
        model.cost(counts(residential_external=10))
        .table()
        .set_index(["financial_year", "placement_type"])
    )
    days = 366
    expected = (10 * days - days) * 6108 / 7 + days * 15_000 / 7
    assert t.loc[("2023/24", "residential_external"), "gross_pence"] == round(expected * 100)
    with pytest.raises(
        DataValidationError, match="more residential_external days than the activity"
    ):
        model.cost(counts(foster_ifa=3))


def test_calibration_reproduces_the_2023_24_placements_line_to_the_penny():
    """004 Section (e): placements 48,565,330 in 2023/24, mix from 004 Section (f)."""
    act = sandwell_activity_2023_24()
    for method in ("scale", "least_squares"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)  # scale leaves the public ranges
            cal = calibrate(MODEL, act, target=48_565_330, year="2023/24", method=method)
        assert cal.modelled_pence == 48_565_330_00
        assert cal.model.cost(act).total_pence("2023/24") == 48_565_330_00
        t = cal.table.set_index("placement_type")
        assert 5_000 < t.loc["residential_external", "calibrated_weekly"] < 9_000
        assert "Implied weekly costs" in cal.text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        scale = calibrate(MODEL, act, target=48_565_330, year="2023/24", method="scale")
    f = scale.factors[scale.table.set_index("placement_type")["adjusted"]]
    assert np.allclose(f, f.iloc[0])


@settings(max_examples=25, deadline=None)
@given(
    st.integers(20_000_000, 90_000_000),
    st.integers(0, 99),
    st.sampled_from(["scale", "least_squares"]),
)
def test_calibration_hits_any_target_to_the_penny(pounds, pence, method):
    act = sandwell_activity_2023_24()
    target = f"{pounds}.{pence:02d}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # far targets leave the ranges
        cal = calibrate(MODEL, act, target=target, year="2023/24", method=method)
    assert cal.modelled_pence == pounds * 100 + pence


def test_calibration_bad_input():
    act = sandwell_activity_2023_24()
    with pytest.raises(DataValidationError, match="must be positive"):
        calibrate(MODEL, act, target=-5, year="2023/24")
    from sctforecast import ConfigError

    with pytest.raises(ConfigError, match="out of reach within the public ranges"):
        calibrate(MODEL, act, target=90_000_000, year="2023/24", strict=True)
    with pytest.raises(ConfigError, match="unknown calibration method"):
        calibrate(MODEL, act, target=1, year="2023/24", method="magic")
    with pytest.raises(ConfigError, match="bounds must satisfy"):
        calibrate(MODEL, act, target=1, year="2023/24", bounds=(1.2, 2.0))


def test_price_volume_mix_worked_example():
    """004 Section (e): residential placements 49 (March 2023) to 68 (March 2024), average
    cost up 17.6%; costed here at the CCN 6,108 a week for a full year."""
    a = {"residential_external": 49}
    b = {"residential_external": 68}
    pa = {"residential_external": 6108 * 52}
    pb = {"residential_external": 6108 * 52 * 1.176}
    br = price_volume_mix(a, pa, b, pb)
    assert br.closes
    assert br.totals["volume"] == 19 * 6108 * 52 * 100
    assert br.totals["mix"] == 0
    assert br.totals["price"] == round(68 * 6108 * 52 * 0.176 * 100)
    assert br.change_pence == br.cost_b_pence - br.cost_a_pence


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 500), st.floats(0, 2e5), st.floats(0, 2e5)),
        min_size=1,
        max_size=12,
    )
)
def test_bridge_always_closes_in_pence(rows):
    if sum(r[0] for r in rows) == 0:
        rows[0] = (1, *rows[0][1:])
    va = {f"t{i}": r[0] for i, r in enumerate(rows)}
    vb = {f"t{i}": r[1] for i, r in enumerate(rows)}
    pa = {f"t{i}": round(r[2], 2) for i, r in enumerate(rows)}
    pb = {f"t{i}": round(r[3], 2) for i, r in enumerate(rows)}
    br = price_volume_mix(va, pa, vb, pb)
    t = br.table
    assert int(t["change_pence"].sum()) == br.change_pence
    assert sum(br.totals.values()) == br.change_pence
    # each part within a penny of its exact value
    VA = sum(va.values())
    PA = sum(va[k] * pa[k] for k in va) / VA
    vol = (sum(vb.values()) - VA) * PA * 100
    assert abs(br.totals["volume"] - vol) <= len(rows) + 1e-6 * abs(vol) + 1


def test_mix_scenario_nine_local_beds():
    """Plan: up to 9 local residential beds (004). Move 9 children from external to in-house
    residential from 1 January 2024: a quarter-year effect in 2023/24, the full year after."""
    act = activity_from_counts(counts(residential_external=60))
    model = PlacementCostModel(
        unit_costs=UnitCostTable.default().with_weekly(
            "residential_in_house", 4_000, "2023/24", source="test"
        )
    )
    eff = mix_scenario(
        model, act, [Move(9, "residential_external", "residential_in_house", "2024-01-01")]
    )
    e = eff.set_index("financial_year")["effect_pence"]
    diff_week = 4_000 - 6108
    assert e["2023/24"] == round(9 * 91 * diff_week / 7 * 100)
    assert e["2024/25"] == round(9 * 365 * (4_000 * 1.092 - 6108 * 1.092) / 7 * 100)
    with pytest.raises(DataValidationError, match="not enough foster_ifa placement-days"):
        move_children(act, 5, from_type="foster_ifa", to_type="foster_in_house", start="2023-06-01")


# --- bad input ------------------------------------------------------------------------
def test_unknown_placement_codes_are_all_listed():
    m = PlacementMapping.default()
    place = pd.Series(["U4", "XX", "K2", "Q9", "XX"])
    with pytest.raises(DataValidationError, match=r"'Q9' on row\(s\) 4; 'XX' on row\(s\) 2, 5"):
        m.map_codes(place, pd.Series(["PR1"] * 5), rows=pd.Series([1, 2, 3, 4, 5]))
    with pytest.warns(DataQualityWarning, match="mapped to other_settings"):
        out = m.map_codes(place, pd.Series(["PR1"] * 5), unknown="other")
    assert out.tolist() == [
        "foster_in_house",
        "other_settings",
        "residential_in_house",
        "other_settings",
        "other_settings",
    ]


def test_default_code_mapping():
    m = PlacementMapping.default()
    place = pd.Series(
        ["U1", "U4", "U4", "U6", "K2", "K2", "K1", "H5", "H5", "P2", "P1", "A4", "R3", "R5"]
    )
    prov = pd.Series(
        [
            "PR1",
            "PR1",
            "PR4",
            "PR5",
            "PR1",
            "PR4",
            "PR3",
            "PR4",
            "PR4",
            "PR0",
            "PR0",
            "PR1",
            "PR4",
            "PR3",
        ]
    )
    uasc = pd.Series([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
    assert m.map_codes(place, prov, uasc).tolist() == [
        "foster_kinship",
        "foster_in_house",
        "foster_ifa",
        "foster_ifa",
        "residential_in_house",
        "residential_external",
        "residential_secure",
        "supported_accommodation",
        "supported_accommodation_uasc",
        "supported_accommodation_uasc",
        "placed_with_parents",
        "adoption_placement",
        "parent_and_child",
        "other_settings",
    ]


def test_mapping_file_override(tmp_path):
    p = tmp_path / "map.csv"
    p.write_text("place,provider,placement_type\nU4,*,foster_in_house\nQ1,*,other_settings\n")
    m = PlacementMapping.from_csv(p)
    assert m.map_codes(pd.Series(["Q1", "U4"]), pd.Series(["PR4", "PR4"])).tolist() == [
        "other_settings",
        "foster_in_house",
    ]
    p.write_text("place,provider,placement_type\nU4,*,fostering\n")
    with pytest.raises(
        DataValidationError, match="row 2, column placement_type: unknown type 'fostering'"
    ):
        PlacementMapping.from_csv(p)


def test_episode_ending_before_it_starts():
    pl = pd.DataFrame(
        {
            "child": ["A"],
            "start": ["2023-05-01"],
            "end": ["2023-04-01"],
            "placement_type": ["foster_ifa"],
        }
    )
    with pytest.raises(
        DataValidationError, match="end before they start.*child A 2023-05-01 to 2023-04-01"
    ):
        activity_from_placements(pl, first_year="2023/24", n_years=1)


def test_overlapping_episodes_count_no_child_twice():
    pl = pd.DataFrame(
        {
            "child": ["A", "A", "B"],
            "start": ["2023-04-01", "2023-04-21", "2023-04-01"],
            "end": ["2023-05-01", None, "2023-05-01"],
            "placement_type": ["foster_ifa", "residential_external", "foster_ifa"],
        }
    )
    with pytest.warns(DataQualityWarning, match="child A 2023-04-01: overlap"):
        act = activity_from_placements(pl, first_year="2023/24", n_years=1)
    april = act.sel(month="2023-04")
    assert float(april.sel(placement_type="foster_ifa")) == 20 + 30
    assert float(april.sel(placement_type="residential_external")) == 10
    assert float(april.sum()) == 60  # two children, 30 days each


def test_same_day_conflict_is_an_error():
    pl = pd.DataFrame(
        {
            "child": ["A", "A"],
            "start": ["2023-04-01", "2023-04-01"],
            "end": [None, None],
            "placement_type": ["foster_ifa", "residential_external"],
        }
    )
    with pytest.raises(
        DataValidationError, match="child A on 2023-04-01: foster_ifa, residential_external"
    ):
        activity_from_placements(pl, first_year="2023/24", n_years=1)


def test_bad_unit_costs(tmp_path):
    t = UnitCostTable.default()
    w = t.weekly.copy()
    w.loc[0, "weekly_cost"] = -5
    w.loc[1, "weekly_cost"] = np.nan
    with pytest.raises(DataValidationError) as info:
        UnitCostTable.from_frames(w.drop(index=11), t.inflation.rename(columns={}))
    msg = str(info.value)
    assert "row 2, column weekly_cost: negative cost -5.0 for residential_in_house" in msg
    assert "row 3, column weekly_cost" in msg and "missing or not a number" in msg
    assert "no unit cost for other_settings" in msg


def test_year_with_no_unit_cost():
    with pytest.raises(
        DataValidationError,
        match="no unit cost for residential_in_house in 2036/37: the inflation table has no rate",
    ):
        UnitCostTable.default().weekly_costs(["2040/41"])


def test_contribution_shares_above_100_percent():
    with pytest.raises(DataValidationError, match="share 1.2 is outside 0..1"):
        Contribution("ICB", ("residential_external",), share=1.2)
    with pytest.raises(
        DataValidationError, match="more than 100% of cost for residential_external 110%"
    ):
        PlacementCostModel(
            contributions=(
                Contribution("ICB", ("residential_external",), share=0.6),
                Contribution("Education", ("residential_external",), share=0.5),
            )
        )


def test_unknown_placement_type_in_activity():
    with pytest.raises(DataValidationError, match="unknown placement type"):
        activity_from_counts(
            pd.DataFrame({"fostering": [1]}, index=pd.period_range("2023-04", periods=1, freq="M"))
        )


def test_all_types_present():
    assert len(PLACEMENT_TYPES) == 12
