"""Inheritance: tables merge key by key, listed items merge by name, and the
replace/remove markers; Scenario.override follows the same rule."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

from sctforecast import ConfigError
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.mtfp import BUILTIN_SCENARIOS, Scenario, project

LEDGER, PROFILE = load_outturn(), sandwell_profile()
DEFAULT = Scenario.builtin()
TP = "Third-party income (health, education, grants)"
CSP = "Cost Saving Programme 2024/25"
STEADY = {"placements": {"volume_growth_sd": 0.0, "price_sd": 0.0}}


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def run(s):
    return project(LEDGER, s, profile=PROFILE, random_seed=1)


def test_adding_an_item_keeps_the_inherited_ones(tmp_path):
    """Reported: inheriting the default and adding one [[third_party_income]] item
    dropped the default's item, so 2024/25 income fell from 10.0m to 2.2m."""
    path = write(
        tmp_path,
        'inherits = "default"\nname = "grant"\n[placements]\nvolume_growth_sd = 0.0\n'
        'price_sd = 0.0\n[[third_party_income]]\nname = "Home Office UASC grant"\n'
        'rule = "per_uasc_child_week"\nweekly_rate = 1_000\n',
    )
    child = Scenario.from_toml(path)
    assert [t.name for t in child.third_party] == [TP, "Home Office UASC grant"]
    base = run(DEFAULT.override(STEADY))
    p = run(child)
    inherited = base.line("third_party_income", "2024/25")[0] / 100
    assert 9_800_000 < inherited < 10_200_000  # about 10.0m
    # plus 1,000 a week for each of the profile's 42 UASC children over 365 days
    added = (p.line("third_party_income", "2024/25") - base.line("third_party_income", "2024/25"))[
        0
    ]
    assert added == 42 * 365 * 1_000 * 100 // 7  # 2,190,000.00


def test_an_item_with_an_inherited_name_changes_only_its_keys():
    s = DEFAULT.override({"savings": [{"name": CSP, "delivery_probability": 0.3}]})
    (item,) = s.savings
    assert item.delivery_probability == 0.3
    assert item.amount_pence == 2_500_000_00 and item.recurring  # kept from the default
    assert item.source == DEFAULT.savings[0].source


def test_remove_drops_one_inherited_item(tmp_path):
    path = write(tmp_path, f'inherits = "default"\n[[savings]]\nname = "{CSP}"\nremove = true\n')
    s = Scenario.from_toml(path)
    assert s.savings == ()
    assert (run(s).draws["savings"].values == 0).all()
    assert "remove" not in s.to_toml()


def test_replace_drops_the_inherited_list():
    s = DEFAULT.override(
        {"third_party_income": [{"replace": True, "name": "Only", "rule": "fixed", "amount": 5}]}
    )
    assert [t.name for t in s.third_party] == ["Only"]
    emptied = DEFAULT.override({"savings": [{"replace": True}]})
    assert emptied.savings == ()
    assert "replace" not in emptied.to_toml()


def test_a_grandchild_changes_an_item_of_its_grandparent(tmp_path):
    write(tmp_path, 'inherits = "savings_slippage"\nname = "mid"\n', "mid.toml")
    path = write(
        tmp_path,
        f'inherits = "mid.toml"\nname = "low"\n[[savings]]\nname = "{CSP}"\namount = 1_000_000\n',
        "low.toml",
    )
    (item,) = Scenario.from_toml(path).savings
    assert item.amount_pence == 1_000_000_00 and item.delivery_probability == 0.5


def test_tables_merge_key_by_key_and_years_merge():
    s = DEFAULT.override({"contract_sum": {"amounts": {"2025/26": 82_000_000}}})
    assert s.contract_amounts == {
        s.years[1]: 80_800_000_00,  # inherited
        s.years[2]: 82_000_000_00,  # added
    }
    assert s.raw["contract_sum"]["uplift_source"] == DEFAULT.raw["contract_sum"]["uplift_source"]


def test_bad_markers_and_names_are_reported_together(tmp_path):
    text = f"""
inherits = "default"
[[savings]]
name = "Not inherited"
remove = true
[[pressures]]
name = "A"
amount = 1
[[pressures]]
name = "A"
amount = 2
[[third_party_income]]
name = "{TP}"
remove = "yes"
"""
    with pytest.raises(ConfigError) as info:
        Scenario.from_toml(write(tmp_path, text))
    msg = str(info.value)
    assert "cannot remove 'Not inherited': no inherited item has that name" in msg
    assert f"(inherited: '{CSP}')" in msg
    assert "pressures: two items are named 'A'" in msg
    assert "third_party_income[0].remove: must be true or false" in msg


def test_remove_takes_only_a_name_and_not_with_replace():
    with pytest.raises(ConfigError, match="remove = true takes only the item's name"):
        DEFAULT.override({"savings": [{"name": CSP, "remove": True, "amount": 5}]})
    with pytest.raises(ConfigError, match="remove = true and replace = true in one list"):
        DEFAULT.override(
            {
                "savings": [
                    {"replace": True, "name": "X", "amount": 1},
                    {"name": CSP, "remove": True},
                ]
            }
        )


def test_items_need_names():
    with pytest.raises(ConfigError, match=r"pressures\[0\]: every item needs a name"):
        DEFAULT.override({"pressures": [{"amount": 5}]})


def test_from_dict_inherits_only_builtins():
    s = Scenario.from_dict({"inherits": "default", "name": "d"})
    assert s.savings == DEFAULT.savings
    with pytest.raises(ConfigError, match="from_dict inherits only a built-in scenario"):
        Scenario.from_dict({"inherits": "mine.toml"})


@pytest.mark.parametrize("name", BUILTIN_SCENARIOS)
def test_resolved_scenario_written_back_reads_the_same(name, tmp_path):
    s = Scenario.builtin(name)
    text = s.to_toml()
    assert "inherits" not in text
    again = Scenario.from_toml(write(tmp_path, text))
    assert again.config_hash == s.config_hash
    assert again == s  # every field, compared
    assert tomllib.loads(text) == s.raw


def test_a_relative_ledger_path_is_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub", 'inherits = "default"\n[baseline]\nledger = "../outturn.csv"\n')
    s = Scenario.from_toml(path)
    assert Path(s.baseline_ledger) == (tmp_path / "outturn.csv").resolve()


def test_override_changes_the_projection_as_the_file_would(tmp_path):
    path = write(
        tmp_path, f'inherits = "default"\n[[savings]]\nname = "{CSP}"\ndelivery_probability = 0.5\n'
    )
    by_file = run(Scenario.from_toml(path))
    by_override = run(DEFAULT.override({"savings": [{"name": CSP, "delivery_probability": 0.5}]}))
    np.testing.assert_array_equal(
        by_file.draws["savings"].values, by_override.draws["savings"].values
    )
