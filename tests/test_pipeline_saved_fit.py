"""The main job reuses a saved demand fit when the data, settings, seed and version
match: a scenario change never refits; every other change does.  The plumbing is
tested with a small demand source of known draws; the slow test runs the real
aggregate model end to end."""

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sctforecast
from sctforecast import DataQualityWarning
from sctforecast.cache import ResultCache, content_hash, result_key
from sctforecast.demand.forecast import forecast_for_years, split_by_mix
from sctforecast.pipeline import RunInputs, SavedDemand, run
from sctforecast.reporting import RunOutcome

ORIGIN = pd.Period("2024-04", freq="M")


@dataclass(frozen=True)
class LevelModel:
    """Children in care stay at a level drawn per path (a known forecast)."""

    levels: np.ndarray
    mix: dict

    def forecast_draws(self, months, *, random_seed=0):
        idx = pd.period_range(ORIGIN, periods=months, freq="M")
        total = np.repeat(self.levels[:, None], months, axis=1)
        return split_by_mix(total, idx, self.mix, start_total=self.levels)

    def demand(self, first_year, n_years, *, random_seed=0):
        return forecast_for_years(self, ORIGIN, first_year, n_years, random_seed=random_seed)


@dataclass(frozen=True)
class LevelSource:
    """Demand data: one number; the fit draws levels around it (counted)."""

    level: float
    fits: list

    @property
    def description(self):
        return f"a level of {self.level}"

    def fit(self, profile, *, draws, random_seed):
        self.fits.append((draws, random_seed))
        rng = np.random.default_rng(random_seed)
        return LevelModel(self.level * (1 + 0.05 * rng.standard_normal(draws)), profile.mix)

    def history(self):
        return pd.Series([self.level], index=["2024-03"], name="children_in_care")

    def diagnostics(self, model):
        return f"{model.levels.size} levels"

    def fit_key(self, profile, *, draws, random_seed):
        return result_key(
            "demand-fit",
            inputs=content_hash(data={"level": self.level}),
            settings={"draws": draws, "random_seed": random_seed, "mix": profile.mix},
        )

    def save_model(self, model, folder):
        (folder / "levels.json").write_text(json.dumps(model.levels.tolist()))

    def load_model(self, folder, profile):
        return LevelModel(np.array(json.loads((folder / "levels.json").read_text())), profile.mix)


@dataclass(frozen=True)
class UnsavedSource:
    """The same data, without save and load: never reused."""

    inner: LevelSource

    description = "unsaved"

    def fit(self, profile, **kw):
        return self.inner.fit(profile, **kw)

    def history(self):
        return self.inner.history()

    def diagnostics(self, model):
        return self.inner.diagnostics(model)


def inputs(source, **kw):
    kw.setdefault("draws", 200)
    kw.setdefault("random_seed", 1)
    return RunInputs.resolve(demand=source, **kw)


def test_scenario_changes_reuse_the_fit_and_other_changes_refit(tmp_path, monkeypatch):
    fits = []
    source = LevelSource(800.0, fits)
    assert isinstance(source, SavedDemand) and not isinstance(UnsavedSource(source), SavedDemand)
    cache = ResultCache(tmp_path)
    first = run(inputs(source), cache=cache)
    assert not first.demand_reused and fits == [(200, 1)]
    again = run(inputs(source), cache=cache)
    assert again.demand_reused and fits == [(200, 1)]
    pd.testing.assert_frame_equal(again.table, first.table)
    other = run(inputs(source, scenario="high_demand"), cache=cache)  # scenario only: reused
    assert other.demand_reused and fits == [(200, 1)]
    np.testing.assert_array_equal(other.demand.ds["children"], first.demand.ds["children"])
    assert not other.table.equals(first.table)  # and the scenario changed the answers
    assert not run(inputs(source, draws=300), cache=cache).demand_reused
    assert not run(inputs(source, random_seed=2), cache=cache).demand_reused
    assert not run(inputs(LevelSource(801.0, fits)), cache=cache).demand_reused
    assert fits == [(200, 1), (300, 1), (200, 2), (200, 1)]
    monkeypatch.setattr(sctforecast, "__version__", "99.0.0")
    assert not run(inputs(source), cache=cache).demand_reused
    assert len(fits) == 5


def test_an_unreadable_saved_fit_is_refitted_with_a_warning(tmp_path):
    fits = []
    source = LevelSource(800.0, fits)
    cache = ResultCache(tmp_path)
    run(inputs(source), cache=cache)
    (entry,) = (tmp_path / "demand-fit").iterdir()
    (entry / "levels.json").write_text("[not json")
    with pytest.warns(DataQualityWarning, match="could not be read"):
        res = run(inputs(source), cache=cache)
    assert not res.demand_reused and len(fits) == 2
    assert run(inputs(source), cache=cache).demand_reused  # saved again


def test_no_cache_and_unsaved_sources_always_fit(tmp_path):
    fits = []
    source = LevelSource(800.0, fits)
    off = ResultCache(tmp_path / "off", enabled=False)
    for _ in range(2):
        assert not run(inputs(source), cache=off).demand_reused
    assert not (tmp_path / "off").exists() and len(fits) == 2
    assert not run(inputs(source)).demand_reused and len(fits) == 3  # no cache given
    cache = ResultCache(tmp_path / "on")
    for _ in range(2):
        assert not run(inputs(UnsavedSource(source)), cache=cache).demand_reused
    assert len(fits) == 5 and not (tmp_path / "on" / "demand-fit").exists()


@pytest.mark.slow
def test_the_command_line_reuses_the_aggregate_fit(tmp_path, capsys, monkeypatch):
    from sctforecast.cli import main
    from sctforecast.demand import compile_cache

    # Whether PyTensor honours the folder depends on it not being imported yet, which an
    # in-process test cannot promise (test_compile_cache checks that in a fresh process);
    # here: the run asks for the compile folder inside its cache folder.
    asked: list[Path] = []
    monkeypatch.setattr(
        compile_cache, "use_compile_cache", lambda folder=None: asked.append(Path(folder))
    )

    cache = tmp_path / "cache"
    args = ["run", "--draws", "100", "--cache-dir", str(cache)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--out", str(tmp_path / "a")]) in (0, 1)
        assert "Demand: fitted and saved for reuse." in capsys.readouterr().out
        assert main([*args, "--scenario", "high_demand", "--out", str(tmp_path / "b")]) in (0, 1)
        assert "Demand: the saved fit was reused" in capsys.readouterr().out
        assert main([*args, "--no-cache", "--out", str(tmp_path / "c")]) in (0, 1)
        assert "(--no-cache: not saved)" in capsys.readouterr().out
    # the same demand draws under another scenario
    a, b = (pd.read_csv(tmp_path / x / "demand_forecast.csv") for x in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)
    assert asked and all(f == cache / compile_cache.COMPILE_FOLDER for f in asked)


def test_a_run_result_is_what_reporting_reads():
    """Reporting takes a :class:`~sctforecast.reporting.RunOutcome` and never imports
    the pipeline; a real run's result has every member it reads."""
    result = run(inputs(LevelSource(800.0, [])))
    assert isinstance(result, RunOutcome)
