"""The closed schema of a scenario file, and the checker that reads its values.

Every key a scenario may hold is listed here with what it accepts; a key that
is not listed is an error that suggests the nearest one, and a key that used
to exist but is no longer applied (:data:`REFUSED_KEYS`) is an error that says
why.  :class:`Checker` reads one value at a time and collects every problem,
so a file with several mistakes is reported in one :class:`ConfigError`.
"""

from __future__ import annotations

import difflib
from typing import Any

from sctforecast.errors import ConfigError
from sctforecast.money import to_pence
from sctforecast.periods import FinancialYear

__all__ = [
    "MTFP_LINES",
    "LIST_SECTIONS",
    "ITEM_MARKERS",
    "SCHEMA",
    "REFUSED_KEYS",
    "PLACEMENT_METHODS",
    "THIRD_PARTY_RULES",
    "COST_INFLATION",
    "Checker",
]

MTFP_LINES = (
    "contract_sum",
    "third_party_income",
    "additional_council_funding",
    "staffing",
    "placements",
    "overheads",
)
#: Sections that are lists of named items ([[third_party_income]] ...): inherited
#: items merge by name (see :func:`sctforecast.mtfp.files.merge_scenario`).
LIST_SECTIONS = ("third_party_income", "savings", "pressures")
#: Keys of a list item that steer inheritance and are consumed by it.
ITEM_MARKERS = ("replace", "remove")
PLACEMENT_METHODS = ("cost_model", "growth")
THIRD_PARTY_RULES = ("fixed", "share_of_placements", "per_uasc_child_week")
#: ``[contract_sum] uplift`` value: uplift by the cost inflation the scenario assumes.
COST_INFLATION = "cost_inflation"
FROM_BASELINE = "from_baseline"

# section -> {key: what it accepts}; "" is the top level
SCHEMA: dict[str, dict[str, str]] = {
    "": {
        "name": "text",
        "description": "text",
        "inherits": "a built-in scenario name or a file beside this one",
        "baseline_year": "a financial year",
        "horizon": "years projected, 3 to 10",
        "opening_cumulative_deficit": "an amount, or 'from_baseline'",
        "baseline": "table",
        "contract_sum": "table",
        "third_party_income": "list of items",
        "additional_council_funding": "table",
        "staffing": "table",
        "placements": "table",
        "overheads": "table",
        "savings": "list of items",
        "pressures": "list of items",
    },
    "baseline": {
        "ledger": "'embedded' or a path to a CSV/xlsx ledger",
        "sheet": "sheet name of an xlsx ledger",
        **{k: "list of ledger line names" for k in MTFP_LINES},
    },
    "contract_sum": {
        "amounts": "table of year = amount",
        "amounts_source": "text",
        "uplift": "a rate, a table of year = rate, or 'cost_inflation'",
        "uplift_source": "text",
        "source": "text",
    },
    "third_party_income": {
        "name": "text",
        "rule": "fixed | share_of_placements | per_uasc_child_week",
        "amount": "an amount, or 'from_baseline' (rule fixed)",
        "share": "a share 0..1, or 'from_baseline' (rule share_of_placements)",
        "weekly_rate": "an amount per UASC child a week (rule per_uasc_child_week)",
        "growth": "a rate or a table of year = rate (rule fixed)",
        "source": "text",
    },
    "additional_council_funding": {
        "amounts": "table of year = amount",
        "default": "an amount",
        "source": "text",
    },
    "staffing": {
        "pay_award": "a rate or a table of year = rate",
        "children_in_care_per_worker": "a number 1..100",
        "cost_per_social_worker": "an amount (baseline-year prices)",
        "agency_share": "a share 0..1",
        "agency_premium": "a rate 0..5",
        "source": "text",
    },
    "placements": {
        "method": "cost_model | growth",
        "volume_growth": "a rate or a table of year = rate",
        "volume_growth_sd": "a number 0..1",
        "price_inflation": "a rate or a table of year = rate",
        "price_sd": "a number 0..1",
        "source": "text",
    },
    "overheads": {"inflation": "a rate or a table of year = rate", "source": "text"},
    "savings": {
        "name": "text",
        "amount": "an amount",
        "first_year": "a financial year",
        "delivery_probability": "a probability",
        "recurring": "true or false",
        "source": "text",
    },
    "pressures": {
        "name": "text",
        "amount": "an amount (negative: an easing)",
        "first_year": "a financial year",
        "probability": "a probability",
        "recurring": "true or false",
        "growth": "a rate a year",
        "source": "text",
    },
}

#: Keys that are recognised but refused, with the reason and the fix.
REFUSED_KEYS: dict[str, dict[str, str]] = {
    "placements": {
        "run_rate": (
            "is no longer a scenario setting: the run rate now comes from the authority "
            "profile (profile.children at the end of the baseline year, passed as "
            "project(..., profile=...), or sctforecast project --profile); delete the key"
        ),
    },
    "savings": {
        "applies_to": (
            "is not applied: every saving is shown on the plan's own savings line "
            "(Savings delivered), whatever it saves on; delete the key and say what it "
            "saves on in its name or source"
        ),
    },
}


class Checker:
    """Reads values of one scenario, collecting every problem with its location."""

    def __init__(self, origin: str, years: list[FinancialYear] | None = None) -> None:
        self.origin = origin
        self.problems: list[str] = []
        self.years: list[FinancialYear] = years or []

    def fail(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems, where=self.origin)

    # --- keys -------------------------------------------------------------------------
    def keys(self, section: str, where: str, table: Any) -> dict[str, Any]:
        """The table if it is one, after reporting unknown and refused keys."""
        if not isinstance(table, dict):
            self.fail(where, f"expected a table ([{section}]), got {type(table).__name__}")
            return {}
        allowed = SCHEMA[section]
        refused = REFUSED_KEYS.get(section, {})
        for key in table:
            if key in refused:
                self.fail(f"{where if section in LIST_SECTIONS else section}.{key}", refused[key])
            elif key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; known keys are {', '.join(sorted(allowed))}"
                )
                self.fail(where, f"unknown key {key!r}{hint}")
        return table

    # --- values -----------------------------------------------------------------------
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

    def boolean(self, where: str, v: Any) -> bool:
        if not isinstance(v, bool):
            self.fail(where, f"{v!r} must be true or false")
            return True
        return v

    def text(self, where: str, v: Any) -> str:
        if not isinstance(v, str):
            self.fail(where, f"{v!r} must be text")
            return str(v)
        return v

    def _projected(self, where: str, key: Any) -> FinancialYear | None:
        y = self.year(where, key)
        if y is not None and y not in self.years[1:]:
            self.fail(
                where, f"{y} is outside the projection years {self.years[1]} to {self.years[-1]}"
            )
            return None
        return y

    def per_year(
        self, where: str, v: Any, default: float, lo: float = -0.99, hi: float = 10.0
    ) -> dict[FinancialYear, float]:
        """A rate for every projected year from one number or a table of year = rate."""
        out = dict.fromkeys(self.years[1:], default)
        if v is None:
            return out
        if isinstance(v, dict):
            for k, x in v.items():
                y = self._projected(f"{where}['{k}']", k)
                val = self.number(f"{where}['{k}']", x, lo, hi)
                if y is not None and val is not None:
                    out[y] = val
            return out
        val = self.number(where, v, lo, hi)
        return dict.fromkeys(self.years[1:], default if val is None else val)

    def year_money(self, where: str, v: Any) -> dict[FinancialYear, int]:
        """A table of projected year = amount."""
        out: dict[FinancialYear, int] = {}
        if v is None:
            return out
        if not isinstance(v, dict):
            self.fail(where, 'must be a table of year = amount, e.g. { "2024/25" = 80_800_000 }')
            return out
        for k, x in v.items():
            y = self._projected(f"{where}['{k}']", k)
            p = self.money(f"{where}['{k}']", x)
            if y is not None and p is not None:
                out[y] = p
        return out
