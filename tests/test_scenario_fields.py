"""Audit: every key of the scenario schema is applied (a test shows the output
change) or refused with a ConfigError that names it and says why."""

import numpy as np
import pandas as pd
import pytest

from sctforecast import ConfigError
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.mtfp import Scenario, project, scenario_ledger
from sctforecast.mtfp.schema import MTFP_LINES, REFUSED_KEYS, SCHEMA

LEDGER, PROFILE = load_outturn(), sandwell_profile()
# the default made deterministic: one path, savings delivered in full
BASE = Scenario.builtin().override(
    {
        "placements": {"volume_growth_sd": 0.0, "price_sd": 0.0},
        "savings": [{"name": "Cost Saving Programme 2024/25", "delivery_probability": 1.0}],
    }
)
# with volumes growing, so that staffing moves with children in care
GROWING = BASE.override({"placements": {"volume_growth": 0.05}})


def run(s, **kw):
    return project(LEDGER, s, profile=PROFILE, random_seed=3, **kw)


def line(p, name, year="2025/26"):
    return p.line(name, year)


def changed(base, changes, name, year="2025/26", **kw):
    """(before, after) of one line and year, the scenario with ``changes`` merged in."""
    return line(run(base, **kw), name, year), line(run(base.override(changes), **kw), name, year)


def differs(base, changes, name, year="2025/26", **kw):
    a, b = changed(base, changes, name, year, **kw)
    assert not np.array_equal(a, b), (changes, name, year)
    return a, b


def in_assumptions(changes, text):
    a = BASE.override(changes).assumptions()
    assert a.apply(lambda r: text in " ".join(map(str, r)), axis=1).any(), (changes, text)


# --- one probe per key -------------------------------------------------------------------
def p_name():
    p = run(BASE.override({"name": "mine"}))
    assert p.draws.attrs["scenario"] == "mine" and "Scenario 'mine'" in p.text


def p_description():
    assert 'description = "my words"' in BASE.override({"description": "my words"}).to_toml()


def p_inherits():
    s = Scenario.from_dict({"inherits": "high_demand", "name": "x"})
    assert s.volume_growth != BASE.volume_growth


def p_baseline_year():
    s = Scenario.from_dict(
        {"name": "x", "baseline_year": "2024/25", "baseline": BASE.raw["baseline"]}
    )
    assert s.years[1].label == "2025/26"
    with pytest.raises(ConfigError, match="describes 2023/24, but the scenario's baseline_year"):
        run(s)


def p_horizon():
    assert run(BASE.override({"horizon": 3})).years[-1] == "2026/27"


def p_opening():
    p = run(BASE.override({"opening_cumulative_deficit": 1_000_000}))
    assert (p.line("opening_cumulative_deficit", "2023/24") == 1_000_000_00).all()


def p_ledger(tmp_path):
    path = tmp_path / "l.csv"
    f = LEDGER.to_frame()
    f.assign(amount=f["amount_pence"] / 100)[["financial_year", "line", "kind", "amount"]].to_csv(
        path, index=False
    )
    s = BASE.override({"baseline": {"ledger": str(path)}})
    assert scenario_ledger(s).origin == str(path)
    with pytest.raises(ConfigError, match="pass it in"):
        scenario_ledger(BASE)


def p_sheet(tmp_path):
    path = tmp_path / "l.xlsx"
    f = LEDGER.to_frame()
    with pd.ExcelWriter(path) as xl:
        f.assign(amount=f["amount_pence"] / 100)[
            ["financial_year", "line", "kind", "amount"]
        ].to_excel(xl, sheet_name="Outturn", index=False)
    s = BASE.override({"baseline": {"ledger": str(path), "sheet": "Outturn"}})
    assert scenario_ledger(s).amount("2023/24", "Placements") == 48_565_330_00
    with pytest.raises(ConfigError, match="baseline.sheet: applies only to an .xlsx ledger"):
        BASE.override({"baseline": {"sheet": "Outturn"}})


def p_baseline_line(mline):
    def probe():
        with pytest.raises(ConfigError, match="are not mapped to any MTFP line"):
            run(BASE.override({"baseline": {mline: []}}))

    return probe


def p_amounts():
    a, b = changed(BASE, {"contract_sum": {"amounts": {"2025/26": 90_000_000}}}, "contract_sum")
    assert (b == 90_000_000_00).all() and (a == 80_800_000_00).all()


def p_amounts_source():
    p = run(BASE.override({"contract_sum": {"amounts_source": "signed off"}}))
    assert p.contract_sum_assumptions[1] == "80,800,000 signed off"


def p_uplift():
    a, b = changed(BASE, {"contract_sum": {"uplift": 0.02}}, "contract_sum")
    assert (b == 82_416_000_00).all()


def p_uplift_source():
    p = run(BASE.override({"contract_sum": {"uplift_source": "my guess"}}))
    assert p.contract_sum_assumptions[2].endswith("(my guess)")


def p_source(section):
    def probe():
        if section in ("third_party_income", "savings", "pressures"):
            item = {
                "third_party_income": "Third-party income (health, education, grants)",
                "savings": "Cost Saving Programme 2024/25",
                "pressures": None,
            }[section]
            if item is None:
                changes = {section: [{"name": "P", "amount": 1, "source": "cited here"}]}
            else:
                changes = {section: [{"name": item, "source": "cited here"}]}
        else:
            changes = {section: {"source": "cited here"}}
        in_assumptions(changes, "cited here")

    return probe


TP = "Third-party income (health, education, grants)"


def p_tp_name():
    s = BASE.override({"third_party_income": [{"name": "Other", "rule": "fixed", "amount": 1}]})
    assert [t.name for t in s.third_party] == [TP, "Other"]  # a new name adds an item


def p_tp_rule():
    items = [{"replace": True, "name": TP, "rule": "fixed"}]  # the baseline's whole line, fixed
    a, b = differs(BASE, {"third_party_income": items}, "third_party_income")
    assert (b == 8_753_055_00).all()


def p_tp_amount():
    items = [{"replace": True, "name": "F", "rule": "fixed", "amount": 1_000_000}]
    a, b = changed(BASE, {"third_party_income": items}, "third_party_income", "2024/25")
    assert (b == 1_000_000_00).all()


def p_tp_share():
    a, b = changed(BASE, {"third_party_income": [{"name": TP, "share": 0.1}]}, "third_party_income")
    assert np.allclose(b, line(run(BASE), "placements") * 0.1, atol=1)


def p_tp_weekly_rate():
    items = [{"name": "G", "rule": "per_uasc_child_week", "weekly_rate": 100}]
    a, b = changed(BASE, {"third_party_income": items}, "third_party_income", "2024/25")
    assert np.allclose(b - a, 42 * 365 * 100 * 100 // 7, atol=1)  # 42 UASC children, 100 a week


def p_tp_growth():
    items = [{"replace": True, "name": "F", "rule": "fixed", "amount": 1_000_000, "growth": 0.1}]
    p = run(BASE.override({"third_party_income": items}))
    assert (p.line("third_party_income", "2025/26") == 1_210_000_00).all()


def p_council_amounts():
    a, b = changed(
        BASE,
        {"additional_council_funding": {"amounts": {"2025/26": 500_000}}},
        "additional_council_funding",
    )
    assert (b == 500_000_00).all()


def p_council_default():
    a, b = changed(
        BASE, {"additional_council_funding": {"default": 250_000}}, "additional_council_funding"
    )
    assert (b == 250_000_00).all()


def p_staffing(key, value):
    def probe():
        differs(GROWING, {"staffing": {key: value}}, "staffing")

    return probe


def p_method():
    a, b = differs(BASE, {"placements": {"method": "growth"}}, "placements")
    p = run(BASE.override({"placements": {"method": "growth"}}))
    assert p.line("placements", "2024/25")[0] == round(48_565_330_00 * 1.05)


def p_volume_growth():
    a, b = changed(BASE, {"placements": {"volume_growth": 0.1}}, "placements", "2024/25")
    assert b[0] / a[0] == pytest.approx(1.1, rel=1e-9)


def p_volume_growth_sd():
    p = run(BASE.override({"placements": {"volume_growth_sd": 0.05}}))
    assert p.n_draws == 2000 and p.line("placements", "2025/26").std() > 0


def p_price_inflation():
    # cost_model: replaces the unit-cost table's inflation for every type
    p = run(BASE.override({"placements": {"price_inflation": 0.01}}))
    r = p.line("placements", "2025/26")[0] / p.line("placements", "2024/25")[0]
    assert r == pytest.approx(1.01, rel=1e-6)
    # growth: the baseline line grows by it
    g = run(BASE.override({"placements": {"method": "growth", "price_inflation": 0.02}}))
    assert g.line("placements", "2024/25")[0] == round(48_565_330_00 * 1.02)


def p_price_sd():
    p = run(BASE.override({"placements": {"price_sd": 0.05}}))
    assert p.line("placements", "2025/26").std() > 0


def p_overheads():
    a, b = changed(BASE, {"overheads": {"inflation": 0.1}}, "overheads", "2024/25")
    assert (b == 8_724_760_00).all()


CSP = "Cost Saving Programme 2024/25"


def p_sv_name():
    s = BASE.override({"savings": [{"name": "Another", "amount": 1}]})
    assert [x.name for x in s.savings] == [CSP, "Another"]


def p_sv(key, value, expected_2025):
    def probe():
        a, b = changed(BASE, {"savings": [{"name": CSP, key: value}]}, "savings")
        assert b.mean() == pytest.approx(expected_2025, abs=0.5e-2 * abs(expected_2025) + 1)

    return probe


def p_pr(key, value, year, expected):
    def probe():
        item = {"name": "P", "amount": 100_000, "first_year": "2024/25", key: value}
        p = run(BASE.override({"pressures": [item]}), draws=4000)
        assert p.line("pressures", year).mean() == pytest.approx(expected, rel=0.1, abs=1)

    return probe


PROBES = {
    "name": p_name,
    "description": p_description,
    "inherits": p_inherits,
    "baseline_year": p_baseline_year,
    "horizon": p_horizon,
    "opening_cumulative_deficit": p_opening,
    "baseline.ledger": p_ledger,
    "baseline.sheet": p_sheet,
    **{f"baseline.{m}": p_baseline_line(m) for m in MTFP_LINES},
    "contract_sum.amounts": p_amounts,
    "contract_sum.amounts_source": p_amounts_source,
    "contract_sum.uplift": p_uplift,
    "contract_sum.uplift_source": p_uplift_source,
    "third_party_income.name": p_tp_name,
    "third_party_income.rule": p_tp_rule,
    "third_party_income.amount": p_tp_amount,
    "third_party_income.share": p_tp_share,
    "third_party_income.weekly_rate": p_tp_weekly_rate,
    "third_party_income.growth": p_tp_growth,
    "additional_council_funding.amounts": p_council_amounts,
    "additional_council_funding.default": p_council_default,
    "staffing.pay_award": p_staffing("pay_award", 0.05),
    "staffing.children_in_care_per_worker": p_staffing("children_in_care_per_worker", 10),
    "staffing.cost_per_social_worker": p_staffing("cost_per_social_worker", 80_000),
    "staffing.agency_share": p_staffing("agency_share", 0.5),
    "staffing.agency_premium": p_staffing("agency_premium", 1.0),
    "placements.method": p_method,
    "placements.volume_growth": p_volume_growth,
    "placements.volume_growth_sd": p_volume_growth_sd,
    "placements.price_inflation": p_price_inflation,
    "placements.price_sd": p_price_sd,
    "overheads.inflation": p_overheads,
    "savings.name": p_sv_name,
    "savings.amount": p_sv("amount", 1_000_000, -1_000_000_00),
    "savings.first_year": p_sv("first_year", "2026/27", 0),
    "savings.delivery_probability": p_sv("delivery_probability", 0.0, 0),
    "savings.recurring": p_sv("recurring", False, 0),
    "pressures.name": p_pr("name", "P", "2024/25", 100_000_00),
    "pressures.amount": p_pr("amount", -50_000, "2024/25", -50_000_00),
    "pressures.first_year": p_pr("first_year", "2025/26", "2024/25", 0),
    "pressures.probability": p_pr("probability", 0.25, "2024/25", 25_000_00),
    "pressures.recurring": p_pr("recurring", False, "2025/26", 0),
    "pressures.growth": p_pr("growth", 0.5, "2025/26", 150_000_00),
}
for _section in ("contract_sum", "third_party_income", "additional_council_funding", "staffing"):
    PROBES[f"{_section}.source"] = p_source(_section)
for _section in ("placements", "overheads", "savings", "pressures"):
    PROBES[f"{_section}.source"] = p_source(_section)

TABLES = {k for k, v in SCHEMA[""].items() if v in ("table", "list of items")}


def test_every_key_of_the_schema_has_a_probe():
    keys = {k for k in SCHEMA[""] if k not in TABLES}
    keys |= {f"{s}.{k}" for s, table in SCHEMA.items() if s for k in table}
    assert keys == set(PROBES)


@pytest.mark.parametrize("key", sorted(PROBES))
def test_key_is_applied(key, tmp_path):
    probe = PROBES[key]
    if probe.__code__.co_argcount:
        probe(tmp_path)
    else:
        probe()


# --- refused keys and combinations --------------------------------------------------------
@pytest.mark.parametrize("section,key", [(s, k) for s, keys in REFUSED_KEYS.items() for k in keys])
def test_refused_keys_say_why(section, key):
    changes = (
        {section: [{"name": CSP, key: "placements"}]}
        if section == "savings"
        else {section: {key: "sandwell_march_2024"}}
    )
    with pytest.raises(ConfigError) as info:
        BASE.override(changes)
    assert f"{section}" in str(info.value) and key in str(info.value)
    assert REFUSED_KEYS[section][key] in str(info.value)


def test_run_rate_points_to_the_profile():
    with pytest.raises(ConfigError, match="the run rate now comes from the authority profile"):
        BASE.override({"placements": {"run_rate": "sandwell_march_2024"}})


def test_third_party_keys_a_rule_does_not_use_are_refused():
    with pytest.raises(ConfigError) as info:
        BASE.override({"third_party_income": [{"name": TP, "growth": 0.02, "weekly_rate": 5}]})
    msg = str(info.value)
    assert "growth: is not used by rule 'share_of_placements'" in msg
    assert "it belongs to rule 'fixed'" in msg
    assert "weekly_rate: is not used by rule 'share_of_placements'" in msg


def test_the_baseline_income_cannot_be_taken_twice():
    with pytest.raises(ConfigError, match="would count it more than once"):
        BASE.override({"third_party_income": [{"name": "All", "rule": "fixed"}]})


def test_uasc_rule_needs_a_rate_and_uplift_text_is_checked():
    with pytest.raises(ConfigError) as info:
        BASE.override(
            {
                "third_party_income": [{"name": "G", "rule": "per_uasc_child_week"}],
                "contract_sum": {"uplift": "inflation"},
            }
        )
    msg = str(info.value)
    assert "needs a weekly_rate" in msg and "'inflation' is not a rate" in msg


def test_pressure_recurring_must_be_a_boolean():
    with pytest.raises(ConfigError, match="recurring: 'yes' must be true or false"):
        BASE.override({"pressures": [{"name": "P", "amount": 1, "recurring": "yes"}]})
