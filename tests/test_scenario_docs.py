"""Every TOML example in docs/mtfp.md loads, projects and does what the page says."""

import re
import tomllib

import numpy as np
import pytest
from conftest import ROOT

from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.mtfp import Scenario, project

DOC = ROOT / "docs" / "mtfp.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
LEDGER, PROFILE = load_outturn(), sandwell_profile()
DRAWS = 4000
UASC_WEEKS_2024_25 = 42 * 365 / 7  # the profile's 42 UASC children at 31 March 2024


def run(s):
    return project(LEDGER, s, profile=PROFILE, draws=DRAWS, random_seed=7)


def mean(p, line, year):
    return p.line(line, year).mean() / 100


def check_every_key(p, default):
    assert p.scenario.horizon == 5 and p.years[-1] == "2028/29"
    assert (p.line("contract_sum", "2024/25") == 80_800_000_00).all()
    assert (p.line("contract_sum", "2025/26") == 82_416_000_00).all()  # +2%
    assert (p.line("overheads", "2024/25") == 8_169_548_00).all()  # 7,931,600 x 1.03
    grant = (
        mean(p, "third_party_income", "2024/25") - 0.15 * mean(p, "placements", "2024/25") - 400_000
    )
    assert grant == pytest.approx(1_000 * UASC_WEEKS_2024_25, rel=0.01)  # about 2,190,000
    growth = mean(p, "placements", "2025/26") / mean(p, "placements", "2024/25")
    assert growth == pytest.approx(1.05, abs=0.005)  # the scenario's price_inflation
    assert mean(p, "savings", "2024/25") == pytest.approx(-2_000_000, rel=0.03)
    assert mean(p, "pressures", "2024/25") == 0
    assert mean(p, "pressures", "2025/26") == pytest.approx(250_000, rel=0.08)
    hit = p.line("pressures", "2026/27") > 0
    assert (p.line("pressures", "2026/27")[hit] == 525_000_00).all()  # 500,000 x 1.05


def check_with_uasc_grant(p, default):
    # the default's share-of-placements item is kept (about 10.0m) and the grant added
    inherited = mean(default, "third_party_income", "2024/25")
    assert inherited == pytest.approx(10_000_000, rel=0.03)
    added = mean(p, "third_party_income", "2024/25") - inherited
    assert added == pytest.approx(1_000 * UASC_WEEKS_2024_25, rel=0.01)
    assert [t.name for t in p.scenario.third_party] == [
        "Third-party income (health, education, grants)",
        "Home Office UASC grant",
    ]


def check_slower_savings(p, default):
    (item,) = p.scenario.savings
    assert item.amount_pence == 2_500_000_00 and item.delivery_probability == 0.5
    assert mean(p, "savings", "2025/26") == pytest.approx(-1_250_000, rel=0.05)
    assert mean(default, "savings", "2025/26") == pytest.approx(-2_000_000, rel=0.03)


def check_no_savings(p, default):
    assert p.scenario.savings == ()
    assert (p.draws["savings"].values == 0).all()


def check_fixed_income_only(p, default):
    assert [t.name for t in p.scenario.third_party] == ["All third-party income"]
    assert (p.line("third_party_income", "2024/25") == 9_180_000_00).all()
    assert (p.line("third_party_income", "2025/26") == 9_363_600_00).all()


def check_council_funds_inflation(p, default):
    c24, c25 = p.line("contract_sum", "2024/25")[0], p.line("contract_sum", "2025/26")[0]
    assert c24 == 80_800_000_00
    assert c25 / c24 == pytest.approx(1.046, abs=0.0005)  # about 84.5m
    np.testing.assert_array_equal(
        default.line("in_year_deficit", "2025/26") - p.line("in_year_deficit", "2025/26"),
        c25 - default.line("contract_sum", "2025/26"),
    )


CHECKS = {
    "every_key": check_every_key,
    "with_uasc_grant": check_with_uasc_grant,
    "slower_savings": check_slower_savings,
    "no_savings": check_no_savings,
    "fixed_income_only": check_fixed_income_only,
    "council_funds_inflation": check_council_funds_inflation,
}


def block_name(text):
    m = re.search(r'^name = "([^"]+)"', text, flags=re.MULTILINE)
    assert m, f"a TOML example in docs/mtfp.md has no name:\n{text}"
    return m.group(1)


def test_every_example_has_a_check():
    names = [block_name(b) for b in BLOCKS]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(CHECKS)


@pytest.fixture(scope="module")
def default():
    return run(Scenario.builtin("default"))


@pytest.mark.parametrize("block", BLOCKS, ids=[block_name(b) for b in BLOCKS])
def test_doc_example(block, tmp_path, default):
    path = tmp_path / "example.toml"
    path.write_text(block)
    scenario = Scenario.from_toml(path)
    assert Scenario.from_dict(tomllib.loads(scenario.to_toml())).config_hash == (
        scenario.config_hash
    )
    CHECKS[block_name(block)](run(scenario), default)
