"""Fit demand from SSDA903 episode files and feed it to the MTFP.

Run: python examples/fit_demand_from_ssda903.py [FOLDER]
Without a folder it writes a synthetic return (one subfolder per collection
year, as authorities keep them) and reads that.
"""

import sys
import tempfile
import warnings
from pathlib import Path

from sctforecast import DataQualityWarning
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.money import format_money
from sctforecast.mtfp import Scenario, project
from sctforecast.ssda903 import monthly_counts, read_ssda903, synthetic_ssda903, write_ssda903

if len(sys.argv) > 1:
    folder = Path(sys.argv[1])
else:
    folder = Path(tempfile.mkdtemp()) / "ssda903"
    header, episodes, _ = synthetic_ssda903(years=8, initial_children=800, random_seed=1)
    write_ssda903(header, episodes, folder, by_collection_year=True, first_year_end=2017)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", DataQualityWarning)
    data = read_ssda903(folder)
print(data)
print(data.quality_summary().to_string(index=False))
for w in caught:
    print("data quality:", str(w.message)[:200])

counts = monthly_counts(data, start="2023-04")
print(
    f"2023/24: {counts['entries'].sum()} entries, {counts['exits'].sum()} exits, "
    f"{counts['stock_end'].iloc[-1]} in care at 31 March 2024"
)

model = PlacementFlowModel(n_draws=1000).fit(data, since="2016-04-01")
forecast = model.forecast(60, ci_prob=0.9)
total = forecast[forecast["measure"] == "children: total"]
for r in total.itertuples():
    print(
        f"{r.period}: {r.mean:.0f} children in care on average (90% interval {r.lower:.0f} to {r.upper:.0f})"
    )

# the baseline is the embedded 2023/24 outturn and Sandwell's profile; pass your own
# ledger (sctforecast.read_ledger) and AuthorityProfile for another authority
projection = project(
    load_outturn(),
    Scenario.builtin(),
    profile=sandwell_profile(),
    demand=model.demand("2024/25", 5),
    random_seed=1,
)
closing = projection.line("closing_cumulative_deficit", "2028/29")
print(
    f"MTFP with this demand: mean cumulative deficit at 31 March 2029 {format_money(int(closing.mean()))}"
)
