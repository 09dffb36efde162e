"""Run three MTFP scenarios, compare them, and read the workbook back.

Run: python examples/compare_scenarios.py [OUT_DIR]
"""

import sys
from pathlib import Path

from openpyxl import load_workbook

from sctforecast.money import format_money
from sctforecast.mtfp import Scenario, project
from sctforecast.reporting import write_projection

out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "sctforecast-output/scenarios")
runs = {}
for name in ("default", "high_demand", "savings_slippage"):
    runs[name] = project(None, Scenario.builtin(name), draws=2000, random_seed=20240401)
    print(runs[name].text)

base = runs["default"]
for name in ("high_demand", "savings_slippage"):
    cmp = base.compare(runs[name])
    last = cmp.iloc[-1]
    print(
        f"{name}: {last['financial_year']} mean deficit {format_money(last['deficit_b_pence'])} "
        f"against {format_money(last['deficit_a_pence'])} in the default "
        f"(P(breakeven) {last['p_breakeven_b']:.0%} against {last['p_breakeven_a']:.0%})"
    )

need = base.required_savings("2024/25", 0.9)
print(f"Extra savings needed to break even in 2024/25 with 90% confidence: {format_money(need)}")

folder = write_projection(base, out_dir / "default")
ws = load_workbook(folder / "mtfp.xlsx")["Summary"]
row = {r[0].value: r for r in ws.iter_rows(min_row=2)}
print("Workbook check: total income 2023/24 =", format_money(row["Total income"][1].value * 100))
