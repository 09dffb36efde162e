"""Every example script runs and says what it should."""

import subprocess
import sys

import pytest
from conftest import ROOT

EXAMPLES = {
    "cost_a_placement_mix.py": [
        "Calibrated (least_squares)",
        "48,565,330",
        "foster_in_house 750 (public 350 to 750)",
        "volume 6,034,704",
    ],
    "compare_scenarios.py": [
        "Contract Sum needed to break even in-year",
        "Scenario 'high_demand'",
        "Scenario 'inflation_funded'",
        "flat cash after 2024/25",
        "Extra savings needed",
        "5 scenarios over the same paths; reference 'default'",
        "flat_cash: 2028/29 in-year deficit",
        "total income 2023/24 = 84,678,218",
    ],
    "reconcile_a_ledger.py": ["sheet 'Outturn'", "84,678,267", "1 of 6 checks do not reconcile"],
    "run_for_your_authority.py": [
        '<AuthorityProfile "Northfield Children\'s Services" 2023/24',
        "MTFP answers:\n- 2024/25: to break even the Contract Sum would need to be £",
        "With the stated Contract Sum (33,400,000",
        "all 3 checks reconcile",
        "placements line of 15,650,000: modelled gross cost 15,650,000",
        "Report: ",
    ],
    "fit_demand_from_ssda903.py": [
        "children in care on average",
        "MTFP with this demand",
        "episode repeated",
    ],
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name, tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    for text in EXAMPLES[name]:
        assert text in out.stdout, (text, out.stdout)


def test_the_example_pytest_file_passes():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "examples" / "test_outturn_example.py"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout
