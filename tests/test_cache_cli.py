"""`sctforecast cache info | clear`, and the cache options of the commands that reuse results."""

from sctforecast.cache import ResultCache
from sctforecast.cli import main


def test_cache_info_counts_by_kind_and_clear_empties(tmp_path, capsys):
    root = tmp_path / "cache"
    cache = ResultCache(root)
    cache.save_json("demand-fit", "a", {"x": 1})
    cache.save_json("run-many", "b", {"x": 2})
    cache.save_json("run-many", "c", {"x": 3})
    assert main(["cache", "info", "--cache-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"Folder: {root}" in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 2}
    assert rows["run-many"].split("│")[2].strip() == "2"
    assert rows["demand-fit"].split("│")[2].strip() == "1"
    assert rows["all"].split("│")[2].strip() == "3"
    assert main(["cache", "clear", "--cache-dir", str(root)]) == 0
    assert "Removed 3 saved results" in capsys.readouterr().out
    assert not root.exists()
    assert main(["cache", "info", "--cache-dir", str(root)]) == 0
    assert "│ all  │     0" in capsys.readouterr().out


def test_cache_commands_use_the_environment_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCTFORECAST_CACHE_DIR", str(tmp_path / "env-cache"))
    ResultCache.default().save_json("x", "k", [1])
    assert main(["cache", "info"]) == 0
    assert str(tmp_path / "env-cache") in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert not (tmp_path / "env-cache").exists()


def test_cache_clear_refuses_a_folder_that_is_not_a_cache(tmp_path, capsys):
    mine = tmp_path / "reports"
    mine.mkdir()
    (mine / "q3.xlsx").write_bytes(b"keep me")
    assert main(["cache", "clear", "--cache-dir", str(mine)]) == 2
    assert "not a sctforecast cache folder" in capsys.readouterr().err
    assert (mine / "q3.xlsx").exists()
    assert main(["cache"]) == 2  # an action is required


def test_forecast_reuses_its_draws_only_for_the_same_returns_and_settings(tmp_path, capsys):
    from sctforecast.ssda903 import synthetic_ssda903, write_ssda903

    h, e, _ = synthetic_ssda903(years=4, initial_children=80, random_seed=5)
    write_ssda903(h, e, tmp_path / "returns")
    cache = tmp_path / "cache"

    def forecast(out, *extra):
        argv = ["forecast", str(tmp_path / "returns"), "--months", "12", "--draws", "200"]
        assert main([*argv, "--out", str(tmp_path / out), "--cache-dir", str(cache), *extra]) == 0
        return "Forecast draws reused" in capsys.readouterr().out

    assert not forecast("a")
    assert forecast("b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        p.name for p in (tmp_path / "b").iterdir()
    )
    for p in (tmp_path / "a").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes(), p.name
    assert not forecast("c", "--seed", "1")
    assert not forecast("d", "--no-cache")
    episodes = next((tmp_path / "returns").rglob("*.csv"))
    episodes.write_text(episodes.read_text() + "\n")
    assert not forecast("e")
