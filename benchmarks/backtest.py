"""Accuracy study: rolling-origin backtests of both demand models.

Spec: (1) the aggregate model on the embedded Sandwell series, origins after
3, 4 and 5 years, forecasting to the end of the data, 4 chains x 1,000 draws
(``backtest_sandwell.py`` is the same study with the March 2029 forecast);
(2) the placement model on 40 synthetic returns with known rates, fitted on 6
years and forecasting 2.  Results are printed as tables.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402


def main(reps: int = 40) -> None:
    warnings.simplefilter("ignore")
    from sctforecast.datasets import sandwell_care_flows
    from sctforecast.demand import CareFlowConfig
    from sctforecast.demand.backtest import backtest_aggregate, backtest_placement

    t0 = time.perf_counter()
    agg = backtest_aggregate(sandwell_care_flows(), first_origin=3, config=CareFlowConfig())
    t1 = time.perf_counter()
    print_table(
        "Aggregate model, Sandwell children in care at 31 March (each origin refitted)",
        [
            {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()}
            for r in agg.table.to_dict("records")
        ],
    )
    print_table(
        "Aggregate model summary",
        [{**r, "seconds": t1 - t0} for r in agg.summary.to_dict("records")],
    )
    t2 = time.perf_counter()
    bt, par = backtest_placement(reps=reps, n_draws=1000)
    t3 = time.perf_counter()
    print_table(
        f"Placement model on {reps} synthetic returns (fit 6 years, forecast 2)",
        [{**r, "seconds": t3 - t2} for r in bt.summary.to_dict("records")],
    )
    print_table(
        "True entry rates inside their 90% posterior intervals",
        [{"intervals": len(par), "covered": float(par["covered"].mean())}],
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
