"""run-many's saved results are keyed by what made them: the pooled fit by the panel's
numbers, its configuration and seed; each authority's forecast by its inputs and settings."""

import numpy as np
import pytest
import xarray as xr

import sctforecast
from sctforecast import DataQualityWarning
from sctforecast.cache import ResultCache
from sctforecast.regional import PooledCareFlowModel, synthetic_authorities
from sctforecast.regional.saved import (
    fit_pooled,
    folder_task_key,
    panel_hash,
    pooled_key,
    scenario_setting,
    series_task_key,
)

CONFIG = {"draws": 100, "tune": 100, "chains": 2}


@pytest.fixture
def panel():
    return synthetic_authorities(n=3, months=12, random_seed=0)[0]


@pytest.fixture
def fits(monkeypatch):
    """Posteriors pinned at known values (the plumbing, not the sampler), counted."""
    calls = []

    def fit(self, panel, *, random_seed):
        calls.append(random_seed)
        rng = np.random.default_rng(random_seed)
        shape = {
            "a": (panel.A,),
            "g": (panel.A,),
            "b": (),
            "d": (),
            "season": (12,),
            "season_x": (12,),
        }
        post = xr.Dataset(
            {
                k: (
                    ("chain", "draw", *(f"{k}_dim{i}" for i in range(len(s)))),
                    rng.normal(size=(2, 5, *s)),
                )
                for k, s in shape.items()
            }
        )
        self.idata = type("Idata", (), {"posterior": post})()
        return self

    monkeypatch.setattr(PooledCareFlowModel, "fit", fit)
    return calls


def test_panel_content_and_every_setting_key_the_pooled_fit(panel, monkeypatch):
    key = pooled_key(panel, CONFIG, random_seed=1)
    assert pooled_key(panel, dict(CONFIG), random_seed=1) == key
    changed = panel.entries.copy()
    changed[0, 0] += 1
    other = type(panel)(
        panel.authorities, panel.periods, changed, panel.exits, panel.stock, panel.population
    )
    assert panel_hash(other) != panel_hash(panel)
    assert pooled_key(other, CONFIG, random_seed=1) != key
    assert pooled_key(panel, {**CONFIG, "draws": 101}, random_seed=1) != key
    assert pooled_key(panel, {**CONFIG, "likelihood": "negbin"}, random_seed=1) != key
    assert pooled_key(panel, CONFIG, random_seed=2) != key
    monkeypatch.setattr(sctforecast, "__version__", "99.0")
    assert pooled_key(panel, CONFIG, random_seed=1) != key


def test_pooled_fit_is_saved_reused_and_refitted_when_unreadable(panel, fits, tmp_path):
    cache = ResultCache(tmp_path)
    first, reused, key = fit_pooled(panel, CONFIG, random_seed=1, cache=cache)
    assert not reused and fits == [1]
    again, reused, key2 = fit_pooled(panel, CONFIG, random_seed=1, cache=cache)
    assert reused and key2 == key and fits == [1]
    xr.testing.assert_equal(again, first)
    assert (tmp_path / "pooled-fit" / f"{key}.nc").exists()
    _, reused, _ = fit_pooled(panel, CONFIG, random_seed=2, cache=cache)  # another seed: refit
    assert not reused and fits == [1, 2]
    (tmp_path / "pooled-fit" / f"{key}.nc").write_bytes(b"not netcdf")
    with pytest.warns(DataQualityWarning, match="could not be read"):
        _, reused, _ = fit_pooled(panel, CONFIG, random_seed=1, cache=cache)
    assert not reused and fits == [1, 2, 1]
    _, reused, _ = fit_pooled(panel, CONFIG, random_seed=1, cache=None)  # no cache: always fits
    assert not reused and fits == [1, 2, 1, 1]
    _, reused, _ = fit_pooled(
        panel, CONFIG, random_seed=1, cache=ResultCache(tmp_path, enabled=False)
    )
    assert not reused and fits == [1, 2, 1, 1, 1]


def test_a_saved_posterior_missing_variables_is_refitted(panel, fits, tmp_path):
    cache = ResultCache(tmp_path)
    _, _, key = fit_pooled(panel, CONFIG, random_seed=1, cache=cache)
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(
        tmp_path / "pooled-fit" / f"{key}.nc", engine="h5netcdf"
    )
    with pytest.warns(DataQualityWarning, match="has no g, b, d, season, season_x"):
        _, reused, _ = fit_pooled(panel, CONFIG, random_seed=1, cache=cache)
    assert not reused and fits == [1, 1]


def test_task_keys_follow_settings_bytes_and_scenario_content(tmp_path):
    k = series_task_key("pooled1", "LA1", horizon=24, seed=3)
    assert series_task_key("pooled2", "LA1", horizon=24, seed=3) != k
    assert series_task_key("pooled1", "LA2", horizon=24, seed=3) != k
    assert series_task_key("pooled1", "LA1", horizon=36, seed=3) != k
    assert series_task_key("pooled1", "LA1", horizon=24, seed=4) != k
    folder = tmp_path / "LA1"
    folder.mkdir()
    (folder / "episodes.csv").write_text("CHILD,DECOM\n1,01/04/2020\n")
    settings = {"horizon": 24, "draws": 100, "seed": 3, "scenario": None}
    f = folder_task_key(folder, settings)
    assert folder_task_key(folder, {**settings, "draws": 200}) != f
    (folder / "episodes.csv").write_text("CHILD,DECOM\n1,02/04/2020\n")
    assert folder_task_key(folder, settings) != f
    parent = tmp_path / "parent.toml"
    parent.write_text('name = "parent"\ninherits = "default"\n[contract_sum]\nuplift = 0.01\n')
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\ninherits = "parent.toml"\n')
    before = scenario_setting(child)
    parent.write_text('name = "parent"\ninherits = "default"\n[contract_sum]\nuplift = 0.02\n')
    assert scenario_setting(child) != before  # an edit to the file it inherits from counts
    assert (
        scenario_setting("default") == scenario_setting("default")
        and scenario_setting(None) is None
    )
