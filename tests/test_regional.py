"""Many authorities: panel data, the Dask engine (a real local cluster with two
workers), resuming, worker loss, partial pooling."""

import json
import os
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from authority_b import make_authority

import sctforecast
from sctforecast import ConfigError, DataValidationError
from sctforecast.cache import ResultCache, content_hash
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.regional import (
    AuthorityPanel,
    PooledCareFlowModel,
    make_client,
    read_authority_folder,
    run_many,
    run_scenario_grid,
    run_tasks,
    scenario_grid,
    synthetic_authorities,
)
from sctforecast.regional.engine import close_client, task_key
from sctforecast.regional.many import BATCHES_PER_WORKER, _seed, grid_batches

#: The embedded authority, named explicitly: the grid has no default authority.
SANDWELL_GRID = {"ledger": load_outturn(), "profile": sandwell_profile()}


def square(x, seed):
    return {"value": x * x, "noise": float(np.random.default_rng(seed).normal())}


def fails_on_bad_data(x):
    if x < 0:
        raise DataValidationError(f"negative input {x}")
    return {"value": x}


def kill_worker_once(x, marker):
    """Kills the worker process running it the first time it is called."""
    if x == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return {"value": x}


@pytest.fixture(scope="module")
def client():
    c = make_client(n_workers=2)
    yield c
    close_client(c)


def test_panel_validation():
    panel, _ = synthetic_authorities(n=3, months=12, random_seed=0)
    frame = panel.to_frame()
    back = AuthorityPanel.from_frame(frame)
    np.testing.assert_array_equal(back.entries, panel.entries)
    dup = pd.concat([frame, frame[frame["authority"] == "LA001"].head(1)])
    with pytest.raises(
        DataValidationError, match="authority key\\(s\\) repeated for the same period: LA001"
    ):
        AuthorityPanel.from_frame(dup)
    short = frame[~((frame["authority"] == "LA002") & (frame["period"] == frame["period"].max()))]
    with pytest.raises(DataValidationError, match="different periods from the others .*: LA002"):
        AuthorityPanel.from_frame(short)


def test_folder_reports_a_malformed_authority_by_name(tmp_path):
    (tmp_path / "GOOD.csv").write_text(
        "period,entries,exits,stock_start,stock_end,population\n2020-01,1,1,5,5,1000\n"
    )
    (tmp_path / "BAD.csv").write_text("period,entries\n2020-01,1\n")
    inputs, problems = read_authority_folder(tmp_path)
    assert list(inputs) == ["GOOD"]
    assert "BAD.csv: missing column(s)" in problems["BAD"]
    with pytest.raises(DataValidationError, match="no such folder"):
        read_authority_folder(tmp_path / "none")


def test_distributed_equals_serial(client):
    tasks = {f"t{i}": {"x": i, "seed": 100 + i} for i in range(12)}
    a = run_tasks(square, tasks, serial=True)
    b = run_tasks(square, tasks, client=client)
    assert a.results == b.results
    assert b.workers == 2


def test_results_are_saved_and_a_run_resumes(client, tmp_path):
    tasks = {f"t{i}": {"x": i, "seed": i} for i in range(8)}
    cache = ResultCache(tmp_path)
    first = run_tasks(square, tasks, client=client, cache=cache)
    saved = sorted((tmp_path / "task-square").glob("*.json"))
    assert len(saved) == 8 and first.resumed == ()
    entry = cache.path("task-square", task_key(square, tasks["t3"]), ".json")
    assert json.loads(entry.read_text())["ok"]["value"] == 9
    entry.unlink()
    cache.path("task-square", task_key(square, tasks["t5"]), ".json").unlink()
    second = run_tasks(square, tasks, client=client, results_dir=tmp_path)  # the same folder
    assert sorted(second.resumed) == sorted(set(tasks) - {"t3", "t5"})
    assert second.results == first.results


def test_a_changed_argument_or_version_recomputes_and_a_failure_is_retried(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    calls = []

    def counted(x, seed):
        calls.append((x, seed))
        return square(x, seed)

    tasks = {"a": {"x": 1, "seed": 1}, "b": {"x": 2, "seed": 2}}
    run_tasks(counted, tasks, serial=True, cache=cache)
    assert run_tasks(counted, tasks, serial=True, cache=cache).resumed == ("a", "b")
    assert len(calls) == 2
    changed = {"a": {"x": 1, "seed": 9}, "b": {"x": 2, "seed": 2}}  # a's seed changed
    res = run_tasks(counted, changed, serial=True, cache=cache)
    assert res.resumed == ("b",) and calls[-1] == (1, 9)
    monkeypatch.setattr(sctforecast, "__version__", "99.0")
    assert run_tasks(counted, tasks, serial=True, cache=cache).resumed == ()
    monkeypatch.undo()
    # a failure is reported, not saved: the next run tries again
    flaky = {"c": {"x": -1}}
    assert (
        "negative input"
        in run_tasks(fails_on_bad_data, flaky, serial=True, cache=cache).errors["c"]
    )
    assert not (tmp_path / "task-fails_on_bad_data").exists() or not list(
        (tmp_path / "task-fails_on_bad_data").iterdir()
    )
    again = run_tasks(fails_on_bad_data, flaky, serial=True, cache=cache)
    assert again.resumed == () and "c" in again.errors
    # a failure saved by an older version is never served either
    cache.save_json(
        "task-fails_on_bad_data", task_key(fails_on_bad_data, flaky["c"]), {"error": "old"}
    )
    assert run_tasks(fails_on_bad_data, flaky, serial=True, cache=cache).errors["c"] != "old"
    with pytest.raises(ConfigError, match="not both"):
        run_tasks(counted, tasks, serial=True, cache=cache, results_dir=tmp_path)


def test_keys_of_tasks_that_read_files_follow_the_bytes(tmp_path):
    data = tmp_path / "LA1.csv"
    data.write_text("period,entries\n2020-01,5\n")
    cache = ResultCache(tmp_path / "cache")

    def read(path):
        return {"bytes": len(open(path).read())}

    def run():
        tasks = {"LA1": {"path": str(data)}}
        keys = {"LA1": task_key(read, tasks["LA1"], inputs=content_hash(data))}
        return run_tasks(read, tasks, serial=True, cache=cache, keys=keys)

    assert run().resumed == () and run().resumed == ("LA1",)
    data.write_text("period,entries\n2020-01,6\n")  # same name and size, other bytes
    res = run()
    assert res.resumed == () and res.results["LA1"]["bytes"] == len(data.read_text())
    off = ResultCache(tmp_path / "cache", enabled=False)  # --no-cache: computes, saves nothing
    n = cache.size()[0]
    tasks = {"LA1": {"path": str(data)}}
    assert run_tasks(read, tasks, serial=True, cache=off).resumed == ()
    assert cache.size()[0] == n


def test_a_worker_that_dies_has_its_task_retried(client, tmp_path):
    marker = str(tmp_path / "killed")
    tasks = {f"t{i}": {"x": i, "marker": marker} for i in range(6)}
    res = run_tasks(kill_worker_once, tasks, client=client)
    assert os.path.exists(marker)  # a worker really died
    assert res.errors == {}
    assert [res.results[k]["value"] for k in sorted(res.results)] == list(range(6))


def test_bad_data_is_reported_by_key_and_the_rest_complete(client):
    res = run_tasks(
        fails_on_bad_data, {"a": {"x": 1}, "b": {"x": -2}, "c": {"x": 3}}, client=client
    )
    assert set(res.results) == {"a", "c"}
    assert "negative input -2" in res.errors["b"]


def test_unreachable_scheduler():
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        make_client("tcp://127.0.0.1:9", timeout=2)


def test_scenario_grid_names():
    g = scenario_grid(
        {"contract_sum.uplift": [0.0, 0.02], "placements.volume_growth": [0.0, 0.05, 0.1]}
    )
    assert len(g) == 6
    assert g["grid-uplift0.02-volume_growth0.1"] == {
        "contract_sum": {"uplift": 0.02},
        "placements": {"volume_growth": 0.1},
    }


def test_scenario_grid_batches_do_not_change_the_numbers(client):
    grid = scenario_grid(
        {"contract_sum.uplift": [0.0, 0.02, 0.04], "placements.volume_growth": [0.0, 0.03, 0.06]}
    )
    serial, res_serial = run_scenario_grid(
        grid, **SANDWELL_GRID, draws=300, serial=True, random_seed=5
    )
    assert len(res_serial.results) == BATCHES_PER_WORKER  # one worker: four batches
    one_each, _ = run_scenario_grid(
        grid, **SANDWELL_GRID, draws=300, serial=True, random_seed=5, batch=1
    )
    dist, res = run_scenario_grid(grid, **SANDWELL_GRID, draws=300, client=client, random_seed=5)
    assert res.workers == 2 and len(res.results) == 2 * BATCHES_PER_WORKER
    for other in (one_each, dist):
        pd.testing.assert_frame_equal(
            other.set_index("scenario").loc[serial["scenario"]].reset_index(), serial
        )
    assert list(serial["scenario"]) == list(grid)
    # the seed is the scenario's place in the grid: the first scenario alone gives its numbers
    first = dict(list(grid.items())[:1])
    alone, _ = run_scenario_grid(first, **SANDWELL_GRID, draws=300, serial=True, random_seed=5)
    pd.testing.assert_frame_equal(alone, serial.head(1))
    other_seed, _ = run_scenario_grid(first, **SANDWELL_GRID, draws=300, serial=True, random_seed=6)
    assert other_seed["closing_mean"].iloc[0] != alone["closing_mean"].iloc[0]
    with pytest.raises(ConfigError, match="batch must be at least 1"):
        run_scenario_grid(grid, **SANDWELL_GRID, serial=True, batch=0)


def test_scenario_grid_projects_the_callers_authority(tmp_path):
    """The grid reads no embedded figures: another authority's ledger, profile and base
    scenario give other numbers, and saved results are keyed by them."""
    from sctforecast.pipeline import RunInputs

    paths = make_authority(tmp_path / "b")
    b = RunInputs.resolve(
        ledger=paths["ledger"],
        ssda903=paths["ssda903"],
        profile=paths["profile"],
        scenario=paths["scenario"],
    )
    theirs = {"ledger": b.ledger, "profile": b.profile, "base": b.scenario}
    grid = scenario_grid({"contract_sum.uplift": [0.0, 0.03]})
    kw = {"draws": 200, "serial": True, "random_seed": 5}
    sandwell, _ = run_scenario_grid(grid, **SANDWELL_GRID, **kw)
    other, _ = run_scenario_grid(grid, **theirs, **kw)
    assert (other["closing_mean"] - sandwell["closing_mean"]).abs().min() > 1_000_000
    # saved results: the same grid on another authority is computed, not reused
    cache = ResultCache(tmp_path / "cache")
    _, first = run_scenario_grid(grid, **SANDWELL_GRID, cache=cache, **kw)
    _, again = run_scenario_grid(grid, **SANDWELL_GRID, cache=cache, **kw)
    _, moved = run_scenario_grid(grid, **theirs, cache=cache, **kw)
    assert not first.resumed and len(again.resumed) == len(again.results)
    assert not moved.resumed
    with pytest.raises(ConfigError, match="ledger must be a Ledger"):
        run_scenario_grid(grid, **{**theirs, "ledger": str(paths["ledger"])}, **kw)
    with pytest.raises(TypeError):
        run_scenario_grid(grid, **kw)  # no authority given: refused, never defaulted


def test_grid_batches_cover_the_grid_in_order():
    names = [f"s{i}" for i in range(10)]
    batches = grid_batches(names, 4)
    assert [first for first, _ in batches] == [0, 2, 5, 8]
    assert [n for _, chunk in batches for n in chunk] == names
    assert grid_batches(names, 50) == [(i, [n]) for i, n in enumerate(names)]
    assert grid_batches(names[:1], 8) == [(0, ["s0"])]


@pytest.mark.slow
def test_run_many_end_to_end(tmp_path):
    from sctforecast.ssda903 import synthetic_ssda903, write_ssda903

    root = tmp_path / "authorities"
    root.mkdir()
    panel, _ = synthetic_authorities(n=4, months=24, random_seed=1)
    for a, g in panel.to_frame().groupby("authority"):
        g.drop(columns="authority").to_csv(root / f"{a}.csv", index=False)
    (root / "BROKEN.csv").write_text("period,entries\n2020-01,5\n")
    h, e, _ = synthetic_ssda903(years=6, initial_children=200, random_seed=2)
    write_ssda903(h, e, root / "SSDA")
    out = tmp_path / "out"
    table, res = run_many(root, out=out, draws=200, horizon_months=24)
    assert set(table["authority"]) == {"LA000", "LA001", "LA002", "LA003", "SSDA", "BROKEN"}
    assert "missing column" in table.set_index("authority").loc["BROKEN", "error"]
    ok = table[table["error"].fillna("") == ""]
    assert len(ok) == 5 and (ok["children_in_care_end_mean"] > 0).all()
    # no ledger or profile: no invented budget, no deficit; the note says why
    assert ok["deficit_final_mean_pence"].isna().all()
    notes = table.set_index("authority")["plan"]
    assert notes["SSDA"] == (
        "no MTFP plan: SSDA/ has no ledger.csv or ledger.xlsx, profile.csv, "
        "scenario.toml (or a scenario for the run)"
    )
    assert notes["LA000"].startswith("a series of counts")
    assert sorted(os.listdir(out)) == ["authorities.csv", "report.html"]
    # a second run resumes every saved result
    again, res2 = run_many(root, out=out, draws=200, horizon_months=24)
    assert len(res2.resumed) >= 1
    pd.testing.assert_frame_equal(table, again)
    shutil.rmtree(out)


@pytest.mark.slow
def test_partial_pooling_beats_no_pooling_for_small_authorities():
    panel, truth = synthetic_authorities(n=16, months=24, small_share=0.5, random_seed=4)
    errs = {}
    cover = {}
    for pooling in ("partial", "none"):
        m = PooledCareFlowModel(pooling=pooling, draws=500, tune=500, chains=2).fit(
            panel, random_seed=1
        )
        r = m.rates()
        err = np.abs(np.log(r["entry_rate_per_10k"].to_numpy()) - np.log(truth.entry_rate_per_10k))
        errs[pooling] = err[truth.small].mean()
        cover[pooling] = np.mean(
            (r["entry_lower"] <= truth.entry_rate_per_10k)
            & (truth.entry_rate_per_10k <= r["entry_upper"])
        )
    assert errs["partial"] < errs["none"], errs
    assert cover["partial"] >= 0.75, cover


def test_plan_files_say_what_is_missing(tmp_path):
    from sctforecast.regional.tasks import plan_files

    root = tmp_path / "North"
    root.mkdir()
    assert plan_files(root) == (
        {},
        "no MTFP plan: North/ has no ledger.csv or ledger.xlsx, profile.csv, "
        "scenario.toml (or a scenario for the run)",
    )
    (root / "ledger.xlsx").write_text("x")
    (root / "profile.csv").write_text("x")
    assert (
        plan_files(root)[1]
        == "no MTFP plan: North/ has no scenario.toml (or a scenario for the run)"
    )
    files, note = plan_files(root, "default")
    assert note == "" and files["scenario"] == "default" and files["ledger"].endswith("ledger.xlsx")
    (root / "scenario.toml").write_text("x")
    assert plan_files(root, "default")[0]["scenario"].endswith("scenario.toml")


@pytest.mark.slow
def test_run_many_deficit_is_the_projectors_on_the_authoritys_own_baseline(tmp_path):
    from sctforecast.pipeline import RunInputs, run
    from sctforecast.ssda903 import synthetic_ssda903, write_ssda903

    root = tmp_path / "authorities"
    files = make_authority(root / "NORTH", returns="")
    h, e, _ = synthetic_ssda903(years=6, initial_children=150, random_seed=2)
    write_ssda903(h, e, root / "SMALL")
    table, _ = run_many(root, out=tmp_path / "out", draws=200, horizon_months=24, serial=True)
    rows = table.set_index("authority")
    north = rows.loc["NORTH"]
    assert north["error"] == "" or pd.isna(north["error"])
    assert north["final_year"] == "2027/28" and north["plan"].startswith("scenario 'northfield'")
    assert north["contract_sum_final_pence"] == round(3_340_000_000 * 1.02**3)
    # the same inputs through the main job give the same answers
    seed = _seed(0, "NORTH")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(
            RunInputs.resolve(
                ledger=files["ledger"],
                ssda903=files["ssda903"],
                profile=files["profile"],
                scenario=files["scenario"],
                draws=200,
                random_seed=seed,
            )
        )
    last = result.table.iloc[-1]
    assert north["deficit_final_mean_pence"] == last["in_year_deficit_mean_pence"]
    assert north["p_breakeven_final"] == last["p_breakeven"]
    assert north["contract_sum_needed_final_mean_pence"] == last["contract_sum_needed_mean_pence"]
    assert pd.isna(rows.loc["SMALL", "deficit_final_mean_pence"])
    html = (tmp_path / "out" / "report.html").read_text()
    assert "projected from its own baseline" in html and "budget" not in html
