"""The placement model's numpy kernels, without pandas or xarray: special
functions, the rate filter, the simulation step."""

import numpy as np
import pytest
from scipy import special as sp

from sctforecast.demand.flows import AGE_BINS, BAND_OF_BIN, age_bin
from sctforecast.demand.levels import filter_levels
from sctforecast.demand.placement_sim import simulate_placements
from sctforecast.demand.special import (
    digamma,
    gammaln,
    inv_trigamma,
    tetragamma,
    trigamma,
)

X = np.exp(np.linspace(np.log(1e-4), np.log(1e5), 500))


@pytest.mark.parametrize(
    ("ours", "scipy"),
    [
        (gammaln, sp.gammaln),
        (digamma, sp.digamma),
        (trigamma, lambda x: sp.polygamma(1, x)),
        (tetragamma, lambda x: sp.polygamma(2, x)),
    ],
)
def test_special_functions_match_scipy(ours, scipy):
    ref = scipy(X)
    np.testing.assert_allclose(ours(X), ref, rtol=1e-10, atol=1e-10)


def test_inverse_trigamma():
    q = np.exp(np.linspace(np.log(1e-5), np.log(1e4), 300))
    np.testing.assert_allclose(sp.polygamma(1, inv_trigamma(q)), q, rtol=1e-6)


def test_age_grid():
    assert AGE_BINS == 40
    assert age_bin(np.array([0.2, 15.99, 16.0, 16.09, 17.99, 19.0])).tolist() == [
        0,
        15,
        16,
        17,
        39,
        39,
    ]
    assert np.bincount(BAND_OF_BIN).tolist() == [1, 4, 5, 6, 24]


def test_filter_without_drift_is_the_conjugate_posterior():
    """With no drift and no month effect, filtering a constant rate month by
    month ends where one Gamma update with all the data would."""
    rng = np.random.default_rng(0)
    expected = np.full((60, 1), 10.0)
    counts = rng.poisson(12.0, size=(60, 1)).astype(float)
    out = filter_levels(counts, expected, np.array([0.0]), np.array([0.0]))
    # log level ~ log of Gamma(a0 + sum y, b0 + sum e) with a0, b0 from the prior
    a = counts.sum() + 1.0 / 1.0  # prior variance 1: roughly one pseudo-count
    assert abs(np.exp(out["level"][0, 0]) - counts.sum() / expected.sum()) < 0.02
    assert abs(out["var_level"][0, 0] - sp.polygamma(1, a)) / out["var_level"][0, 0] < 0.05
    assert out["path"].shape == (60, 1, 1) and np.isfinite(out["loglik"]).all()
    assert (out["slope"] == 0).all()


def test_filter_weighs_drift_by_the_data():
    """A level that jumps prefers a drifting grid point; a steady one does not."""
    rng = np.random.default_rng(1)
    expected = np.full((72, 1), 20.0)
    steady = rng.poisson(20.0, size=(72, 1)).astype(float)
    jump = rng.poisson(np.r_[np.full(36, 14.0), np.full(36, 28.0)])[:, None].astype(float)
    grid = np.array([0.005, 0.1]) ** 2
    v = np.zeros(2)
    ll_steady = filter_levels(steady, expected, grid, v)["loglik"]
    ll_jump = filter_levels(jump, expected, grid, v)["loglik"]
    assert ll_steady[0, 0] > ll_steady[1, 0]
    assert ll_jump[1, 0] > ll_jump[0, 0] + 5


def test_filter_finds_a_trend_when_there_is_one():
    """Counts growing 15% a year: the grid point with a slope predicts them
    better and its filtered slope is near the truth; flat counts do not
    need one."""
    rng = np.random.default_rng(2)
    months = 96
    expected = np.full((months, 1), 20.0)
    growing = rng.poisson(20.0 * np.exp(0.15 * np.arange(months) / 12))[:, None].astype(float)
    flat = rng.poisson(20.0, size=(months, 1)).astype(float)
    grid = dict(drift_var=np.full(2, 0.01**2), month_var=np.zeros(2))
    slope = dict(slope_var=np.array([0.0, 0.01**2]), slope_walk_var=np.array([0.0, 0.0005**2]))
    g = filter_levels(growing, expected, **grid, **slope)
    f = filter_levels(flat, expected, **grid, **slope)
    assert g["loglik"][1, 0] > g["loglik"][0, 0] + 2
    assert f["loglik"][0, 0] > f["loglik"][1, 0]
    assert abs(g["slope"][1, 0] - 0.15 / 12) < 0.004
    # the smoothed path lies closer to the truth than the filtered one
    truth = np.log(np.exp(0.15 * np.arange(months) / 12))
    err = lambda p: np.abs(p[:, 1, 0] - truth)[12:].mean()  # noqa: E731
    assert err(g["smooth"]) < err(g["path"])


def test_filter_skips_months_without_exposure():
    counts = np.array([[3.0], [0.0], [4.0]])
    expected = np.array([[3.0], [0.0], [3.0]])
    out = filter_levels(counts, expected, np.array([0.01]), np.array([0.0]))
    assert out["path"][1, 0, 0] == pytest.approx(out["path"][0, 0, 0] - 0.005)
    assert np.isfinite(out["loglik"]).all()


def kernel_inputs(n=50, months=24, T=3, seed=0):
    rng = np.random.default_rng(seed)
    start = np.zeros((AGE_BINS, T))
    start[:, 0] = rng.integers(0, 6, AGE_BINS)
    start[20:, 1] = 2
    ones = np.ones((n, months, T))
    return dict(
        start_state=start,
        days_in_month=np.full(months, 30.0),
        entry=np.full((n, 5, T), 0.5),
        entry_mult=ones,
        exit_=np.full((n, 5, T), 0.02),
        exit_mult=ones,
        move=np.full((n, 5, 2), 0.01),
        move_mult=np.ones((n, months, 2)),
        pair_from=np.array([0, 1]),
        pair_to=np.array([1, 2]),
        entry_age=(BAND_OF_BIN[None, :] == np.arange(5)[:, None])
        / np.bincount(BAND_OF_BIN)[:, None],
    )


def test_kernel_conserves_children_and_is_seeded():
    kw = kernel_inputs()
    a = simulate_placements(np.random.default_rng(3), **kw)
    b = simulate_placements(np.random.default_rng(3), **kw)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    total = a["children"].sum(axis=2)
    flows = np.cumsum(a["entries"] - a["exits"], axis=1)
    np.testing.assert_array_equal(total, kw["start_state"].sum() + flows)
    assert (a["aged_out"] <= a["exits"]).all()
    # moves only along the pairs given: type 2 is reached only from type 1
    assert a["children"][:, -1, 2].sum() > 0


def test_kernel_hazards_and_entries_have_the_right_size():
    """With no one ageing out, exits over a month are about hazard x stock,
    and entries about the entry rate."""
    kw = kernel_inputs(n=400, months=12)
    kw["start_state"] = np.zeros((AGE_BINS, 3))
    kw["start_state"][5, 0] = 500  # age 5: nobody reaches 18 within a year
    kw["entry"] = np.zeros((400, 5, 3))
    kw["entry"][:, 2, 0] = 3.0  # three a month, aged 5-9
    kw["move"] = np.zeros((400, 5, 2))
    out = simulate_placements(np.random.default_rng(0), **kw)
    first = out["exits"][:, 0].mean()
    assert abs(first / (500 * (1 - np.exp(-0.02))) - 1) < 0.03
    assert abs(out["entries"].mean() / 3.0 - 1) < 0.03
    assert out["aged_out"].sum() == 0
