"""Calibration to the ledger lands inside the public unit-cost ranges, and says so."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sctforecast import ConfigError, DataQualityWarning, DataValidationError
from sctforecast.costs import PlacementCostModel, UnitCostTable, activity_from_counts, calibrate
from sctforecast.costs.calibrate import CALIBRATION_COLUMNS
from sctforecast.datasets import ACTIVITY_ASSUMPTIONS, sandwell_profile
from sctforecast.datasets.sandwell import UNSPLIT_SPLIT

PROFILE = sandwell_profile()
MODEL = PlacementCostModel()
PLACEMENTS_2023_24 = 48_565_330  # 004 Section (e), provisional outturn


def calibrated(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # any warning fails the test
        return calibrate(MODEL, PROFILE.activity, target=PLACEMENTS_2023_24, year="2023/24", **kw)


def test_every_implied_weekly_cost_is_within_its_public_range():
    """004 Section (e): placements 48,565,330 in 2023/24; the mix of 004 Section (f) with
    the gap-filling assumptions of ACTIVITY_ASSUMPTIONS.  Reproduced to the penny, with
    every type that has activity and a public range inside that range, no warning."""
    cal = calibrated()
    assert cal.modelled_pence == PLACEMENTS_2023_24 * 100
    assert cal.model.cost(PROFILE.activity).total_pence("2023/24") == PLACEMENTS_2023_24 * 100
    t = cal.table.set_index("placement_type")
    checked = t[t["in_public_range"].notna()]
    assert set(checked.index) == {
        "residential_external",
        "foster_in_house",
        "foster_kinship",
        "foster_ifa",
        "supported_accommodation",
        "supported_accommodation_uasc",
    }
    assert checked["in_public_range"].all()
    tol = 1e-6
    assert (checked["calibrated_weekly"] >= checked["public_low_weekly"] * (1 - tol)).all()
    assert (checked["calibrated_weekly"] <= checked["public_high_weekly"] * (1 + tol)).all()
    # the figures the brief quotes: in-house foster at most 750 a week, not 871
    assert t.loc["foster_in_house", "calibrated_weekly"] == pytest.approx(750, abs=0.01)
    assert t.loc["residential_external", "calibrated_weekly"] == pytest.approx(6108, abs=0.01)
    assert 550 < t.loc["foster_kinship", "calibrated_weekly"] < 560
    assert cal.outside_public_range.empty
    assert "OUTSIDE" not in cal.text and "public 350 to 750" in cal.text


def test_least_squares_keeps_relative_costs_where_the_ranges_allow():
    cal = calibrated()
    t = cal.table.set_index("placement_type")
    inside = t[t["adjusted"]]
    at_edge = np.isclose(inside["calibrated_weekly"], inside["public_high_weekly"]) | np.isclose(
        inside["calibrated_weekly"], inside["public_low_weekly"]
    )
    free = inside[~at_edge]
    assert len(free) >= 3
    assert np.allclose(free["factor"], free["factor"].iloc[0])  # one common factor
    # and it is the minimiser: moving cost between two free types (same total) is worse
    cost = free["calibrated_cost_pence"].to_numpy() / free["factor"].to_numpy()
    x = free["factor"].to_numpy()

    def objective(f):
        return float(np.sum(cost * (f - 1) ** 2))

    nudged = x.copy()
    nudged[0] += 0.01 / cost[0]
    nudged[1] -= 0.01 / cost[1]
    assert objective(nudged) > objective(x)


def test_the_scale_method_warns_naming_the_type_its_cost_and_the_range():
    with pytest.warns(DataQualityWarning) as caught:
        cal = calibrate(
            MODEL, PROFILE.activity, target=PLACEMENTS_2023_24, year="2023/24", method="scale"
        )
    messages = [str(w.message) for w in caught]
    assert any(
        "foster_in_house costs 828 a week in 2023/24 prices, outside its public range 350 to 750"
        in m
        for m in messages
    )
    assert any("residential_external costs 6,560 a week" in m for m in messages)
    assert set(cal.outside_public_range["placement_type"]) == {
        "foster_in_house",
        "residential_external",
    }
    assert "OUTSIDE" in cal.text


def test_a_target_out_of_reach_warns_or_raises():
    with pytest.warns(DataQualityWarning, match="out of reach within the public ranges"):
        cal = calibrate(MODEL, PROFILE.activity, target=90_000_000, year="2023/24")
    assert cal.modelled_pence == 90_000_000_00  # still to the penny
    with pytest.raises(ConfigError, match="out of reach.*pass strict=False"):
        calibrate(MODEL, PROFILE.activity, target=20_000_000, year="2023/24", strict=True)


def test_unsplit_children_are_costed_not_put_at_zero():
    """The ~118 children 004 does not split by placement are shared over the types they
    can be in (UNSPLIT_SPLIT), so they carry the typical cost of those types."""
    assert sum(UNSPLIT_SPLIT.values()) == pytest.approx(1.0)
    kids = PROFILE.children
    counted = sum(
        kids[t]
        for t in (
            "foster_in_house",
            "foster_kinship",
            "foster_ifa",
            "residential_external",
            "supported_accommodation_uasc",
        )
    )
    assert PROFILE.children_in_care == pytest.approx(808)
    unsplit = sum(kids[t] for t in UNSPLIT_SPLIT)
    assert unsplit == pytest.approx(808 - counted)
    for t, share in UNSPLIT_SPLIT.items():
        assert kids[t] == pytest.approx(unsplit * share)
    days = PROFILE.activity.sum("month").to_series()
    assert days[list(UNSPLIT_SPLIT)].sum() / 366 == pytest.approx(117.2, abs=0.5)
    cal = calibrated()
    t = cal.table.set_index("placement_type")
    unsplit_cost = t.loc[list(UNSPLIT_SPLIT), "calibrated_cost_pence"].sum() / 100
    per_week = unsplit_cost / (days[list(UNSPLIT_SPLIT)].sum() / 7)
    assert 300 < per_week < 600  # the typical cost of the types they could be in
    text = " ".join(ACTIVITY_ASSUMPTIONS["assumption"])
    assert "not at zero" in text and all(t in text for t in UNSPLIT_SPLIT)


def test_public_ranges_are_uprated_and_cite_sources():
    t = UnitCostTable.default()
    r = t.ranges("2023/24").set_index("placement_type")
    # Lincolnshire FOI (2022/23): 550 to 972, uprated by the 2023/24 foster rate (3%)
    assert r.loc["foster_ifa", "low_weekly"] == pytest.approx(550 * 1.03)
    assert r.loc["foster_ifa", "high_weekly"] == pytest.approx(972 * 1.03)
    assert r.loc["foster_in_house", ["low_weekly", "high_weekly"]].tolist() == [350, 750]
    known = r[r["low_weekly"].notna()]
    assert (known["range_source"].str.len() > 20).all()
    r25 = t.ranges("2024/25").set_index("placement_type")
    assert r25.loc["residential_external", "high_weekly"] == pytest.approx(6108 * 1.092)


def test_bad_public_ranges(tmp_path):
    t = UnitCostTable.default()
    w = t.weekly.copy()
    w.loc[3, ["low_weekly", "high_weekly"]] = [900.0, 400.0]
    w.loc[5, "high_weekly"] = np.nan
    with pytest.raises(DataValidationError) as info:
        UnitCostTable.from_frames(w, t.inflation)
    msg = str(info.value)
    assert "row 5, foster_in_house: public range 900.0 to 400.0 is not" in msg
    assert "row 7, foster_ifa: a public range needs both low_weekly and high_weekly" in msg


def test_a_table_without_ranges_has_nothing_to_check():
    t = UnitCostTable.default()
    bare = UnitCostTable.from_frames(
        t.weekly[["placement_type", "weekly_cost", "price_year", "basis", "source"]], t.inflation
    )
    months = pd.period_range("2023-04", periods=12, freq="M")
    act = activity_from_counts(pd.DataFrame({"foster_ifa": 100.0}, index=months))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        cal = calibrate(
            PlacementCostModel(bare), act, target=10_000_000, year="2023/24", method="scale"
        )
    assert cal.table["in_public_range"].isna().all()
    assert cal.outside_public_range.empty
    assert "no public range" in cal.text


def test_with_inflation_replaces_the_rates_of_the_years_given():
    t = UnitCostTable.default().with_inflation({"2024/25": 0.10}, source="scenario")
    w = t.weekly_costs(["2023/24", "2024/25", "2025/26"])
    assert (w["2024/25"] / w["2023/24"]).dropna().round(12).eq(1.10).all()
    # other years keep the table's own rates
    assert w.loc["foster_ifa", "2025/26"] / w.loc["foster_ifa", "2024/25"] == pytest.approx(1.0355)
    with pytest.raises(DataValidationError, match="above -100%"):
        UnitCostTable.default().with_inflation({"2024/25": -1.5})


def test_calibration_columns_are_pinned():
    assert list(calibrated().table.columns) == list(CALIBRATION_COLUMNS)
    assert CALIBRATION_COLUMNS[:7] == (
        "placement_type",
        "placement_days",
        "default_weekly",
        "factor",
        "calibrated_weekly",
        "calibrated_cost_pence",
        "adjusted",
    )


def test_no_engine_module_imports_the_embedded_authority():
    """costs/ and mtfp/ take a profile and a ledger; they never import sctforecast.datasets."""
    root = Path(__file__).resolve().parent.parent / "sctforecast"
    offenders = []
    for folder in ("costs", "mtfp"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                offenders += [
                    f"{path.name}: {n}" for n in names if n.startswith("sctforecast.datasets")
                ]
    assert offenders == []
