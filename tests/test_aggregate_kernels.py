"""The numpy kernels of the aggregate model: the latent history matches the PyMC
graph, forecasts conserve children, rates revert and stay bounded, and the
published stock/flow gap never enters a simulated stock."""

import numpy as np
import pytest
import xarray as xr
from _aggregate import pinned_model, pinned_posterior, synthetic_care_flows
from hypothesis import given, settings
from hypothesis import strategies as st

from sctforecast.datasets import sandwell_care_flows, sandwell_profile
from sctforecast.demand.aggregate_pymc import TRANSIENT_SD, build_care_flow_model, latent_history_of
from sctforecast.demand.design import design_for
from sctforecast.demand.simulate import Levers, ou_step, simulate_forecast

SANDWELL = sandwell_care_flows()
MIX = sandwell_profile().mix


@pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS")
@pytest.mark.parametrize("freq", ["year", "month"])
def test_numpy_history_matches_the_pymc_graph(freq):
    """One formula in two languages: the closed form PyMC samples and the
    month-by-month recursion the forecasts continue."""
    data = SANDWELL if freq == "year" else synthetic_care_flows(years=3, freq="month")[0]
    d = design_for(data)
    model = build_care_flow_model(d, level_prior_sd=0.25, keep_paths=True)
    rng = np.random.default_rng(1)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in model.initial_point().items()}
    if "stock0" in point:
        point["stock0"] = np.array(780.0)
    outs = model.unobserved_value_vars
    values = model.compile_fn(outs, inputs=model.value_vars, point_fn=True)(point)
    got = {v.name: np.asarray(x) for v, x in zip(outs, values, strict=True)}
    params = {k: v[None] for k, v in got.items() if not k.endswith("__")}
    h = latent_history_of(d, params)
    for name in ("stock", "entries", "exits"):
        np.testing.assert_allclose(h[name][0], got[f"latent_{name}"], rtol=1e-9, err_msg=name)


def _params(n, rng, uasc=True):
    p = {
        "entry_level": rng.normal(np.log(22), 0.2, n),
        "exit_level": rng.normal(np.log(0.24), 0.1, n),
        "entry_reversion": rng.uniform(0.2, 2.0, n),
        "exit_reversion": rng.uniform(0.2, 2.0, n),
        "entry_sd": rng.uniform(0.05, 0.4, n),
        "exit_sd": rng.uniform(0.05, 0.3, n),
    }
    if uasc:
        p |= {"uasc_entries": rng.uniform(0, 80, n), "uasc_hazard": rng.uniform(0.3, 1.0, n)}
    return p


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    months=st.integers(1, 80),
    step=st.sampled_from([1, 12]),
    ceiling=st.one_of(st.none(), st.floats(10, 200)),
)
def test_forecast_conserves_children_and_respects_the_ceiling(seed, months, step, ceiling):
    """Stock plus entries minus exits is the next stock, month by month, for every draw."""
    rng = np.random.default_rng(seed)
    n = 50
    p = _params(n, rng)
    c0, u0 = rng.uniform(300, 1000, n), rng.uniform(0, 60, n)
    out = simulate_forecast(
        np.random.default_rng(seed),
        p,
        eta=p["entry_level"] + 0.3,
        xi=p["exit_level"] - 0.2,
        citizen=c0,
        uasc=u0,
        population=np.full(months, 85_000.0),
        first_month=3,
        step=step,
        transient_step=3 if step == 12 else 0,
        transient_sd=TRANSIENT_SD,
        uasc_ceiling=None if ceiling is None else np.full(months, ceiling),
    )
    before = np.concatenate([(c0 + u0)[:, None], out["children"][:, :-1]], axis=1)
    np.testing.assert_allclose(out["children"], before + out["entries"] - out["exits"], rtol=1e-10)
    assert (
        (out["children"] >= 0).all() and (out["exits"] >= 0).all() and (out["entries"] >= 0).all()
    )
    if ceiling is not None:  # transfers stop at the ceiling; exits bring a higher start down
        assert (out["uasc"] <= np.maximum(ceiling, u0)[:, None] + 1e-9).all()


def test_ceiling_and_levers_change_the_forecast():
    rng = np.random.default_rng(0)
    n, H = 400, 60
    p = _params(n, rng)
    p["uasc_entries"] = np.full(n, 80.0)
    kw = dict(
        eta=p["entry_level"],
        xi=p["exit_level"],
        citizen=np.full(n, 760.0),
        uasc=np.full(n, 42.0),
        population=np.full(H, 85_824.0),
        first_month=3,
        step=12,
    )
    base = simulate_forecast(np.random.default_rng(1), p, **kw)
    capped = simulate_forecast(np.random.default_rng(1), p, uasc_ceiling=np.full(H, 85.824), **kw)
    assert base["uasc"][:, -1].mean() > 100 and capped["uasc"].max() <= 85.824 + 1e-9
    more = simulate_forecast(np.random.default_rng(1), p, levers=Levers(entry_multiplier=1.5), **kw)
    fewer_exits = simulate_forecast(
        np.random.default_rng(1), p, levers=Levers(exit_multiplier=0.7, start=12), **kw
    )
    extra = simulate_forecast(np.random.default_rng(1), p, levers=Levers(extra_entries=30), **kw)
    np.testing.assert_allclose(  # the multiplier scales entries other than UASC
        more["entries"] - more["uasc_entries"],
        1.5 * (base["entries"] - base["uasc_entries"]),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(fewer_exits["exits"][:, :12], base["exits"][:, :12])
    assert fewer_exits["children"][:, -1].mean() > base["children"][:, -1].mean() + 50
    assert extra["entries"].sum(1).mean() == pytest.approx(
        base["entries"].sum(1).mean() + 150, rel=1e-9
    )


def test_rates_revert_and_their_spread_stays_bounded():
    """An Ornstein-Uhlenbeck log rate forgets where it started and keeps a
    stationary spread ``sd``: intervals widen with the horizon, then stop."""
    n = 20_000
    rng = np.random.default_rng(3)
    x = np.full(n, np.log(44.0))
    level, kappa, sd = np.log(22.0), 0.7, 0.2
    spread = []
    for _ in range(40):
        x = ou_step(x, level, kappa, sd, rng.standard_normal(n), 12)
        spread.append(x.std())
    assert abs(x.mean() - level) < 0.01
    assert spread[0] < spread[3] and abs(spread[-1] - sd) < 0.01


def test_same_seed_same_draws():
    m = pinned_model(SANDWELL, mix=MIX)
    xr.testing.assert_identical(
        m.forecast_draws(24, random_seed=5), m.forecast_draws(24, random_seed=5)
    )
    assert not np.array_equal(
        m.forecast_draws(24, random_seed=5)["entries"].values,
        m.forecast_draws(24, random_seed=6)["entries"].values,
    )


def test_the_gap_never_enters_simulated_stocks():
    """Forecasts are the same whatever the published stocks' measurement error:
    the gap lives in the likelihood only; and the forecast stock moves only by
    simulated entries and exits from the latent stock at the end of the data."""
    post = pinned_posterior(SANDWELL)
    small = pinned_model(SANDWELL, mix=MIX, gap_sigma=np.full_like(post["gap_sigma"], 0.1))
    huge = pinned_model(SANDWELL, mix=MIX, gap_sigma=np.full_like(post["gap_sigma"], 500.0))
    a, b = small.simulate(60, random_seed=2), huge.simulate(60, random_seed=2)
    xr.testing.assert_identical(a, b)
    start = small.latent_history()["stock"][:, -1]
    cic = a["children_in_care"].values
    implied = start[:, None] + np.cumsum(a["entries"].values - a["exits"].values, axis=1)
    np.testing.assert_allclose(cic, implied, rtol=1e-10)
