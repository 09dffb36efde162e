"""MTFP scenarios: a closed schema (:mod:`~sctforecast.mtfp.schema`), inheritance
(:mod:`~sctforecast.mtfp.files`), and one error for all problems
(:mod:`~sctforecast.mtfp.validate`).

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
from pathlib import Path
from typing import Any

import pandas as pd

from sctforecast.errors import ConfigError
from sctforecast.mtfp.files import (
    BUILTIN_SCENARIOS,
    builtin_path,
    load_scenario_file,
    merge_scenario,
    render_toml,
)
from sctforecast.mtfp.schema import LIST_SECTIONS, MTFP_LINES
from sctforecast.mtfp.validate import Pressure, SavingsItem, ThirdPartyItem, read_scenario
from sctforecast.periods import FinancialYear

__all__ = [
    "Scenario",
    "SavingsItem",
    "Pressure",
    "ThirdPartyItem",
    "BUILTIN_SCENARIOS",
    "MTFP_LINES",
]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.  Build with :meth:`from_toml`, :meth:`builtin` or :meth:`from_dict`.

    ``raw`` is the resolved scenario (inheritance applied) as nested dicts;
    :meth:`to_toml` writes it back as a file that needs no parent.
    """

    name: str
    description: str
    baseline_year: FinancialYear
    horizon: int
    baseline_ledger: str
    baseline_sheet: str | None
    baseline_lines: dict[str, tuple[str, ...]]
    opening_cumulative_deficit_pence: int | None
    contract_amounts: dict[FinancialYear, int]
    contract_amounts_source: str
    contract_uplift_rule: str
    contract_uplift: dict[FinancialYear, float]
    contract_uplift_source: str
    third_party: tuple[ThirdPartyItem, ...]
    council_amounts: dict[FinancialYear, int]
    council_default_pence: int
    pay_award: dict[FinancialYear, float]
    children_in_care_per_worker: float
    cost_per_social_worker_pence: int
    agency_share: float
    agency_premium: float
    placements_method: str
    volume_growth: dict[FinancialYear, float]
    volume_growth_sd: float
    price_inflation: dict[FinancialYear, float]
    price_inflation_set: bool
    price_sd: float
    overheads_inflation: dict[FinancialYear, float]
    savings: tuple[SavingsItem, ...]
    pressures: tuple[Pressure, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)
    origin: str = field(default="<dict>", compare=False)

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

    @property
    def uncertain(self) -> bool:
        """Whether any assumption is drawn at random (so one path is not enough)."""
        return (
            self.volume_growth_sd > 0
            or self.price_sd > 0
            or any(s.delivery_probability < 1 for s in self.savings)
            or any(0 < p.probability < 1 for p in self.pressures)
        )

    # --- construction ------------------------------------------------------------
    @classmethod
    def builtin(cls, name: str = "default") -> Scenario:
        """One of :data:`BUILTIN_SCENARIOS`."""
        return cls.from_toml(builtin_path(name), origin=f"built-in scenario {name!r}")

    @classmethod
    def resolve(cls, spec: str | os.PathLike[str]) -> Scenario:
        """A built-in name (unless a file of that name exists) or a scenario file."""
        if isinstance(spec, str) and spec in BUILTIN_SCENARIOS and not Path(spec).exists():
            return cls.builtin(spec)
        return cls.from_toml(spec)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], *, origin: str | None = None) -> Scenario:
        """Read a scenario file; ``inherits`` names a built-in scenario or a file beside it
        (see :mod:`sctforecast.mtfp.files` for how inherited lists merge)."""
        data = load_scenario_file(Path(path))
        return cls._validated(data, origin or str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "<dict>") -> Scenario:
        """Validate a scenario given as nested dicts (as TOML would give); ``inherits``
        may name a built-in scenario."""
        data = copy.deepcopy(data)
        parent = data.pop("inherits", None)
        if parent is None:
            return cls._validated(merge_scenario({}, data, where=origin), origin)
        if parent not in BUILTIN_SCENARIOS:
            raise ConfigError(
                f"{origin}: inherits {parent!r}: from_dict inherits only a built-in scenario "
                f"({', '.join(BUILTIN_SCENARIOS)}); read files with Scenario.from_toml"
            )
        base = cls.builtin(parent).raw
        return cls._validated(merge_scenario(base, data, where=origin), origin)

    @classmethod
    def _validated(cls, data: dict[str, Any], origin: str) -> Scenario:
        return cls(**read_scenario(data, origin), raw=data, origin=origin)

    def override(self, changes: dict[str, Any], *, name: str | None = None) -> Scenario:
        """A new scenario: this one with ``changes`` merged in by the inheritance rule
        (tables key by key; listed items by name, with ``replace`` and ``remove``)."""
        where = f"{self.origin} (overridden)"
        merged = merge_scenario(self.raw, changes, where=where)
        if name:
            merged["name"] = name
        return self._validated(merged, where)

    # --- describing ----------------------------------------------------------------
    def to_toml(self) -> str:
        """The resolved scenario as TOML text (no ``inherits``: every value written out)."""
        return render_toml(self.raw)

    def assumptions(self) -> pd.DataFrame:
        """Every assumption of the scenario with its value and source, one row each."""
        rows: list[tuple[str, str, str]] = []
        r = self.raw
        rows.append(("baseline_year", str(self.baseline_year), ""))
        rows.append(("horizon", f"{self.horizon} years", ""))
        for section in (
            "contract_sum",
            "additional_council_funding",
            "staffing",
            "placements",
            "overheads",
            "baseline",
        ):
            table = r.get(section, {})
            for key, value in table.items():
                if key != "source" and not key.endswith("_source"):
                    own = (table.get(f"{key}_source"), table.get("source"))
                    src = "; ".join(str(x) for x in own if x)
                    rows.append((f"{section}.{key}", str(value), src))
        for arr in LIST_SECTIONS:
            for item in r.get(arr, []):
                desc = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("name", "source"))
                rows.append((f"{arr}: {item.get('name', '')}", desc, item.get("source", "")))
        return pd.DataFrame(rows, columns=["assumption", "value", "source"])

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name!r}: {self.years[0]} to {self.years[-1]}, "
            f"{len(self.savings)} savings items>"
        )
