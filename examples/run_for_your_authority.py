"""Run the main job for an authority of your own: its ledger, SSDA903 returns and profile.

Run: python examples/run_for_your_authority.py [OUT_DIR]

Without files of your own it writes a synthetic authority (about 300 children in
care, 41,250 children aged 0-17) to a temporary folder: the same as

    sctforecast run --ledger ledger.csv --ssda903 returns/ --profile profile.csv \\
                    --scenario plan.toml --out OUT_DIR
"""

import sys
import tempfile
from pathlib import Path

from sctforecast.pipeline import RunInputs, run
from sctforecast.ssda903 import default_truth, synthetic_ssda903, write_ssda903

LEDGER = """financial_year,line,kind,amount,source
2023/24,Council contract payment,income,"32,000,000",outturn report
2023/24,Health and education contributions,income,"2,600,000",outturn report
2023/24,Social work staff,expenditure,"15,200,000",outturn report
2023/24,Placements,expenditure,"15,650,000",outturn report
2023/24,Running costs,expenditure,"4,300,000",outturn report
2023/24,Total income,total_income,"34,600,000",outturn report
2023/24,Deficit for the year,in_year_deficit,"550,000",outturn report
2023/24,Opening cumulative deficit,opening_cumulative_deficit,"1,200,000",outturn report
2023/24,Closing cumulative deficit,closing_cumulative_deficit,"1,750,000",outturn report
"""
PROFILE = """key,value,source
name,Northfield Children's Services,
child_population,"41,250",ONS mid-2023 estimate
comparator:cic_rate_per_10k/England,70,DfE 2024
"""
SCENARIO = """name = "northfield"
baseline_year = "2023/24"
horizon = 4

[baseline]   # every line of the ledger, mapped to an MTFP line
contract_sum = ["Council contract payment"]
third_party_income = ["Health and education contributions"]
staffing = ["Social work staff"]
placements = ["Placements"]
overheads = ["Running costs"]

[contract_sum]
amounts = { "2024/25" = 33_400_000 }
uplift = 0.02
source = "settlement letter; later years 2% a year (assumption)"

[[third_party_income]]
name = "Contributions"
rule = "share_of_placements"
share = "from_baseline"

[staffing]
cost_per_social_worker = 58_000
agency_share = 0.1

[placements]
method = "cost_model"
"""

out = Path(sys.argv[1] if len(sys.argv) > 1 else "sctforecast-output/northfield")
folder = Path(tempfile.mkdtemp())
header, episodes, _ = synthetic_ssda903(
    years=8, initial_children=300, truth=default_truth(scale=0.4), random_seed=7
)
write_ssda903(header, episodes, folder / "returns")
for name, text in (("ledger.csv", LEDGER), ("profile.csv", PROFILE), ("plan.toml", SCENARIO)):
    (folder / name).write_text(text)

inputs = RunInputs.resolve(
    ledger=folder / "ledger.csv",
    ssda903=folder / "returns",
    profile=folder / "profile.csv",
    scenario=folder / "plan.toml",
    draws=1000,
    random_seed=1,
)
print(inputs)
print(inputs.profile)
result = run(inputs)
print(result.text)
result.write(out)
print(f"Report: {out / 'report.html'}")
