"""MTFP scenario files (TOML): a closed schema, inheritance, one error for all problems.

A scenario says, for each line of the plan, how it moves from the baseline
year over the horizon.  See ``sctforecast/mtfp/scenarios/default.toml`` for a
documented example and ``docs/mtfp.md`` for every key.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from sctforecast._io import read_toml
from sctforecast.errors import ConfigError
from sctforecast.money import to_pence
from sctforecast.periods import FinancialYear

__all__ = [
    "Scenario",
    "SavingsItem",
    "Pressure",
    "ThirdPartyItem",
    "BUILTIN_SCENARIOS",
    "MTFP_LINES",
]

BUILTIN_SCENARIOS = ("default", "high_demand", "savings_slippage")
MTFP_LINES = (
    "contract_sum",
    "third_party_income",
    "additional_council_funding",
    "staffing",
    "placements",
    "overheads",
)
_PLACEMENT_METHODS = ("cost_model", "growth")
_RUN_RATES = ("sandwell_march_2024",)
_TP_RULES = ("fixed", "share_of_placements", "per_uasc_child_week")
_APPLIES = ("staffing", "placements", "overheads", "total")

# closed schema: section -> {key: kind}
_SCHEMA: dict[str, dict[str, str]] = {
    "": {
        "name": "str",
        "description": "str",
        "inherits": "str",
        "baseline_year": "year",
        "horizon": "int",
        "opening_cumulative_deficit": "money|from_baseline",
        "baseline": "table",
        "contract_sum": "table",
        "third_party_income": "array",
        "additional_council_funding": "table",
        "staffing": "table",
        "placements": "table",
        "overheads": "table",
        "savings": "array",
        "pressures": "array",
    },
    "baseline": {"ledger": "str", "sheet": "str", **{k: "strlist" for k in MTFP_LINES}},
    "contract_sum": {"amounts": "yearmoney", "uplift": "rate|yearrate", "source": "str"},
    "third_party_income": {
        "name": "str",
        "rule": "str",
        "amount": "money",
        "share": "share|from_baseline",
        "weekly_rate": "money",
        "growth": "rate|yearrate",
        "source": "str",
    },
    "additional_council_funding": {"amounts": "yearmoney", "default": "money", "source": "str"},
    "staffing": {
        "pay_award": "rate|yearrate",
        "children_in_care_per_worker": "posnum",
        "cost_per_social_worker": "money",
        "agency_share": "share",
        "agency_premium": "rate",
        "source": "str",
    },
    "placements": {
        "method": "str",
        "run_rate": "str",
        "volume_growth": "rate|yearrate",
        "volume_growth_sd": "nonneg",
        "price_inflation": "rate|yearrate",
        "price_sd": "nonneg",
        "source": "str",
    },
    "overheads": {"inflation": "rate|yearrate", "source": "str"},
    "savings": {
        "name": "str",
        "amount": "money",
        "first_year": "year",
        "delivery_probability": "prob",
        "recurring": "bool",
        "applies_to": "str",
        "source": "str",
    },
    "pressures": {
        "name": "str",
        "amount": "money",
        "first_year": "year",
        "probability": "prob",
        "recurring": "bool",
        "growth": "rate",
        "source": "str",
    },
}


@dataclass(frozen=True)
class ThirdPartyItem:
    name: str
    rule: str
    amount_pence: int = 0
    share: float | None = None  # None = from the baseline year
    weekly_rate: float = 0.0
    growth: dict[FinancialYear, float] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class SavingsItem:
    name: str
    amount_pence: int
    first_year: FinancialYear
    delivery_probability: float = 1.0
    recurring: bool = True
    applies_to: str = "total"
    source: str = ""


@dataclass(frozen=True)
class Pressure:
    name: str
    amount_pence: int
    first_year: FinancialYear
    probability: float = 1.0
    recurring: bool = True
    growth: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.  Build with :meth:`from_toml`, :meth:`builtin` or :meth:`from_dict`."""

    name: str
    description: str
    baseline_year: FinancialYear
    horizon: int
    baseline_ledger: str
    baseline_sheet: str | None
    baseline_lines: dict[str, tuple[str, ...]]
    opening_cumulative_deficit_pence: int | None
    contract_amounts: dict[FinancialYear, int]
    contract_uplift: dict[FinancialYear, float]
    third_party: tuple[ThirdPartyItem, ...]
    council_amounts: dict[FinancialYear, int]
    council_default_pence: int
    pay_award: dict[FinancialYear, float]
    children_in_care_per_worker: float
    cost_per_social_worker_pence: int
    agency_share: float
    agency_premium: float
    placements_method: str
    run_rate: str
    volume_growth: dict[FinancialYear, float]
    volume_growth_sd: float
    price_inflation: dict[FinancialYear, float]
    price_sd: float
    overheads_inflation: dict[FinancialYear, float]
    savings: tuple[SavingsItem, ...]
    pressures: tuple[Pressure, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)
    origin: str = "<dict>"

    @property
    def years(self) -> list[FinancialYear]:
        """The baseline year followed by the projected years."""
        return [self.baseline_year + k for k in range(self.horizon + 1)]

    @property
    def projected_years(self) -> list[FinancialYear]:
        return self.years[1:]

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(
            json.dumps(self.raw, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]

    # --- construction ------------------------------------------------------------
    @classmethod
    def builtin(cls, name: str = "default") -> Scenario:
        """One of :data:`BUILTIN_SCENARIOS`."""
        if name not in BUILTIN_SCENARIOS:
            raise ConfigError(
                f"unknown built-in scenario {name!r}; choose one of {', '.join(BUILTIN_SCENARIOS)}"
            )
        path = resources.files("sctforecast.mtfp") / "scenarios" / f"{name}.toml"
        return cls.from_toml(str(path), origin=f"built-in scenario {name!r}")

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], *, origin: str | None = None) -> Scenario:
        """Read a scenario file; ``inherits`` names a built-in scenario or a file beside it."""
        data = _load_with_inheritance(Path(path), seen=())
        return cls.from_dict(data, origin=origin or str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "<dict>") -> Scenario:
        """Validate a scenario given as nested dicts (as TOML would give)."""
        if "inherits" in data and not isinstance(data.get("_resolved"), bool):
            parent = data["inherits"]
            if parent in BUILTIN_SCENARIOS:
                base = Scenario.builtin(parent).raw
                data = _merge(base, {k: v for k, v in data.items() if k != "inherits"})
        data = {k: v for k, v in data.items() if k not in ("inherits", "_resolved")}
        return _validate(copy.deepcopy(data), origin)

    def override(self, changes: dict[str, Any], *, name: str | None = None) -> Scenario:
        """A new scenario: this one with ``changes`` merged in (tables merge, lists replace)."""
        merged = _merge(self.raw, changes)
        if name:
            merged["name"] = name
        return _validate(merged, f"{self.origin} (overridden)")

    def assumptions(self) -> pd.DataFrame:
        """Every assumption of the scenario with its value and source, one row each."""
        rows: list[tuple[str, str, str]] = []
        r = self.raw

        def add(section: str, key: str, value: Any) -> None:
            src = (r.get(section, {}) if section else r).get("source", "") if section else ""
            rows.append((f"{section}.{key}" if section else key, str(value), src))

        add("", "baseline_year", self.baseline_year)
        add("", "horizon", f"{self.horizon} years")
        for section in (
            "contract_sum",
            "additional_council_funding",
            "staffing",
            "placements",
            "overheads",
            "baseline",
        ):
            for key, value in r.get(section, {}).items():
                if key != "source":
                    add(section, key, value)
        for arr in ("third_party_income", "savings", "pressures"):
            for item in r.get(arr, []):
                desc = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("name", "source"))
                rows.append((f"{arr}: {item.get('name', '')}", desc, item.get("source", "")))
        return pd.DataFrame(rows, columns=["assumption", "value", "source"])

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {self.years[0]} to {self.years[-1]}, {len(self.savings)} savings items>"


# ---------------------------------------------------------------------------
def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _load_with_inheritance(path: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    data = read_toml(path)
    parent = data.get("inherits")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: inherits must be a scenario name or a file name")
    key = str(path.resolve())
    if key in seen:
        raise ConfigError(f"{path}: scenarios inherit from each other in a loop")
    if parent in BUILTIN_SCENARIOS:
        base_path = Path(str(resources.files("sctforecast.mtfp") / "scenarios" / f"{parent}.toml"))
    else:
        base_path = (
            (path.parent / parent).with_suffix(".toml")
            if not parent.endswith(".toml")
            else path.parent / parent
        )
        if not base_path.exists():
            raise ConfigError(
                f"{path}: inherits {parent!r}, which is neither a built-in scenario "
                f"({', '.join(BUILTIN_SCENARIOS)}) nor a file beside it"
            )
    base = _load_with_inheritance(base_path, (*seen, key))
    return _merge(base, {k: v for k, v in data.items() if k != "inherits"})


class _Checker:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def fail(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    def year(self, where: str, v: Any) -> FinancialYear | None:
        try:
            return FinancialYear.parse(v)
        except Exception as err:  # noqa: BLE001 - reported with its location
            self.fail(where, f"{v!r} is not a financial year such as '2024/25' ({err})")
            return None

    def money(self, where: str, v: Any, *, allow_negative: bool = False) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            self.fail(where, f"{v!r} is not an amount of money")
            return None
        try:
            p = to_pence(v)
        except Exception as err:  # noqa: BLE001
            self.fail(where, str(err))
            return None
        if p < 0 and not allow_negative:
            self.fail(where, f"{v!r} is negative; amounts here must be zero or more")
            return None
        return p

    def number(
        self, where: str, v: Any, lo: float | None = None, hi: float | None = None, what: str = ""
    ) -> float | None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(where, f"{v!r} is not a number{what}")
            return None
        x = float(v)
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            rng = f"{'' if lo is None else lo}..{'' if hi is None else hi}"
            self.fail(where, f"{v!r} is outside {rng}{what}")
            return None
        return x


def _check_keys(ck: _Checker, section: str, where: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        ck.fail(where, f"expected a table ([{section}]), got {type(table).__name__}")
        return {}
    allowed = _SCHEMA[section]
    for key in table:
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; known keys are {', '.join(sorted(allowed))}"
            )
            ck.fail(where, f"unknown key {key!r}{hint}")
    return table


def _validate(data: dict[str, Any], origin: str) -> Scenario:  # noqa: C901 - one pass over a closed schema
    ck = _Checker(origin)
    _check_keys(ck, "", "scenario", data)
    name = data.get("name", "unnamed")
    if not isinstance(name, str):
        ck.fail("name", "must be text")
    base = ck.year("baseline_year", data.get("baseline_year", "2023/24")) or FinancialYear(2023)
    horizon = data.get("horizon", 5)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 3 <= horizon <= 10:
        ck.fail("horizon", f"{horizon!r} must be a whole number of years from 3 to 10")
        horizon = 5
    years = [base + k for k in range(horizon + 1)]
    projected = set(years[1:])

    def per_year(
        where: str, v: Any, default: float, lo: float = -0.99, hi: float = 10.0
    ) -> dict[FinancialYear, float]:
        out = dict.fromkeys(years[1:], default)
        if v is None:
            return out
        if isinstance(v, dict):
            for k, x in v.items():
                y = ck.year(f"{where}['{k}']", k)
                val = ck.number(f"{where}['{k}']", x, lo, hi)
                if y is not None and y not in projected:
                    ck.fail(
                        f"{where}['{k}']",
                        f"{y} is outside the projection years {years[1]} to {years[-1]}",
                    )
                elif y is not None and val is not None:
                    out[y] = val
            return out
        val = ck.number(where, v, lo, hi)
        return dict.fromkeys(years[1:], default if val is None else val)

    def year_money(where: str, v: Any) -> dict[FinancialYear, int]:
        out: dict[FinancialYear, int] = {}
        if v is None:
            return out
        if not isinstance(v, dict):
            ck.fail(where, 'must be a table of year = amount, e.g. { "2024/25" = 80_800_000 }')
            return out
        for k, x in v.items():
            y = ck.year(f"{where}['{k}']", k)
            p = ck.money(f"{where}['{k}']", x)
            if y is not None and y not in projected:
                ck.fail(
                    f"{where}['{k}']",
                    f"{y} is outside the projection years {years[1]} to {years[-1]}",
                )
            elif y is not None and p is not None:
                out[y] = p
        return out

    # baseline
    bl = _check_keys(ck, "baseline", "[baseline]", data.get("baseline", {}))
    lines: dict[str, tuple[str, ...]] = {}
    for k in MTFP_LINES:
        v = bl.get(k, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            ck.fail(f"baseline.{k}", "must be a list of ledger line names")
            v = []
        lines[k] = tuple(v)
    ledger = bl.get("ledger", "embedded")
    opening = data.get("opening_cumulative_deficit", "from_baseline")
    opening_p = (
        None
        if opening == "from_baseline"
        else ck.money("opening_cumulative_deficit", opening, allow_negative=True)
    )
    # contract sum
    cs = _check_keys(ck, "contract_sum", "[contract_sum]", data.get("contract_sum", {}))
    contract = year_money("contract_sum.amounts", cs.get("amounts"))
    uplift = per_year("contract_sum.uplift", cs.get("uplift"), 0.0)
    # third-party income
    tps = []
    tp_raw = data.get("third_party_income", [])
    if not isinstance(tp_raw, list):
        ck.fail("third_party_income", "must be a list of [[third_party_income]] items")
        tp_raw = []
    for i, item in enumerate(tp_raw):
        w = f"third_party_income[{i}]"
        item = _check_keys(ck, "third_party_income", w, item)
        rule = item.get("rule", "fixed")
        if rule not in _TP_RULES:
            ck.fail(f"{w}.rule", f"{rule!r} is not one of {', '.join(_TP_RULES)}")
        share = item.get("share")
        sh = (
            None
            if share in (None, "from_baseline")
            else ck.number(f"{w}.share", share, 0.0, 1.0, " (a share: 0.18 is 18%)")
        )
        tps.append(
            ThirdPartyItem(
                name=str(item.get("name", f"item {i}")),
                rule=str(rule),
                amount_pence=ck.money(f"{w}.amount", item.get("amount", 0)) or 0,
                share=sh,
                weekly_rate=(ck.money(f"{w}.weekly_rate", item.get("weekly_rate", 0)) or 0) / 100,
                growth=per_year(f"{w}.growth", item.get("growth"), 0.0),
                source=str(item.get("source", "")),
            )
        )
    # council
    cf = _check_keys(
        ck,
        "additional_council_funding",
        "[additional_council_funding]",
        data.get("additional_council_funding", {}),
    )
    council = year_money("additional_council_funding.amounts", cf.get("amounts"))
    council_default = ck.money("additional_council_funding.default", cf.get("default", 0)) or 0
    # staffing
    st = _check_keys(ck, "staffing", "[staffing]", data.get("staffing", {}))
    pay = per_year("staffing.pay_award", st.get("pay_award"), 0.03)
    ratio = (
        ck.number(
            "staffing.children_in_care_per_worker",
            st.get("children_in_care_per_worker", 15),
            1,
            100,
        )
        or 15.0
    )
    cpsw = (
        ck.money("staffing.cost_per_social_worker", st.get("cost_per_social_worker", 60_000)) or 0
    )
    agency_share = ck.number("staffing.agency_share", st.get("agency_share", 0.2), 0, 1) or 0.0
    agency_premium = (
        ck.number("staffing.agency_premium", st.get("agency_premium", 0.35), 0, 5) or 0.0
    )
    # placements
    pl = _check_keys(ck, "placements", "[placements]", data.get("placements", {}))
    method = pl.get("method", "growth")
    if method not in _PLACEMENT_METHODS:
        ck.fail("placements.method", f"{method!r} is not one of {', '.join(_PLACEMENT_METHODS)}")
    run_rate = pl.get("run_rate", "sandwell_march_2024")
    if method == "cost_model" and run_rate not in _RUN_RATES:
        ck.fail("placements.run_rate", f"{run_rate!r} is not one of {', '.join(_RUN_RATES)}")
    vg = per_year("placements.volume_growth", pl.get("volume_growth"), 0.0)
    vsd = ck.number("placements.volume_growth_sd", pl.get("volume_growth_sd", 0.0), 0, 1) or 0.0
    pinf = per_year("placements.price_inflation", pl.get("price_inflation"), 0.05)
    psd = ck.number("placements.price_sd", pl.get("price_sd", 0.0), 0, 1) or 0.0
    # overheads
    oh = _check_keys(ck, "overheads", "[overheads]", data.get("overheads", {}))
    ohi = per_year("overheads.inflation", oh.get("inflation"), 0.03)
    # savings and pressures
    savings: list[SavingsItem] = []
    raw_s = data.get("savings", [])
    if not isinstance(raw_s, list):
        ck.fail("savings", "must be a list of [[savings]] items")
        raw_s = []
    for i, item in enumerate(raw_s):
        w = f"savings[{i}] {item.get('name', '') if isinstance(item, dict) else ''}".strip()
        item = _check_keys(ck, "savings", w, item)
        fy = ck.year(f"{w}.first_year", item.get("first_year", years[1].label))
        if fy is not None and fy <= base:
            ck.fail(
                f"{w}.first_year",
                f"{fy} is not after the baseline year {base}; savings start in a projected year",
            )
        elif fy is not None and fy > years[-1]:
            ck.fail(f"{w}.first_year", f"{fy} is beyond the horizon (last year {years[-1]})")
        applies = item.get("applies_to", "total")
        if applies not in _APPLIES:
            ck.fail(f"{w}.applies_to", f"{applies!r} is not one of {', '.join(_APPLIES)}")
        rec = item.get("recurring", True)
        if not isinstance(rec, bool):
            ck.fail(f"{w}.recurring", "must be true or false")
        savings.append(
            SavingsItem(
                name=str(item.get("name", f"saving {i}")),
                amount_pence=ck.money(f"{w}.amount", item.get("amount", 0)) or 0,
                first_year=fy or years[1],
                delivery_probability=ck.number(
                    f"{w}.delivery_probability",
                    item.get("delivery_probability", 1.0),
                    0,
                    1,
                    " (a probability)",
                )
                if "delivery_probability" in item
                else 1.0,  # type: ignore[arg-type]
                recurring=bool(rec),
                applies_to=str(applies),
                source=str(item.get("source", "")),
            )
        )
    pressures: list[Pressure] = []
    raw_p = data.get("pressures", [])
    if not isinstance(raw_p, list):
        ck.fail("pressures", "must be a list of [[pressures]] items")
        raw_p = []
    for i, item in enumerate(raw_p):
        w = f"pressures[{i}] {item.get('name', '') if isinstance(item, dict) else ''}".strip()
        item = _check_keys(ck, "pressures", w, item)
        fy = ck.year(f"{w}.first_year", item.get("first_year", years[1].label))
        if fy is not None and (fy <= base or fy > years[-1]):
            ck.fail(
                f"{w}.first_year", f"{fy} is outside the projection years {years[1]} to {years[-1]}"
            )
        pressures.append(
            Pressure(
                name=str(item.get("name", f"pressure {i}")),
                amount_pence=ck.money(f"{w}.amount", item.get("amount", 0), allow_negative=True)
                or 0,
                first_year=fy or years[1],
                probability=ck.number(
                    f"{w}.probability", item.get("probability", 1.0), 0, 1, " (a probability)"
                )
                or 0.0,
                recurring=bool(item.get("recurring", True)),
                growth=ck.number(f"{w}.growth", item.get("growth", 0.0), -0.99, 10) or 0.0,
                source=str(item.get("source", "")),
            )
        )
    if ck.problems:
        raise ConfigError(ck.problems, where=origin)
    return Scenario(
        name=str(name),
        description=str(data.get("description", "")),
        baseline_year=base,
        horizon=horizon,
        baseline_ledger=str(ledger),
        baseline_sheet=bl.get("sheet"),
        baseline_lines=lines,
        opening_cumulative_deficit_pence=opening_p,
        contract_amounts=contract,
        contract_uplift=uplift,
        third_party=tuple(tps),
        council_amounts=council,
        council_default_pence=council_default,
        pay_award=pay,
        children_in_care_per_worker=ratio,
        cost_per_social_worker_pence=cpsw,
        agency_share=agency_share,
        agency_premium=agency_premium,
        placements_method=str(method),
        run_rate=str(run_rate),
        volume_growth=vg,
        volume_growth_sd=vsd,
        price_inflation=pinf,
        price_sd=psd,
        overheads_inflation=ohi,
        savings=tuple(savings),
        pressures=tuple(pressures),
        raw=data,
        origin=origin,
    )
