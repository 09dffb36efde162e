"""Scenario files: reading TOML, inheritance, and writing a resolved scenario back.

Inheritance rule (``inherits = "default"`` or a file beside this one)
---------------------------------------------------------------------
* Tables merge key by key: a key the child sets replaces the parent's value;
  a table of years (``amounts = { "2025/26" = ... }``) merges year by year.
* Lists of items (:data:`~sctforecast.mtfp.schema.LIST_SECTIONS`:
  ``[[third_party_income]]``, ``[[savings]]``, ``[[pressures]]``) merge **by
  name**: a child item whose ``name`` matches an inherited item replaces only
  the keys it sets; an item with a new name is appended.
* ``remove = true`` on a named item drops the inherited item of that name
  (naming one that is not inherited is an error).
* ``replace = true`` on any item of a list drops the whole inherited list
  first: the child's items are then the list.  An item holding only
  ``replace = true`` empties the list.

:meth:`Scenario.override` follows the same rule.  The markers are consumed:
a resolved scenario never holds ``replace`` or ``remove``.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from sctforecast._io import read_toml
from sctforecast.errors import ConfigError
from sctforecast.mtfp.schema import ITEM_MARKERS, LIST_SECTIONS, SCHEMA

__all__ = [
    "BUILTIN_SCENARIOS",
    "builtin_path",
    "load_scenario_file",
    "merge_scenario",
    "render_toml",
]

BUILTIN_SCENARIOS = (
    "default",
    "flat_cash",
    "inflation_funded",
    "high_demand",
    "savings_slippage",
)


def builtin_path(name: str) -> Path:
    if name not in BUILTIN_SCENARIOS:
        raise ConfigError(
            f"unknown built-in scenario {name!r}; choose one of {', '.join(BUILTIN_SCENARIOS)}"
        )
    return Path(str(resources.files("sctforecast.mtfp") / "scenarios" / f"{name}.toml"))


def load_scenario_file(path: Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and everything it inherits, merged (markers consumed)."""
    data = read_toml(path, kind="scenario")
    _absolute_ledger(data, path)
    parent = data.pop("inherits", None)
    if parent is None:
        return merge_scenario({}, data, where=str(path))
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: inherits must be a scenario name or a file name")
    key = str(path.resolve())
    if key in seen:
        raise ConfigError(f"{path}: scenarios inherit from each other in a loop")
    if parent in BUILTIN_SCENARIOS:
        base_path = builtin_path(parent)
    else:
        base_path = path.parent / (parent if parent.endswith(".toml") else f"{parent}.toml")
        if not base_path.exists():
            raise ConfigError(
                f"{path}: inherits {parent!r}, which is neither a built-in scenario "
                f"({', '.join(BUILTIN_SCENARIOS)}) nor a file beside it"
            )
    base = load_scenario_file(base_path, (*seen, key))
    return merge_scenario(base, data, where=str(path))


def _absolute_ledger(data: dict[str, Any], path: Path) -> None:
    """A ledger path in a file is relative to that file's folder."""
    bl = data.get("baseline")
    if isinstance(bl, dict) and isinstance(bl.get("ledger"), str) and bl["ledger"] != "embedded":
        p = Path(bl["ledger"])
        if not p.is_absolute():
            bl["ledger"] = str((path.parent / p).resolve())


# --- merging ----------------------------------------------------------------------------
def merge_scenario(base: dict[str, Any], child: dict[str, Any], *, where: str) -> dict[str, Any]:
    """``child`` over ``base`` by the inheritance rule of this module."""
    problems: list[str] = []
    out = copy.deepcopy(base)
    for key, value in child.items():
        if key in LIST_SECTIONS:
            out[key] = _merge_list(key, base.get(key, []), value, problems)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    if problems:
        raise ConfigError(problems, where=where)
    return out


def _merge_tables(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge_tables(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _merge_list(section: str, inherited: Any, items: Any, problems: list[str]) -> Any:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return copy.deepcopy(items)  # the validator reports the shape
    for i, item in enumerate(items):
        for marker in ITEM_MARKERS:
            if marker in item and not isinstance(item[marker], bool):
                problems.append(f"{section}[{i}].{marker}: must be true or false")
    replace = any(item.get("replace") is True for item in items)
    base = [] if replace or not isinstance(inherited, list) else copy.deepcopy(inherited)
    names = [item.get("name") for item in items if "name" in item]
    for name in sorted({n for n in names if isinstance(n, str) and names.count(n) > 1}):
        problems.append(f"{section}: two items are named {name!r}; give each item its own name")
    out = base
    for i, raw in enumerate(items):
        item = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ITEM_MARKERS}
        where = f"{section}[{i}]" + (f" {item['name']!r}" if "name" in item else "")
        if raw.get("remove") is True:
            _remove(out, item, where, replace, problems)
            continue
        if not item:
            continue  # a marker-only item: `replace = true` alone empties the list
        at = next(
            (j for j, old in enumerate(out) if "name" in item and old.get("name") == item["name"]),
            None,
        )
        if at is None:
            out.append(item)
        else:
            out[at] = _merge_tables(out[at], item)
    return out


def _remove(
    out: list[dict[str, Any]], item: dict[str, Any], where: str, replace: bool, problems: list[str]
) -> None:
    name = item.get("name")
    if set(item) != {"name"}:
        extra = sorted(set(item) - {"name"})
        problems.append(
            f"{where}: remove = true takes only the item's name, got also {', '.join(extra) or 'no name'}"
        )
        return
    if replace:
        problems.append(
            f"{where}: remove = true and replace = true in one list: use one or the other"
        )
        return
    at = next((j for j, old in enumerate(out) if old.get("name") == name), None)
    if at is None:
        known = ", ".join(repr(o.get("name")) for o in out) or "none"
        problems.append(
            f"{where}: cannot remove {name!r}: no inherited item has that name (inherited: {known})"
        )
        return
    del out[at]


# --- writing ------------------------------------------------------------------------------
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:_}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(x)}" for k, x in v.items()) + " }"
    raise ConfigError(f"cannot write {v!r} ({type(v).__name__}) to a scenario file")


def render_toml(data: dict[str, Any]) -> str:
    """TOML text of a resolved scenario (top-level keys, tables, then lists of
    items, in the schema's order); ``tomllib.loads`` reads it back to ``data``."""
    order = list(SCHEMA[""])
    keys = sorted(data, key=lambda k: order.index(k) if k in order else len(order))
    lines: list[str] = []
    for k in keys:
        if not isinstance(data[k], dict) and (k not in LIST_SECTIONS or data[k] == []):
            lines.append(f"{_key(k)} = {_value(data[k])}")
    for k in keys:
        if isinstance(data[k], dict):
            lines += ["", f"[{_key(k)}]"]
            lines += [f"{_key(str(kk))} = {_value(vv)}" for kk, vv in data[k].items()]
    for k in keys:
        if k in LIST_SECTIONS and isinstance(data[k], list) and data[k]:
            for item in data[k]:
                lines += ["", f"[[{_key(k)}]]"]
                lines += [f"{_key(str(kk))} = {_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"
