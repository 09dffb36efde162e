"""Saved results are keyed by content, settings and version; a bad entry is recomputed."""

import json

import numpy as np
import pandas as pd
import pytest

import sctforecast
from sctforecast import ConfigError, DataQualityWarning
from sctforecast.cache import ResultCache, cache_dir, content_hash, result_key


def _folder(root, name, text="a,b\n1,2\n"):
    d = root / name
    (d / "2023-24").mkdir(parents=True)
    (d / "2023-24" / "episodes.csv").write_text(text)
    (d / "header.csv").write_text("CHILD\n1\n")
    return d


def test_content_hash_reads_content_not_names(tmp_path):
    a = _folder(tmp_path, "one")
    b = _folder(tmp_path, "two")  # same files under another folder name
    assert content_hash(a) == content_hash(b)
    (b / "2023-24" / "episodes.csv").write_text("a,b\n1,3\n")
    assert content_hash(a) != content_hash(b)
    (a / "2023-24" / "episodes.csv").rename(a / "2023-24" / "episodes2.csv")
    assert content_hash(a) != content_hash(_folder(tmp_path, "three"))  # a renamed file counts
    assert content_hash(data={"x": [1, 2]}) != content_hash(data={"x": [1, 3]})
    assert content_hash(data={"b": 1, "a": 2}) == content_hash(data={"a": 2, "b": 1})


def test_every_setting_and_the_version_change_the_key(monkeypatch):
    base = {"draws": 1000, "horizon": 60, "seed": 0, "scale": 0.1}
    k = result_key("forecast", inputs="abc", settings=base)
    for name, value in (("draws", 999), ("horizon", 48), ("seed", 1), ("scale", 0.1000001)):
        assert result_key("forecast", inputs="abc", settings={**base, name: value}) != k, name
    assert result_key("forecast", inputs="abd", settings=base) != k
    assert result_key("pooled", inputs="abc", settings=base) != k
    monkeypatch.setattr(sctforecast, "__version__", "99.0.0")
    assert result_key("forecast", inputs="abc", settings=base) != k


def _fetch(cache, calls, key="k1"):
    def compute():
        calls.append(1)
        return {"value": len(calls)}

    def save(v, p):
        p.write_text(json.dumps(v))

    return cache.fetch(
        "thing", key, ".json", load=lambda p: json.loads(p.read_text()), compute=compute, save=save
    )


def test_fetch_reuses_a_saved_result_and_recomputes_a_corrupt_one(tmp_path):
    cache = ResultCache(tmp_path / "c")
    calls: list[int] = []
    v1, reused1 = _fetch(cache, calls)
    v2, reused2 = _fetch(cache, calls)
    assert (reused1, reused2) == (False, True) and v1 == v2 == {"value": 1}
    cache.path("thing", "k1", ".json").write_text("{not json")
    with pytest.warns(DataQualityWarning, match="could not be read"):
        v3, reused3 = _fetch(cache, calls)
    assert not reused3 and v3 == {"value": 2} and len(calls) == 2
    assert json.loads(cache.path("thing", "k1", ".json").read_text()) == {"value": 2}


def test_disabled_cache_always_computes_and_saves_nothing(tmp_path):
    cache = ResultCache(tmp_path / "c", enabled=False)
    calls: list[int] = []
    _fetch(cache, calls)
    _fetch(cache, calls)
    assert len(calls) == 2
    assert not (tmp_path / "c").exists()
    cache.save_json("x", "k", {"a": 1})
    assert cache.load_json("x", "k") is None


def test_json_entries_and_clear(tmp_path):
    cache = ResultCache(tmp_path / "c")
    assert cache.load_json("x", "k") is None
    cache.save_json("x", "k", {"a": 1})
    assert cache.load_json("x", "k") == {"a": 1}
    cache.path("x", "bad", ".json").write_text("[")
    with pytest.warns(DataQualityWarning):
        assert cache.load_json("x", "bad") is None
    assert not cache.path("x", "bad", ".json").exists()
    assert cache.size()[0] == 1
    assert cache.clear() == 1
    assert cache.size() == (0, 0) and cache.clear() == 0


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SCTFORECAST_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("SCTFORECAST_CACHE_DIR")
    assert cache_dir().name in {"sctforecast", "Cache"}


def test_clear_removes_only_a_marked_cache_folder(tmp_path):
    cache = ResultCache(tmp_path / "c")
    cache.save_json("x", "k", {"a": 1})
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f59")
    assert cache.size()[0] == 1  # the tag is not a saved result
    mine = tmp_path / "my documents"
    (mine / "sub").mkdir(parents=True)
    (mine / "sub" / "budget.xlsx").write_bytes(b"precious")
    with pytest.raises(ConfigError, match="not a sctforecast cache folder.*nothing was removed"):
        ResultCache(mine).clear()
    assert (mine / "sub" / "budget.xlsx").read_bytes() == b"precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ResultCache(empty).clear() == 0 and not empty.exists()
    assert cache.clear() == 1 and not (tmp_path / "c").exists()


def test_kinds_and_a_failed_save_leaves_no_entry(tmp_path):
    cache = ResultCache(tmp_path / "c")
    cache.save_json("forecast", "a", [1])
    cache.save_json("forecast", "b", [2])
    cache.save_json("pooled", "c", [3])
    kinds = cache.kinds()
    assert list(kinds) == ["forecast", "pooled"]
    assert kinds["forecast"][0] == 2 and kinds["pooled"][0] == 1
    assert sum(b for _, b in kinds.values()) == cache.size()[1]

    def bad_save(value, path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cache.fetch("fit", "k", ".nc", load=lambda p: 1, compute=lambda: 1, save=bad_save)
    assert not cache.path("fit", "k", ".nc").exists()
    assert list((tmp_path / "c" / "fit").iterdir()) == []
    cache.remove("forecast", "a", ".json")
    assert cache.load_json("forecast", "a") is None and cache.load_json("forecast", "b") == [2]


def test_a_result_of_several_files_is_one_folder_entry(tmp_path):
    cache = ResultCache(tmp_path / "c")

    def save(value, folder):
        (folder / "a.txt").write_text(value["a"])
        (folder / "b.txt").write_text(value["b"])

    def load(folder):
        return {"a": (folder / "a.txt").read_text(), "b": (folder / "b.txt").read_text()}

    def fetch(compute):
        return cache.fetch("fit", "k", "", load=load, compute=compute, save=save, folder=True)

    v, reused = fetch(lambda: {"a": "1", "b": "2"})
    assert not reused and cache.path("fit", "k", "").is_dir()
    assert fetch(lambda: {"a": "x", "b": "y"}) == ({"a": "1", "b": "2"}, True)
    (cache.path("fit", "k", "") / "b.txt").unlink()  # half an entry (edited by hand)
    with pytest.warns(DataQualityWarning, match="could not be read"):
        assert fetch(lambda: {"a": "3", "b": "4"}) == ({"a": "3", "b": "4"}, False)
    cache.remove("fit", "k", "")
    assert not cache.path("fit", "k", "").exists()


def test_keys_see_every_value_of_a_table_and_refuse_what_they_cannot_see():
    """A long table's repr elides its middle rows; the key must not."""
    a = pd.DataFrame({"x": np.arange(500.0)})
    b = a.copy()
    b.loc[250, "x"] = 250.5
    assert repr(a) == repr(b)  # what a repr-based key would have compared
    assert content_hash(data={"t": a}) != content_hash(data={"t": b})
    assert content_hash(data={"t": a}) == content_hash(data={"t": a.copy()})

    class Opaque:
        pass

    with pytest.raises(TypeError, match="cannot key a saved result on 'Opaque'"):
        content_hash(data={"o": Opaque()})
