"""Cost a placement mix, calibrate it to the ledger, and bridge a change.

Run: python examples/cost_a_placement_mix.py
"""

import pandas as pd

from sctforecast.costs import (
    Contribution,
    Move,
    PlacementCostModel,
    activity_from_counts,
    calibrate,
    mix_scenario,
    price_volume_mix,
)
from sctforecast.datasets import sandwell_profile
from sctforecast.money import format_money

# 1. Cost a simple mix: children by placement type for each month of two years.
months = pd.period_range("2024-04", periods=24, freq="M")
children = pd.DataFrame(
    {
        "foster_in_house": 145,
        "foster_kinship": 140,
        "foster_ifa": 300,
        "residential_external": 68,
        "supported_accommodation_uasc": 42,
    },
    index=months,
)
model = PlacementCostModel().with_contributions(
    [Contribution("ICB health contribution", ("residential_external",), share=0.15)]
)
result = model.cost(activity_from_counts(children))
table = result.table()
for fy, g in table.groupby("financial_year"):
    print(
        f"{fy}: gross {format_money(g['gross_pence'].sum())}, "
        f"contributions {format_money(g['contributions_pence'].sum())}, net {format_money(g['net_pence'].sum())}"
    )

# 2. Calibrate unit costs to the 2023/24 placements line (004 Section (e)), on the
#    authority profile's 2023/24 activity, keeping every type inside its public range.
profile = sandwell_profile()
cal = calibrate(PlacementCostModel(), profile.activity, target=48_565_330, year="2023/24")
print(cal.text)
used = cal.table[cal.table["placement_days"] > 0]
print(
    used[["placement_type", "calibrated_weekly", "public_low_weekly", "public_high_weekly"]]
    .round(0)
    .to_string(index=False)
)

# 3. Why did residential cost move? 49 -> 68 placements, average cost +17.6% (004 Section (e)).
bridge = price_volume_mix(
    {"residential_external": 49},
    {"residential_external": 6108 * 52},
    {"residential_external": 68},
    {"residential_external": 6108 * 52 * 1.176},
    labels=("March 2023 run rate", "March 2024 run rate"),
)
print(bridge.text)

# 4. Open 9 local residential beds from January 2025.
effect = mix_scenario(
    cal.model,
    activity_from_counts(children),
    [Move(9, "residential_external", "residential_in_house", "2025-01-01")],
)
for r in effect.itertuples():
    print(f"{r.financial_year}: effect of 9 local beds {format_money(r.effect_pence)}")
