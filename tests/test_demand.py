"""Demand models: plumbing with pinned posteriors (fast) and real sampling (slow)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sctforecast import (
    ConfigError,
    ConvergenceWarning,
    DataValidationError,
    ModelVersionError,
    NotFittedError,
)
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.demand import (
    CareFlowConfig,
    CareFlowData,
    CareFlowModel,
    DemandForecast,
    Levers,
    kpi_band_probabilities,
)
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.demand.simulate import simulate_aggregate
from sctforecast.mtfp import Scenario, project
from sctforecast.periods import FinancialYear
from sctforecast.ssda903 import read_ssda903, synthetic_ssda903, write_ssda903

SANDWELL = CareFlowData.sandwell()


def pinned(data=SANDWELL, chains=2, draws=200, seed=0, **over):
    """A posterior pinned near values that describe the Sandwell series."""
    rng = np.random.default_rng(seed)
    K = max(data.T - 2, 0)

    def n(mu, sd, *shape):
        return rng.normal(mu, sd, size=(chains, draws, *shape))

    post = {
        "a": n(np.log(22), 0.05),
        "b": n(-0.1, 0.02),
        "delta": n(0, 0.01, K),
        "g": n(np.log(0.21), 0.03),
        "d": n(-0.02, 0.01),
        "delta_x": n(0, 0.01, K),
        "log_alpha": n(4.0, 0.1),
        "log_alpha_x": n(5.0, 0.1),
        "gap_mu": n(1.7, 2.0),
        "gap_sigma": np.abs(n(12.0, 2.0)),
    }
    post.update(over)
    return CareFlowModel.from_posterior(data, post)


def test_published_series_and_its_gap():
    """004 Section (f): 767 + 362 - 215 = 914, not 901: the gap is reported, not forced."""
    assert SANDWELL.periods == ("2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "2023/24")
    assert SANDWELL.gap.tolist() == [-13, 21, 6, -6, 5, -3]
    assert SANDWELL.stock[0] == 767 and SANDWELL.stock[-1] == 808


def test_bad_series():
    with pytest.raises(DataValidationError, match="entries is negative"):
        CareFlowData(
            ("2022/23", "2023/24", "2024/25"),
            np.array([1, -2, 3.0]),
            np.ones(3),
            np.ones(4),
            np.ones(3),
        )
    with pytest.raises(DataValidationError, match="a single year cannot show a trend"):
        CareFlowData(("2023/24",), np.ones(1), np.ones(1), np.ones(2), np.ones(1))
    with pytest.raises(
        DataValidationError, match="gap or is out of order between 2019/20 and 2021/22"
    ):
        CareFlowData(
            ("2018/19", "2019/20", "2021/22"), np.ones(3), np.ones(3), np.ones(4), np.ones(3)
        )
    with pytest.raises(DataValidationError, match="whole counts"):
        CareFlowData(
            ("2018/19", "2019/20", "2020/21"),
            np.array([1.5, 1, 1]),
            np.ones(3),
            np.ones(4),
            np.ones(3),
        )
    flows = pd.DataFrame(
        {
            "financial_year": ["2018/19", "2019/20", "2020/21"],
            "entries": [1, 2, 3],
            "exits": [1, 1, 1],
        }
    )
    stocks = pd.DataFrame(
        {"date": ["2018-03-31", "2019-03-31", "2021-03-31"], "children_in_care": [5, 6, 7]}
    )
    with pytest.raises(DataValidationError, match="children in care are missing at 31 March 2020"):
        CareFlowData.from_frames(flows, stocks, population=1000)


def test_not_fitted():
    with pytest.raises(NotFittedError, match=r"call .fit\(data"):
        CareFlowModel().forecast(3)
    with pytest.raises(NotFittedError):
        PlacementFlowModel().simulate(3)


def test_config_errors():
    with pytest.raises(ConfigError) as info:
        CareFlowConfig(draws=0, target_accept=1.2, sampler="magic")
    msg = str(info.value)
    assert (
        "draws must be a positive whole number" in msg
        and "target_accept" in msg
        and "sampler" in msg
    )


def test_forecast_from_a_pinned_posterior():
    m = pinned()
    f = m.forecast(5, ci_prob=0.9)
    assert set(f["measure"]) == {"entries", "exits", "children_in_care", "rate_per_10k"}
    assert f["period"].unique().tolist() == ["2024/25", "2025/26", "2026/27", "2027/28", "2028/29"]
    assert (f["lower"] <= f["median"]).all() and (f["median"] <= f["upper"]).all()
    cic = f[f["measure"] == "children_in_care"].set_index("period")
    assert 700 < cic.loc["2024/25", "mean"] < 900
    # intervals widen with the horizon
    width = (cic["upper"] - cic["lower"]).to_numpy()
    assert width[-1] > width[0]
    ds = m.forecast_draws(5, random_seed=1)
    assert ds["children_in_care"].dims == ("draw", "period") and ds.sizes["draw"] == 400
    np.testing.assert_allclose(
        ds["rate_per_10k"].values, ds["children_in_care"].values / 85_824 * 1e4
    )
    # same seed, same draws
    assert np.array_equal(
        ds["entries"].values, m.forecast_draws(5, random_seed=1)["entries"].values
    )


def test_kpi_band_probabilities_add_to_one():
    ds = pinned().forecast_draws(3, random_seed=2)
    k = kpi_band_probabilities(ds)
    np.testing.assert_allclose(k[["p_green", "p_amber", "p_red"]].sum(axis=1), 1.0)
    r = ds["rate_per_10k"].values[:, 0]
    assert k.loc[0, "p_green"] == pytest.approx(np.mean(r <= 94.0))


def test_levers_move_the_forecast():
    m = pinned()
    base = m.forecast_draws(3, random_seed=5)
    shock = m.forecast_draws(3, random_seed=5, levers=Levers(entry_multiplier=1.5))
    uasc = m.forecast_draws(3, random_seed=5, levers=Levers(extra_entries=30))
    fewer_exits = m.forecast_draws(3, random_seed=5, levers=Levers(exit_multiplier=0.7, start=1))
    mean = lambda ds, k="children_in_care": float(ds[k].values[:, -1].mean())  # noqa: E731
    assert mean(shock, "entries") > 1.3 * mean(base, "entries")
    assert mean(uasc) > mean(base) + 40
    assert mean(fewer_exits) > mean(base)
    assert np.array_equal(fewer_exits["exits"].values[:, 0] > -1, np.ones(400, bool))


def test_gap_is_summarised():
    g = pinned().gap_summary()
    assert g["quantity"].iloc[0] == "observed gap 2018/19" and g["mean"].iloc[0] == -13
    assert "gap per period (mean)" in g["quantity"].tolist()


def test_save_and_load_round_trip(tmp_path):
    m = pinned()
    path = m.save(tmp_path / "model.nc")
    back = CareFlowModel.load(path)
    assert back.config == m.config and back.data.periods == m.data.periods
    np.testing.assert_array_equal(back.data.stock, m.data.stock)
    a = m.forecast_draws(4, random_seed=3)
    b = back.forecast_draws(4, random_seed=3)
    xr.testing.assert_equal(a, b)


def test_load_refuses_other_versions_and_files(tmp_path):
    path = pinned().save(tmp_path / "model.nc")
    ds = xr.load_dataset(path, engine="h5netcdf")
    ds.attrs["sctforecast_version"] = "0.9.0"
    ds.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    with pytest.raises(ModelVersionError, match="saved by sctforecast 0.9.0"):
        CareFlowModel.load(tmp_path / "old.nc")
    ds.attrs["sctforecast_version"] = xr.load_dataset(path, engine="h5netcdf").attrs[
        "sctforecast_version"
    ]
    ds.attrs["config_json"] = ds.attrs["config_json"].replace("0.05", "0.5")
    ds.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(ModelVersionError, match="does not match its hash"):
        CareFlowModel.load(tmp_path / "edited.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(DataValidationError, match="not a saved sctforecast model"):
        CareFlowModel.load(tmp_path / "junk.nc")


def test_demand_feeds_the_mtfp():
    m = pinned()
    mix = sandwell_profile().mix
    demand = m.demand("2024/25", 5, mix=mix, random_seed=1)
    assert isinstance(demand, DemandForecast)
    p = project(
        load_outturn(), Scenario.builtin(), profile=sandwell_profile(), demand=demand, random_seed=1
    )
    assert p.n_draws == 400
    assert (p.line("in_year_deficit", "2023/24") == 4_253_670_00).all()
    with pytest.raises(ConfigError, match="forecast further ahead"):
        project(
            load_outturn(),
            Scenario.builtin(),
            profile=sandwell_profile(),
            demand=m.demand("2024/25", 2, mix=mix),
            random_seed=1,
        )


def test_simulation_kernel_conserves_children():
    rng = np.random.default_rng(0)
    n = 1000
    out = simulate_aggregate(
        rng,
        eta_last=np.full(n, np.log(22)),
        slope_last=np.zeros(n),
        xi_last=np.full(n, np.log(0.2)),
        xslope_last=np.zeros(n),
        alpha=np.full(n, 1e6),
        alpha_x=np.full(n, 1e6),
        gap_mu=np.zeros(n),
        gap_sigma=np.full(n, 1e-9),
        changepoint_scale=1e-9,
        stock0=800,
        population=85_824,
        horizon=4,
        dt=1.0,
    )
    s = np.concatenate([np.full((n, 1), 800.0), out["stock"]], axis=1)
    np.testing.assert_array_equal(s[:, 1:], s[:, :-1] + out["entries"] - out["exits"])
    assert abs(out["entries"].mean() - 85_824 / 1e4 * 22) < 2


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


# --- real sampling ----------------------------------------------------------------------------
A_TRUE, G_TRUE = np.log(24.0), np.log(0.22)


def synthetic_series(years=12, seed=0, a=A_TRUE, g=G_TRUE):
    """Yearly counts generated from known parameters with the model's own process."""
    rng = np.random.default_rng(seed)
    pop, stock = 85_000.0, [800.0]
    entries, exits = [], []
    for _ in range(years):
        e = rng.poisson(rng.gamma(60.0, pop / 1e4 * np.exp(a) / 60.0))
        x = rng.poisson(rng.gamma(150.0, np.exp(g) * (stock[-1] + e / 2) / 150.0))
        entries.append(e)
        exits.append(x)
        stock.append(stock[-1] + e - x + round(rng.normal(0, 8)))
    periods = tuple(f"{2010 + k}/{(11 + k) % 100:02d}" for k in range(years))
    return CareFlowData(
        periods,
        np.array(entries, float),
        np.array(exits, float),
        np.array(stock),
        np.full(years, pop),
    )


@pytest.mark.slow
def test_real_sampling_recovers_known_rates():
    data = synthetic_series()
    m = CareFlowModel(CareFlowConfig(draws=1000, tune=1000, chains=4)).fit(data, random_seed=42)
    d = m.diagnostics
    assert d.max_r_hat < 1.01, d.text
    assert d.divergences == 0, d.text
    for name, truth in (("a", np.log(24.0)), ("g", np.log(0.22))):
        v = m.idata.posterior[name].values.ravel()
        lo, hi = np.quantile(v, [0.025, 0.975])
        assert lo < truth < hi, (name, lo, truth, hi)


@pytest.mark.slow
def test_real_sampling_on_the_published_series():
    m = CareFlowModel(CareFlowConfig(draws=500, tune=500, chains=2)).fit(SANDWELL, random_seed=1)
    assert m.diagnostics.divergences == 0, m.diagnostics.text
    assert m.diagnostics.max_r_hat < 1.02
    f = m.forecast(3)
    cic = f[(f["measure"] == "children_in_care") & (f["period"] == "2024/25")].iloc[0]
    assert cic["lower"] < 808 < cic["upper"]
    ax = m.plot_ppc()
    assert len(ax.collections) >= 2


@pytest.mark.slow
def test_poor_sampling_warns_with_advice():
    with pytest.warns(ConvergenceWarning, match="run more"):
        CareFlowModel(CareFlowConfig(draws=20, tune=20, chains=2)).fit(
            synthetic_series(years=5), random_seed=3
        )
