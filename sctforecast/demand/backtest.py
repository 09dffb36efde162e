"""Rolling-origin backtests of the demand models.

Aggregate model: fit up to period t, forecast t+1..t+h, and compare the
children in care at each period end with the outcome, with a naive forecast
(the last published value) and with the 50% and 90% intervals.

Placement model on a user's own SSDA903 returns
(:func:`backtest_placement`): at each origin (the last K 31 Marches, or
every 6, 3 or 1 months) that leaves ``horizon`` months of actuals, the
returns are cut back to what was known then (:func:`truncate`), the model is
fitted and forecasts each month end; the actual children in care by
category are compared with the model, with a flat forecast and with the
common deterministic method (:mod:`sctforecast.demand.baselines`): mean
absolute percentage error, and how often the model's interval, computed from
the draws of each category, holds the actual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.demand.aggregate import CareFlowConfig, CareFlowModel
from sctforecast.demand.data import CareFlowData
from sctforecast.demand.placement_backtest import (
    GROUPS,
    METHODS,
    PlacementBacktest,
    backtest_placement,
    truncate,
)

__all__ = [
    "GROUPS",
    "METHODS",
    "Backtest",
    "PlacementBacktest",
    "backtest_aggregate",
    "backtest_placement",
    "truncate",
]


@dataclass(frozen=True)
class Backtest:
    """``table``: one row per (origin, forecast period); ``summary``: errors and coverage."""

    table: pd.DataFrame
    summary: pd.DataFrame

    @property
    def text(self) -> str:
        r = self.summary.iloc[0]
        return (
            f"{int(r['n'])} forecasts: mean absolute error {r['mae_model']:.1f} against {r['mae_naive']:.1f} "
            f"for the naive forecast; 50% intervals covered {r['coverage_50']:.0%}, "
            f"90% intervals covered {r['coverage_90']:.0%}."
        )


def _summary(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "n": len(t),
                "mae_model": float((t["mean"] - t["actual"]).abs().mean()),
                "mae_naive": float((t["naive"] - t["actual"]).abs().mean()),
                "coverage_50": float(
                    ((t["lower_50"] <= t["actual"]) & (t["actual"] <= t["upper_50"])).mean()
                ),
                "coverage_90": float(
                    ((t["lower_90"] <= t["actual"]) & (t["actual"] <= t["upper_90"])).mean()
                ),
            }
        ]
    )


def backtest_aggregate(
    data: CareFlowData,
    *,
    first_origin: int = 3,
    horizon: int | None = None,
    config: CareFlowConfig | None = None,
    random_seed: int = 0,
) -> Backtest:
    """Rolling origin: for each origin after ``first_origin`` periods up to
    ``T - 1``, refit on the data as they stood then (:meth:`CareFlowData.head`:
    every count dated up to the origin) and forecast every later period end to
    the end of the data (or ``horizon`` periods ahead); score the published
    stocks at those period ends against the forecast of the latent stock and
    against the last published stock (naive)."""
    from sctforecast.constants import interval_bounds

    per = 12 if data.freq == "year" else 1
    rows = []
    for n in range(first_origin, data.T):
        m = CareFlowModel(config or CareFlowConfig()).fit(data.head(n), random_seed=random_seed + n)
        h = data.T - n if horizon is None else min(horizon, data.T - n)
        v = m.simulate(per * h, random_seed=random_seed)["children_in_care"].values
        for k in range(h):
            x = v[:, per * (k + 1) - 1]
            q50, q90 = interval_bounds(0.5), interval_bounds(0.9)
            q = np.quantile(x, [q90[0], q50[0], 0.5, q50[1], q90[1]])
            rows.append(
                {
                    "origin": data.periods[n - 1],
                    "period": data.periods[n + k],
                    "h": k + 1,
                    "actual": float(data.stock[n + k + 1]),
                    "naive": float(data.stock[n]),
                    "mean": float(x.mean()),
                    "median": float(q[2]),
                    "lower_50": q[1],
                    "upper_50": q[3],
                    "lower_90": q[0],
                    "upper_90": q[4],
                }
            )
    t = pd.DataFrame(rows)
    return Backtest(t, _summary(t))
