"""Run the built-in MTFP scenarios, answer "what Contract Sum breaks even?", compare
them, and read the workbook back.

Run: python examples/compare_scenarios.py [OUT_DIR]
"""

import sys
from pathlib import Path

from openpyxl import load_workbook

from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.money import format_money
from sctforecast.mtfp import BUILTIN_SCENARIOS, Scenario, compare_scenarios, project_many
from sctforecast.reporting import write_comparison, write_projection

out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "sctforecast-output/scenarios")
# the engine takes the baseline ledger and the authority profile as arguments:
# here the embedded 2023/24 outturn and Sandwell's profile (004)
ledger, profile = load_outturn(), sandwell_profile()
# every scenario over the same 2,000 paths (common random numbers), in one go
runs = project_many(
    ledger,
    [Scenario.builtin(name) for name in BUILTIN_SCENARIOS],
    profile=profile,
    draws=2000,
    random_seed=20240401,
)

base = runs["default"]
print(base.text)
b = base.breakeven().set_index("financial_year")
y = "2025/26"
print(
    f"{y}: a Contract Sum of {format_money(b.loc[y, 'contract_sum_needed_mean_pence'])} breaks even "
    f"on average (90% interval {format_money(b.loc[y, 'contract_sum_needed_lower_pence'])} to "
    f"{format_money(b.loc[y, 'contract_sum_needed_upper_pence'])}), against "
    f"{b.loc[y, 'contract_sum_assumption']}"
)

for name in BUILTIN_SCENARIOS[1:]:
    cmp = base.compare(runs[name])
    last = cmp.iloc[-1]
    p_last = runs[name].breakeven().iloc[-1]
    print(
        f"Scenario {name!r}: {last['financial_year']} mean deficit "
        f"{format_money(last['deficit_b_pence'])} against {format_money(last['deficit_a_pence'])} "
        f"in the default (P(breakeven) {last['p_breakeven_b']:.0%} against "
        f"{last['p_breakeven_a']:.0%}); stated Contract Sum {p_last['contract_sum_assumption']}"
    )

need = base.required_savings("2024/25", 0.9)
print(f"Extra savings needed to break even in 2024/25 with 90% confidence: {format_money(need)}")

comparison = compare_scenarios(runs)  # against the first, "default", path by path
print(comparison.text)
write_comparison(comparison, out_dir / "comparison")

folder = write_projection(base, out_dir / "default")
ws = load_workbook(folder / "mtfp.xlsx")["Summary"]
row = {r[0].value: r for r in ws.iter_rows(min_row=2)}
print("Workbook check: total income 2023/24 =", format_money(row["Total income"][1].value * 100))
