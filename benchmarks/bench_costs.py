"""Cost kernel: 4,000 draws x 60 months x 12 placement types.

Target: under 0.2 s, and at least 50 times faster than the same
arithmetic in a per-draw Python loop, both timed in this run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import best_of, print_table  # noqa: E402

from sctforecast.costs import PLACEMENT_TYPES, PlacementCostModel  # noqa: E402
from sctforecast.costs.kernel import cost_kernel, period_starts, sum_by_period  # noqa: E402

DRAWS, MONTHS, TYPES = 4_000, 60, len(PLACEMENT_TYPES)


def per_draw_loop(
    days: np.ndarray, rate: np.ndarray, share: np.ndarray, year_of_month: list[int]
) -> list:
    """The straightforward reference: loop over draws, months and types in Python."""
    out = []
    for d in range(days.shape[0]):
        years: dict[int, list[float]] = {}
        for m in range(days.shape[1]):
            row = years.setdefault(year_of_month[m], [0.0] * days.shape[2])
            for t in range(days.shape[2]):
                gross = days[d, m, t] * rate[m, t]
                row[t] += gross - gross * share[m, t]
        out.append(years)
    return out


def main() -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    months = pd.period_range("2024-04", periods=MONTHS, freq="M")
    days = rng.uniform(0, 300 * 30, size=(DRAWS, MONTHS, TYPES))
    model = PlacementCostModel()
    rate, share, weekly = model.rates(months)
    share = share + 0.1
    fy = np.array([m.year if m.month >= 4 else m.year - 1 for m in months])
    starts = period_starts(fy)

    def kernel() -> np.ndarray:
        _, _, net = cost_kernel(days, rate, share, weekly)
        return sum_by_period(net, starts, axis=1)

    da = xr.DataArray(
        days,
        dims=("draw", "month", "placement_type"),
        coords={"month": [str(m) for m in months], "placement_type": list(PLACEMENT_TYPES)},
    )

    def facade() -> object:
        return model.cost(da).by_year()

    t_kernel = best_of(kernel, 5)
    t_facade = best_of(facade, 3)
    sub = 200  # the loop is slow: time 200 draws and scale to 4,000
    t_loop = best_of(lambda: per_draw_loop(days[:sub], rate, share, fy.tolist()), 1) * DRAWS / sub
    # the two agree
    ref = per_draw_loop(days[:3], rate, share, fy.tolist())
    got = kernel()[:3]
    for d in range(3):
        for j, y in enumerate(sorted(ref[d])):
            np.testing.assert_allclose(got[d, j], ref[d][y], rtol=1e-9)
    rows = [
        {
            "case": "cost kernel (numpy)",
            "shape": f"{DRAWS}x{MONTHS}x{TYPES}",
            "seconds": t_kernel,
            "target": "< 0.2 s",
            "speed-up vs loop": t_loop / t_kernel,
        },
        {
            "case": "PlacementCostModel.cost + by_year",
            "shape": f"{DRAWS}x{MONTHS}x{TYPES}",
            "seconds": t_facade,
            "target": "",
            "speed-up vs loop": t_loop / t_facade,
        },
        {
            "case": "per-draw Python loop (reference)",
            "shape": f"{sub} draws, scaled",
            "seconds": t_loop,
            "target": "",
            "speed-up vs loop": 1.0,
        },
    ]
    print_table("Cost kernel benchmark", rows)
    return rows


if __name__ == "__main__":
    main()
