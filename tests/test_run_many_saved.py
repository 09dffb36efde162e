"""run-many reuses a saved result only when what made it is unchanged: the data's
bytes, draws, horizon, seed, scenario and version.  The pooled fit is pinned (the
plumbing, not the sampler); the SSDA903 authority runs the real placement model."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sctforecast
from sctforecast.cache import ResultCache
from sctforecast.cli import main
from sctforecast.regional import PooledCareFlowModel, run_many, synthetic_authorities
from sctforecast.ssda903 import synthetic_ssda903, write_ssda903

SERIES = ["LA000", "LA001", "LA002"]


@pytest.fixture
def fits(monkeypatch):
    """The pooled model's fit, pinned at draws from the seed, and counted."""
    calls = []

    def fit(self, panel, *, random_seed):
        calls.append((self.draws, random_seed))
        rng = np.random.default_rng(random_seed)
        n = (2, 20)

        def v(*shape, loc=0.0, sd=0.01):
            return rng.normal(loc, sd, size=(*n, *shape))

        post = xr.Dataset(
            {
                "a": (("chain", "draw", "authority"), v(panel.A, loc=3.0)),
                "g": (("chain", "draw", "authority"), v(panel.A, loc=-1.0)),
                "b": (("chain", "draw"), v()),
                "d": (("chain", "draw"), v()),
                "season": (("chain", "draw", "month"), v(12)),
                "season_x": (("chain", "draw", "month"), v(12)),
            }
        )
        self.idata = type("Idata", (), {"posterior": post})()
        return self

    monkeypatch.setattr(PooledCareFlowModel, "fit", fit)
    return calls


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "authorities"
    root.mkdir()
    panel, _ = synthetic_authorities(n=3, months=24, random_seed=1)
    for a, g in panel.to_frame().groupby("authority"):
        g.drop(columns="authority").to_csv(root / f"{a}.csv", index=False)
    h, e, _ = synthetic_ssda903(years=5, initial_children=120, random_seed=2)
    write_ssda903(h, e, root / "SSDA")
    return root


def test_each_input_and_setting_decides_what_is_reused(root, fits, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path / "cache")
    base = dict(out=tmp_path / "out", cache=cache, draws=100, horizon_months=24, serial=True)

    def go(**changes):
        return run_many(root, **{**base, **changes})

    table, first = go()
    assert first.resumed == () and not first.extra["pooled_reused"] and len(fits) == 1
    again_table, again = go()
    assert sorted(again.resumed) == sorted([*SERIES, "SSDA"]) and again.extra["pooled_reused"]
    assert len(fits) == 1  # nothing refitted
    pd.testing.assert_frame_equal(again_table, table)

    res = go(horizon_months=12)[1]  # the same pooled fit, new forecasts
    assert res.resumed == () and res.extra["pooled_reused"] and len(fits) == 1
    res = go(draws=120)[1]  # the pooled fit itself changes
    assert res.resumed == () and not res.extra["pooled_reused"] and fits[-1] == (120, 0)
    res = go(random_seed=5)[1]
    assert res.resumed == () and not res.extra["pooled_reused"] and fits[-1] == (100, 5)
    assert sorted(go()[1].resumed) == sorted([*SERIES, "SSDA"])  # the first settings: all saved

    # one authority's bytes change: only it is recomputed (its file name is the same)
    f = root / "LA001.csv"
    frame = pd.read_csv(f)
    frame.loc[0, "entries"] += 1
    frame.to_csv(f, index=False)
    res = go()[1]  # the panel changed: the pooled fit and every series forecast are new
    assert not res.extra["pooled_reused"] and res.resumed == ("SSDA",)
    episodes = next(root.joinpath("SSDA").rglob("*.csv"))
    episodes.write_text(episodes.read_text() + "\n")  # a byte more, same records
    res = go()[1]
    assert sorted(res.resumed) == SERIES and res.extra["pooled_reused"]

    monkeypatch.setattr(sctforecast, "__version__", "99.0.0")  # another version: all afresh
    res = go()[1]
    assert res.resumed == () and not res.extra["pooled_reused"]


def test_a_failure_is_retried_and_no_cache_saves_nothing(root, fits, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    bad = root / "BAD"
    bad.mkdir()
    (bad / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC\n")
    table, res = run_many(root, out=tmp_path / "out", cache=cache, draws=100, serial=True)
    assert "BAD" in res.errors
    _, res = run_many(root, out=tmp_path / "out", cache=cache, draws=100, serial=True)
    assert "BAD" in res.errors and "BAD" not in res.resumed  # tried again, not served
    assert sorted(res.resumed) == sorted([*SERIES, "SSDA"])
    off = ResultCache(tmp_path / "other", enabled=False)
    _, res = run_many(root, out=tmp_path / "out", cache=off, draws=100, serial=True)
    assert res.resumed == () and not (tmp_path / "other").exists()


def test_command_line_cache_options(root, fits, tmp_path, capsys):
    args = [
        "run-many",
        str(root),
        "--out",
        str(tmp_path / "out"),
        "--draws",
        "100",
        "--workers",
        "1",
    ]
    cache = tmp_path / "cli-cache"
    assert main([*args, "--cache-dir", str(cache)]) == 0
    assert "(0 resumed from saved results)" in capsys.readouterr().out
    assert main([*args, "--cache-dir", str(cache)]) == 0
    assert "(4 resumed from saved results; the pooled fit reused)" in capsys.readouterr().out
    assert main([*args, "--cache-dir", str(cache), "--no-cache"]) == 0
    assert "(0 resumed from saved results)" in capsys.readouterr().out
    files = ResultCache(cache).size()[0]
    assert main([*args, "--cache-dir", str(cache), "--no-cache", "--seed", "3"]) == 0
    assert ResultCache(cache).size()[0] == files  # --no-cache saved nothing
