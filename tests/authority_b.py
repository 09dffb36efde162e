"""A second, synthetic authority with its own size, mix, population and ledger, for
tests that check the main job uses the user's data and nothing of the embedded one."""

import re
from pathlib import Path

from sctforecast.ssda903 import default_truth, synthetic_ssda903, write_ssda903

NAME = "Northfield Children's Services"
POPULATION = 41_250

LEDGER = """financial_year,line,kind,amount,source
2023/24,Council contract payment,income,"32,000,000",Northfield outturn report
2023/24,Health and education contributions,income,"2,600,000",Northfield outturn report
2023/24,Social work staff,expenditure,"15,200,000",Northfield outturn report
2023/24,Placements,expenditure,"15,650,000",Northfield outturn report
2023/24,Running costs,expenditure,"4,300,000",Northfield outturn report
2023/24,Total income,total_income,"34,600,000",Northfield outturn report
2023/24,Total expenditure,total_expenditure,"35,150,000",Northfield outturn report
2023/24,Deficit for the year,in_year_deficit,"550,000",Northfield outturn report
2023/24,Opening cumulative deficit,opening_cumulative_deficit,"1,200,000",Northfield outturn report
2023/24,Closing cumulative deficit,closing_cumulative_deficit,"1,750,000",Northfield outturn report
"""

SCENARIO = """name = "northfield"
description = "Northfield's own plan"
baseline_year = "2023/24"
horizon = 4

[baseline]
contract_sum = ["Council contract payment"]
third_party_income = ["Health and education contributions"]
additional_council_funding = []
staffing = ["Social work staff"]
placements = ["Placements"]
overheads = ["Running costs"]

[contract_sum]
amounts = { "2024/25" = 33_400_000 }
uplift = 0.02
source = "Northfield settlement letter; later years 2% a year"

[[third_party_income]]
name = "Contributions"
rule = "share_of_placements"
share = "from_baseline"
source = "Northfield assumption"

[staffing]
pay_award = 0.025
children_in_care_per_worker = 15
cost_per_social_worker = 58_000
agency_share = 0.1
agency_premium = 0.3
source = "Northfield workforce plan"

[placements]
method = "cost_model"
volume_growth_sd = 0.0
source = "Northfield assumption"

[overheads]
inflation = 0.025
source = "Northfield assumption"
"""

PROFILE = f"""key,value,source
name,{NAME},Northfield
child_population,{POPULATION},ONS mid-2023 estimate for Northfield
comparator:cic_rate_per_10k/England,70,DfE 2024
"""

#: Figures of the embedded authority (DOMAIN.md, 004) that must not leak into
#: another authority's outputs.
EMBEDDED_FIGURES = (
    "808",
    "85,824",
    "85824",
    "48,565,330",
    "4,253,670",
    "11,230,962",
    "84,678,218",
    "80,800,000",
    "74,475,000",
)
EMBEDDED_WORDS = ("Sandwell", "004 Section")


def make_authority(root: Path, *, seed: int = 7, returns: str = "returns") -> dict[str, Path]:
    """SSDA903 returns of about 300 children (a different mix from the embedded
    authority's) in ``root/returns`` (``returns=""``: in ``root`` itself, the
    layout of an authority folder for run-many), its ledger, scenario and a
    name-and-population profile CSV."""
    root.mkdir(parents=True, exist_ok=True)
    header, episodes, _ = synthetic_ssda903(
        years=8, initial_children=300, truth=default_truth(scale=0.4), random_seed=seed
    )
    paths = {
        "ssda903": write_ssda903(header, episodes, root / returns if returns else root),
        "ledger": root / "ledger.csv",
        "scenario": root / "scenario.toml",
        "profile": root / "profile.csv",
    }
    paths["ledger"].write_text(LEDGER)
    paths["scenario"].write_text(SCENARIO)
    paths["profile"].write_text(PROFILE)
    return paths


def embedded_figures_in(text: str) -> list[str]:
    """The embedded authority's figures and names found in ``text`` (a figure counts
    only as a whole number, not as part of a longer one)."""
    found = [
        f for f in EMBEDDED_FIGURES if re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", text)
    ]
    return found + [w for w in EMBEDDED_WORDS if w.lower() in text.lower()]
