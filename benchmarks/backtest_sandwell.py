"""Accuracy study: rolling-origin backtest of the aggregate model on Sandwell.

Spec:

* data: every published Sandwell count (``sctforecast.datasets.sandwell_care_flows``);
  at each origin the model sees only what was dated by then;
* origins after 3, 4 and 5 financial years (31 March 2021, 2022, 2023), each
  refitted with the default config (4 chains x 1,000 draws, nutpie);
* forecasts of the latent stock at every later 31 March to March 2024, scored
  against the published 31 March stocks: 3 + 2 + 1 = 6 forecasts;
* bar: at least 85% of the published stocks inside their 90% intervals
  (with six forecasts that means all six), and the 5-year 90% interval for
  March 2029 from the full data within +-30% of the latest stock (808).

Prints the forecasts, the summary against the naive forecast (the last
published stock), the March 2029 forecast and the fit times.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402


def main(draws: int = 1000, chains: int = 4) -> dict:
    warnings.simplefilter("ignore")
    import numpy as np

    from sctforecast.datasets import sandwell_care_flows
    from sctforecast.demand import CareFlowConfig, CareFlowModel
    from sctforecast.demand.backtest import backtest_aggregate

    data = sandwell_care_flows()
    config = CareFlowConfig(draws=draws, tune=draws, chains=chains)
    t0 = time.perf_counter()
    bt = backtest_aggregate(data, first_origin=3, config=config, random_seed=2024)
    t1 = time.perf_counter()
    rows = [
        {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()}
        for r in bt.table.to_dict("records")
    ]
    for r in rows:
        r["inside 90%"] = "yes" if r["lower_90"] <= r["actual"] <= r["upper_90"] else "NO"
    print_table(
        "Aggregate model, Sandwell children in care at 31 March (each origin refitted)", rows
    )
    print_table(
        "Summary (90% coverage bar: at least 85%)",
        [{**r, "seconds": t1 - t0} for r in bt.summary.to_dict("records")],
    )

    model = CareFlowModel(config).fit(data, random_seed=2024)
    f = model.forecast(60, random_seed=2024)
    cic = f[f["measure"] == "children_in_care"].set_index("period")
    latest = float(data.stock[-1])
    end = cic.loc["2028/29"]
    print_table(
        "Children in care at 31 March, forecast from all the data (bar: March 2029 90% interval within +-30% of 808)",
        [
            {
                "31 March of": p,
                "median": r["median"],
                "lower 90%": r["lower"],
                "upper 90%": r["upper"],
                "lower vs 808": f"{r['lower'] / latest - 1:+.1%}",
                "upper vs 808": f"{r['upper'] / latest - 1:+.1%}",
            }
            for p, r in cic.iterrows()
        ],
    )
    print_table(
        "Fit of the full data",
        [
            {
                **{k: round(v, 1) for k, v in model.fit_seconds.items()},
                "diagnostics": model.diagnostics.text,
            }
        ],
    )
    return {
        "coverage_90": float(bt.summary["coverage_90"].iloc[0]),
        "n": int(bt.summary["n"].iloc[0]),
        "median_2029": float(end["median"]),
        "interval_2029": (float(end["lower"]), float(end["upper"])),
        "within_30pct": bool(
            np.abs(np.array([end["lower"], end["upper"]]) / latest - 1).max() <= 0.3
        ),
    }


if __name__ == "__main__":
    print(main())
