"""CareFlowModel plumbing with pinned posteriors (fast): the DemandModel
protocol, the placement split, options, summaries, save and load."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _aggregate import pinned_model, pinned_posterior

from sctforecast import ConfigError, DataValidationError, ModelVersionError, NotFittedError
from sctforecast.datasets import load_outturn, sandwell_care_flows, sandwell_profile
from sctforecast.demand import (
    CareFlowConfig,
    CareFlowModel,
    DemandForecast,
    DemandModel,
    PopulationProjection,
    kpi_band_probabilities,
    summarise_draws,
)
from sctforecast.mtfp import Scenario, project
from sctforecast.periods import FinancialYear

SANDWELL = sandwell_care_flows()
MIX = sandwell_profile().mix


@pytest.fixture(scope="module")
def model():
    return pinned_model(SANDWELL, mix=MIX)


def test_not_fitted_and_bad_config():
    with pytest.raises(NotFittedError, match=r"call .fit\(data"):
        CareFlowModel().forecast(12)
    with pytest.raises(ConfigError) as info:
        CareFlowConfig(
            draws=0, target_accept=1.2, sampler="magic", level_prior_sd=-1, uasc_ceiling_share=2
        )
    msg = str(info.value)
    for part in (
        "draws must be a positive whole number",
        "target_accept",
        "sampler",
        "level_prior_sd",
        "uasc_ceiling_share",
    ):
        assert part in msg
    with pytest.raises(DataValidationError, match="fit\\(\\) takes CareFlowData"):
        CareFlowModel().fit(SANDWELL.to_frame(), random_seed=1)
    with pytest.raises(ConfigError, match="no UASC counts"):
        CareFlowModel(CareFlowConfig(uasc_ceiling_share=0.001)).fit(SANDWELL.head(3), random_seed=1)
    with pytest.raises(DataValidationError, match="lacks uasc0"):
        post = pinned_posterior(SANDWELL)
        del post["uasc0"]
        CareFlowModel.from_posterior(SANDWELL, post)


def test_forecast_draws_follow_the_protocol(model):
    """Children by placement type from the month after the data; UASC in their own type."""
    assert isinstance(model, DemandModel)
    ds = model.forecast_draws(60, random_seed=1)
    assert ds["children"].dims == ("draw", "month", "placement_type")
    assert ds["placement_days"].dims == ("draw", "month", "placement_type")
    assert ds["entries"].dims == ("draw", "month") and ds.sizes["draw"] == 400
    assert ds["month"].values[0] == "2024-04" and ds["month"].values[-1] == "2029-03"
    total = ds["children"].sum("placement_type").values
    np.testing.assert_allclose(total, ds["children_in_care"].values)
    uasc = ds["children"].sel(placement_type="supported_accommodation_uasc").values
    np.testing.assert_allclose(uasc, ds["uasc_in_care"].values)
    others = (
        ds["children"].drop_sel(placement_type="supported_accommodation_uasc").sum("placement_type")
    )
    np.testing.assert_allclose(others.values, total - uasc)
    foster = ds["children"].sel(placement_type="foster_ifa").values / (total - uasc)
    np.testing.assert_allclose(
        foster, MIX["foster_ifa"] / (1 - MIX["supported_accommodation_uasc"])
    )
    np.testing.assert_allclose(ds["rate_per_10k"].values, total / 85_824 * 1e4)
    with pytest.raises(ConfigError, match="give the placement mix"):
        pinned_model(SANDWELL).forecast_draws(12)
    with pytest.raises(ConfigError, match="months must be a positive whole number"):
        model.forecast_draws(0)


def test_demand_feeds_the_mtfp(model):
    demand = model.demand("2024/25", 5, random_seed=1)
    assert isinstance(demand, DemandForecast) and demand.months[0] == pd.Period("2024-04", "M")
    p = project(
        load_outturn(), Scenario.builtin(), profile=sandwell_profile(), demand=demand, random_seed=1
    )
    assert p.n_draws == 400
    later = model.demand("2025/26", 3)
    assert later.placement_days_draws(FinancialYear(2025), 3).sizes["month"] == 36
    with pytest.raises(
        ConfigError, match="cannot feed a plan whose first projected year is 2023/24"
    ):
        model.demand("2023/24", 3)


def test_a_scaled_forecast_moves_every_count_together(model):
    """A volume scenario scales children by type and the model's own totals alike, so
    children in care still equal the children by type; the population does not move."""
    demand = model.demand("2024/25", 2, random_seed=1)
    factors = np.linspace(1.0, 1.2, demand.ds.sizes["month"])[None, :].repeat(
        demand.ds.sizes["draw"], axis=0
    )
    up = demand.scaled(factors).ds
    ds = demand.ds
    for v in ("children", "placement_days", "children_in_care", "uasc_in_care", "rate_per_10k"):
        ratio = (up[v] / ds[v]).where(ds[v] > 0)
        assert float(ratio.isel(month=-1).min()) == pytest.approx(1.2), v
    np.testing.assert_allclose(
        up["children"].sum("placement_type").values, up["children_in_care"].values, rtol=1e-9
    )
    xr.testing.assert_identical(up["population"], ds["population"])


def test_tidy_forecast_and_kpi_bands(model):
    f = model.forecast(60, ci_prob=0.9)
    assert list(f.columns) == ["period", "measure", "mean", "median", "lower", "upper", "ci_prob"]
    assert f["period"].unique().tolist() == ["2024/25", "2025/26", "2026/27", "2027/28", "2028/29"]
    assert set(f["measure"]) == {
        "entries",
        "exits",
        "children_in_care",
        "uasc_in_care",
        "rate_per_10k",
    }
    assert ((f["lower"] <= f["median"]) & (f["median"] <= f["upper"])).all()
    cic = f[f["measure"] == "children_in_care"].set_index("period")
    width = (cic["upper"] - cic["lower"]).to_numpy()
    assert width[-1] > width[0]  # intervals widen with the horizon
    ds = model.simulate(60, random_seed=0)
    yearly = summarise_draws(ds)
    entries = yearly[(yearly["measure"] == "entries") & (yearly["period"] == "2024/25")][
        "mean"
    ].iloc[0]
    assert entries == pytest.approx(ds["entries"].values[:, :12].sum(axis=1).mean())
    monthly = summarise_draws(ds, freq="month")
    assert monthly["period"].iloc[0] == "2024-04" and len(monthly) == 60 * 5
    k = kpi_band_probabilities(ds)
    assert k["month"].tolist() == ["2025-03", "2026-03", "2027-03", "2028-03", "2029-03"]
    np.testing.assert_allclose(k[["p_green", "p_amber", "p_red"]].sum(axis=1), 1.0)
    r = ds["rate_per_10k"].values[:, 11]
    assert k.loc[0, "p_green"] == pytest.approx(np.mean(r <= 94.0))
    with pytest.raises(ConfigError, match="reaches no 31 March"):
        kpi_band_probabilities(model.simulate(6))
    with pytest.raises(ConfigError, match="covers no whole financial year"):
        summarise_draws(model.simulate(6))


def test_population_projection_moves_entries_and_the_rate():
    flat = pinned_model(SANDWELL, mix=MIX)
    growing = pinned_model(
        SANDWELL,
        mix=MIX,
        population=PopulationProjection((2024, 2028), np.array([85_824.0, 94_406.0])),
    )
    a, b = flat.simulate(60, random_seed=3), growing.simulate(60, random_seed=3)
    assert (
        b["population"].values[-1] == pytest.approx(94_406.0)
        and a["population"].values[-1] == 85_824
    )
    assert b["entries"].values[:, -12:].mean() > 1.05 * a["entries"].values[:, -12:].mean()
    assert (
        "held at 85,824 (the last known)"
        in flat.assumptions.set_index("topic").loc["child population", "assumption"]
    )
    assert (
        "projection 2024 to 2028"
        in growing.assumptions.set_index("topic").loc["child population", "assumption"]
    )


def test_uasc_ceiling_option_caps_uasc_in_care():
    post = {"uasc_entries": np.full((2, 200), 90.0)}
    free = pinned_model(SANDWELL, mix=MIX, **post).simulate(60, random_seed=1)
    capped = pinned_model(
        SANDWELL, mix=MIX, config=CareFlowConfig(uasc_ceiling_share=0.001), **post
    ).simulate(60, random_seed=1)
    assert free["uasc_in_care"].values[:, -1].mean() > 100
    assert capped["uasc_in_care"].values.max() <= 85.824 + 1e-9
    assert (
        capped["children_in_care"].values[:, -1].mean()
        < free["children_in_care"].values[:, -1].mean() - 20
    )


def test_level_prior_sd_option_changes_the_model():
    import pymc as pm

    wide = CareFlowModel(CareFlowConfig(level_prior_sd=1.0)).build(SANDWELL)
    narrow = CareFlowModel(CareFlowConfig(level_prior_sd=0.1)).build(SANDWELL)
    sd = [pm.draw(m["entry_level"], 4000, random_seed=1).std() for m in (wide, narrow)]
    assert sd[0] == pytest.approx(1.0, rel=0.05) and sd[1] == pytest.approx(0.1, rel=0.05)
    assert CareFlowConfig(level_prior_sd=1.0).hash != CareFlowConfig().hash


def test_gap_summary_reports_each_published_stock(model):
    g = model.gap_summary()
    assert list(g.columns) == ["quantity", "published", "mean", "lower", "upper"]
    rows = g.set_index("quantity")
    assert rows.loc["gap on 2019-07-15", "published"] == 937
    assert rows.loc["gap on 2019-07-15", "lower"] < rows.loc["gap on 2019-07-15", "upper"]
    assert {"gap: mean over published stocks", "gap: drift a year"} <= set(g["quantity"])
    raw = g[g["quantity"].str.startswith("published gap")]["published"].tolist()
    assert raw == [-13, 21, 6, -6, 5, -3]


def test_posterior_predictive_and_plots(model):
    ppc = model.posterior_predictive(random_seed=1)
    assert ppc["entries"].sizes["flow"] == 8 and ppc["stock"].sizes["published_stock"] == 15
    assert "12 months to 2022-07" in ppc["flow"].values
    assert len(model.plot_ppc().collections) >= 2
    assert len(model.plot_stock().collections) >= 1


def test_save_and_load_round_trip(tmp_path, model):
    m = pinned_model(
        SANDWELL,
        mix=MIX,
        config=CareFlowConfig(uasc_ceiling_share=0.001),
        population=PopulationProjection(
            (2024, 2030), np.array([85_824.0, 90_000.0]), source="test"
        ),
    )
    path = m.save(tmp_path / "model.nc")
    back = CareFlowModel.load(path)
    assert back.config == m.config and back.mix == m.mix and back.data.periods == m.data.periods
    assert back.population.years == (2024, 2030) and back.population.source == "test"
    pd.testing.assert_frame_equal(back.data.stock_points, m.data.stock_points)
    xr.testing.assert_equal(
        m.forecast_draws(24, random_seed=3), back.forecast_draws(24, random_seed=3)
    )
    # the loaded posterior is wrapped by ArviZ only when asked for, and is the saved one
    assert back._idata is None
    xr.testing.assert_allclose(back.idata.posterior, m.idata.posterior)
    assert back.posterior_dataset() is back.idata.posterior


def test_load_refuses_other_versions_and_files(tmp_path, model):
    path = model.save(tmp_path / "model.nc")
    ds = xr.load_dataset(path, engine="h5netcdf")
    version = ds.attrs["sctforecast_version"]
    ds.attrs["sctforecast_version"] = "0.9.0"
    ds.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    with pytest.raises(ModelVersionError, match="saved by sctforecast 0.9.0"):
        CareFlowModel.load(tmp_path / "old.nc")
    ds.attrs["sctforecast_version"] = version
    ds.attrs["config_json"] = ds.attrs["config_json"].replace(
        '"level_prior_sd": 0.25', '"level_prior_sd": 0.5'
    )
    ds.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(ModelVersionError, match="does not match its hash"):
        CareFlowModel.load(tmp_path / "edited.nc")
    ds = xr.load_dataset(path, engine="h5netcdf")
    ds.attrs["sctforecast_layout"] = "trend-1"
    ds.to_netcdf(tmp_path / "layout.nc", engine="h5netcdf")
    with pytest.raises(ModelVersionError, match="model layout 'trend-1'"):
        CareFlowModel.load(tmp_path / "layout.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(DataValidationError, match="not a saved sctforecast model"):
        CareFlowModel.load(tmp_path / "junk.nc")
