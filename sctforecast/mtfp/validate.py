"""Validate a resolved scenario (nested dicts, as TOML gives) section by section.

:func:`read_scenario` runs one named step per section of the file; each step
reads its values through a :class:`~sctforecast.mtfp.schema.Checker`, which
collects every problem, and :func:`read_scenario` raises them once.  Every key
is either applied by the projector or refused here with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sctforecast.mtfp.schema import (
    COST_INFLATION,
    FROM_BASELINE,
    MTFP_LINES,
    PLACEMENT_METHODS,
    SCHEMA,
    THIRD_PARTY_RULES,
    Checker,
)
from sctforecast.periods import FinancialYear

__all__ = ["ThirdPartyItem", "SavingsItem", "Pressure", "read_scenario"]


@dataclass(frozen=True)
class ThirdPartyItem:
    """One line of third-party income.

    ``rule`` ``fixed``: ``amount_pence`` (``None``: the baseline year's whole
    third-party income) grown by ``growth``; ``share_of_placements``: ``share``
    (``None``: the baseline year's third-party income over its placements) of
    the placements line; ``per_uasc_child_week``: ``weekly_rate`` pounds per
    week of UASC placement.
    """

    name: str
    rule: str
    amount_pence: int | None = None
    share: float | None = None
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


def read_scenario(data: dict[str, Any], origin: str) -> dict[str, Any]:
    """The fields of a :class:`~sctforecast.mtfp.Scenario`; raises one
    :class:`~sctforecast.errors.ConfigError` listing every problem."""
    ck = Checker(origin)
    ck.keys("", "scenario", data)
    fields = _read_head(ck, data)
    fields.update(_read_baseline(ck, data))
    fields.update(_read_contract_sum(ck, data))
    fields["third_party"] = _read_third_party(ck, data)
    fields.update(_read_council(ck, data))
    fields.update(_read_staffing(ck, data))
    fields.update(_read_placements(ck, data))
    ohi = ck.keys("overheads", "[overheads]", data.get("overheads", {}))
    fields["overheads_inflation"] = ck.per_year("overheads.inflation", ohi.get("inflation"), 0.03)
    fields["savings"] = _read_savings(ck, data)
    fields["pressures"] = _read_pressures(ck, data)
    ck.raise_if_any()
    return fields


# --- named steps, one per section ------------------------------------------------------
def _read_head(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    name = ck.text("name", data.get("name", "unnamed"))
    base = ck.year("baseline_year", data.get("baseline_year", "2023/24")) or FinancialYear(2023)
    horizon = data.get("horizon", 5)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 3 <= horizon <= 10:
        ck.fail("horizon", f"{horizon!r} must be a whole number of years from 3 to 10")
        horizon = 5
    ck.years = [base + k for k in range(horizon + 1)]
    opening = data.get("opening_cumulative_deficit", FROM_BASELINE)
    opening_p = (
        None
        if opening == FROM_BASELINE
        else ck.money("opening_cumulative_deficit", opening, allow_negative=True)
    )
    return {
        "name": name,
        "description": ck.text("description", data.get("description", "")),
        "baseline_year": base,
        "horizon": horizon,
        "opening_cumulative_deficit_pence": opening_p,
    }


def _read_baseline(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    bl = ck.keys("baseline", "[baseline]", data.get("baseline", {}))
    lines: dict[str, tuple[str, ...]] = {}
    for k in MTFP_LINES:
        v = bl.get(k, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            ck.fail(f"baseline.{k}", "must be a list of ledger line names")
            v = []
        lines[k] = tuple(v)
    ledger = ck.text("baseline.ledger", bl.get("ledger", "embedded"))
    sheet = bl.get("sheet")
    if sheet is not None:
        ck.text("baseline.sheet", sheet)
        if ledger == "embedded" or not ledger.lower().endswith((".xlsx", ".xlsm")):
            ck.fail(
                "baseline.sheet",
                f"applies only to an .xlsx ledger file, and the ledger is {ledger!r}; "
                "delete the key or name an .xlsx ledger",
            )
    return {"baseline_ledger": ledger, "baseline_sheet": sheet, "baseline_lines": lines}


def _read_contract_sum(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    cs = ck.keys("contract_sum", "[contract_sum]", data.get("contract_sum", {}))
    uplift = cs.get("uplift")
    rule = "rate"
    if isinstance(uplift, str):
        if uplift != COST_INFLATION:
            ck.fail(
                "contract_sum.uplift",
                f"{uplift!r} is not a rate, a table of year = rate, or {COST_INFLATION!r}",
            )
        rule, uplift = COST_INFLATION, None
    return {
        "contract_amounts": ck.year_money("contract_sum.amounts", cs.get("amounts")),
        "contract_amounts_source": ck.text(
            "contract_sum.amounts_source", cs.get("amounts_source", "stated in the scenario")
        ),
        "contract_uplift_rule": rule,
        "contract_uplift": ck.per_year("contract_sum.uplift", uplift, 0.0),
        "contract_uplift_source": ck.text(
            "contract_sum.uplift_source", cs.get("uplift_source", "assumption")
        ),
    }


def _items(ck: Checker, data: dict[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        ck.fail(section, f"must be a list of [[{section}]] items")
        return []
    out = []
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        w = f"{section}[{i}]" + (f" {name!r}" if isinstance(name, str) else "")
        item = ck.keys(section, w, item)
        if item and not (isinstance(name, str) and name.strip()):
            ck.fail(w, "every item needs a name (inherited items are merged by name)")
        out.append((w, item))
    return out


_TP_KEYS = {
    "fixed": ("amount", "growth"),
    "share_of_placements": ("share",),
    "per_uasc_child_week": ("weekly_rate",),
}
_TP_WHY = {
    "fixed": "a fixed amount, grown by growth",
    "share_of_placements": "a share of the placements line, so it moves with placement cost",
    "per_uasc_child_week": "a weekly rate per UASC child",
}


def _read_third_party(ck: Checker, data: dict[str, Any]) -> tuple[ThirdPartyItem, ...]:
    items = []
    for w, item in _items(ck, data, "third_party_income"):
        rule = item.get("rule", "fixed")
        if rule not in THIRD_PARTY_RULES:
            ck.fail(f"{w}.rule", f"{rule!r} is not one of {', '.join(THIRD_PARTY_RULES)}")
            continue
        known = set(item) & set(SCHEMA["third_party_income"])
        for key in sorted(known - {"name", "rule", "source", *_TP_KEYS[rule]}):
            owner = next(r for r, keys in _TP_KEYS.items() if key in keys)
            ck.fail(
                f"{w}.{key}",
                f"is not used by rule {rule!r} ({_TP_WHY[rule]}); it belongs to rule "
                f"{owner!r}: delete it or change the rule",
            )
        amount, share = item.get("amount", FROM_BASELINE), item.get("share", FROM_BASELINE)
        if rule == "per_uasc_child_week" and "weekly_rate" not in item:
            ck.fail(f"{w}.weekly_rate", "rule 'per_uasc_child_week' needs a weekly_rate")
        items.append(
            ThirdPartyItem(
                name=str(item.get("name", "")),
                rule=rule,
                amount_pence=None if amount == FROM_BASELINE else ck.money(f"{w}.amount", amount),
                share=None
                if share == FROM_BASELINE
                else ck.number(f"{w}.share", share, 0.0, 1.0, " (a share: 0.18 is 18%)"),
                weekly_rate=(ck.money(f"{w}.weekly_rate", item.get("weekly_rate", 0)) or 0) / 100,
                growth=ck.per_year(f"{w}.growth", item.get("growth"), 0.0),
                source=ck.text(f"{w}.source", item.get("source", "")),
            )
        )
    whole = [
        t.name
        for t in items
        if (t.rule == "fixed" and t.amount_pence is None)
        or (t.rule == "share_of_placements" and t.share is None)
    ]
    if len(whole) > 1:
        ck.fail(
            "third_party_income",
            f"items {', '.join(map(repr, whole))} each take the baseline year's whole third-party "
            "income (amount or share 'from_baseline'), which would count it more than once; give "
            "all but one an amount or a share of their own",
        )
    return tuple(items)


def _read_council(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    cf = ck.keys(
        "additional_council_funding",
        "[additional_council_funding]",
        data.get("additional_council_funding", {}),
    )
    return {
        "council_amounts": ck.year_money("additional_council_funding.amounts", cf.get("amounts")),
        "council_default_pence": ck.money(
            "additional_council_funding.default", cf.get("default", 0)
        )
        or 0,
    }


def _read_staffing(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    st = ck.keys("staffing", "[staffing]", data.get("staffing", {}))
    ratio = st.get("children_in_care_per_worker", 15)
    return {
        "pay_award": ck.per_year("staffing.pay_award", st.get("pay_award"), 0.03),
        "children_in_care_per_worker": ck.number(
            "staffing.children_in_care_per_worker", ratio, 1, 100
        )
        or 15.0,
        "cost_per_social_worker_pence": ck.money(
            "staffing.cost_per_social_worker", st.get("cost_per_social_worker", 60_000)
        )
        or 0,
        "agency_share": ck.number("staffing.agency_share", st.get("agency_share", 0.2), 0, 1)
        or 0.0,
        "agency_premium": ck.number("staffing.agency_premium", st.get("agency_premium", 0.35), 0, 5)
        or 0.0,
    }


def _read_placements(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    pl = ck.keys("placements", "[placements]", data.get("placements", {}))
    method = pl.get("method", "growth")
    if method not in PLACEMENT_METHODS:
        ck.fail("placements.method", f"{method!r} is not one of {', '.join(PLACEMENT_METHODS)}")
    given = pl.get("price_inflation")
    return {
        "placements_method": str(method),
        "volume_growth": ck.per_year("placements.volume_growth", pl.get("volume_growth"), 0.0),
        "volume_growth_sd": ck.number(
            "placements.volume_growth_sd", pl.get("volume_growth_sd", 0.0), 0, 1
        )
        or 0.0,
        "price_inflation": ck.per_year("placements.price_inflation", given, 0.05),
        "price_inflation_set": given is not None,
        "price_sd": ck.number("placements.price_sd", pl.get("price_sd", 0.0), 0, 1) or 0.0,
    }


def _first_year(ck: Checker, where: str, item: dict[str, Any]) -> FinancialYear:
    years = ck.years
    fy = ck.year(f"{where}.first_year", item.get("first_year", years[1].label))
    if fy is not None and fy <= years[0]:
        ck.fail(
            f"{where}.first_year",
            f"{fy} is not after the baseline year {years[0]}; it must start in a projected year",
        )
    elif fy is not None and fy > years[-1]:
        ck.fail(f"{where}.first_year", f"{fy} is beyond the horizon (last year {years[-1]})")
    return fy or years[1]


def _read_savings(ck: Checker, data: dict[str, Any]) -> tuple[SavingsItem, ...]:
    out = []
    for w, item in _items(ck, data, "savings"):
        p = item.get("delivery_probability", 1.0)
        out.append(
            SavingsItem(
                name=str(item.get("name", "")),
                amount_pence=ck.money(f"{w}.amount", item.get("amount", 0)) or 0,
                first_year=_first_year(ck, w, item),
                delivery_probability=ck.number(
                    f"{w}.delivery_probability", p, 0, 1, " (a probability)"
                )
                or 0.0,
                recurring=ck.boolean(f"{w}.recurring", item.get("recurring", True)),
                source=ck.text(f"{w}.source", item.get("source", "")),
            )
        )
    return tuple(out)


def _read_pressures(ck: Checker, data: dict[str, Any]) -> tuple[Pressure, ...]:
    out = []
    for w, item in _items(ck, data, "pressures"):
        out.append(
            Pressure(
                name=str(item.get("name", "")),
                amount_pence=ck.money(f"{w}.amount", item.get("amount", 0), allow_negative=True)
                or 0,
                first_year=_first_year(ck, w, item),
                probability=ck.number(
                    f"{w}.probability", item.get("probability", 1.0), 0, 1, " (a probability)"
                )
                or 0.0,
                recurring=ck.boolean(f"{w}.recurring", item.get("recurring", True)),
                growth=ck.number(f"{w}.growth", item.get("growth", 0.0), -0.99, 10) or 0.0,
                source=ck.text(f"{w}.source", item.get("source", "")),
            )
        )
    return tuple(out)
