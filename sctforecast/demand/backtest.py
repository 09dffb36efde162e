"""Rolling-origin backtests of the demand models.

Aggregate model: fit up to period t, forecast t+1..t+h, and compare the
children in care at each period end with the outcome, with a naive forecast
(the last published value) and with the 50% and 90% intervals.

Placement model on synthetic SSDA903 returns with known rates: fit on the
first years, forecast the rest, and count how often the 90% intervals cover
the true entry rates and the realised yearly entries, exits and children in
care.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast.demand.aggregate import CareFlowConfig, CareFlowModel
from sctforecast.demand.data import CareFlowData
from sctforecast.demand.placement import PlacementFlowModel
from sctforecast.periods import FinancialYear
from sctforecast.ssda903 import (
    SSDA903Data,
    monthly_counts,
    read_ssda903,
    synthetic_ssda903,
    write_ssda903,
)

__all__ = ["Backtest", "backtest_aggregate", "backtest_placement", "truncate"]


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


def truncate(data: SSDA903Data, cutoff: str | pd.Timestamp) -> SSDA903Data:
    """The return as it would have been on ``cutoff`` (episodes after it dropped,
    episodes open at it reopened)."""
    c = pd.Timestamp(cutoff)
    e = data.episodes[data.episodes["start"] <= c].copy()
    e.loc[e["end"] > c, "end"] = pd.NaT
    return SSDA903Data(
        header=data.header,
        episodes=e,
        quality=data.quality,
        observed_to=c,
        origin=f"{data.origin} to {c.date()}",
    )


def backtest_placement(
    *,
    reps: int = 10,
    fit_years: int = 6,
    test_years: int = 2,
    initial_children: int = 800,
    n_draws: int = 1000,
    random_seed: int = 0,
) -> tuple[Backtest, pd.DataFrame]:
    """Synthetic returns with known rates: returns (forecast backtest, parameter coverage).

    The forecast backtest compares realised yearly entries, exits and
    end-of-year children in care in the test years with the predictive
    intervals; the parameter table says whether each band's true entry rate
    lies in its 90% posterior interval.
    """
    rows, prows = [], []
    start = pd.Timestamp("2016-04-01")
    cutoff = start + pd.DateOffset(years=fit_years) - pd.Timedelta(days=1)
    for r in range(reps):
        seed = random_seed + r
        h, e, truth = synthetic_ssda903(
            years=fit_years + test_years,
            initial_children=initial_children,
            random_seed=seed,
            start=str(start.date()),
        )
        with tempfile.TemporaryDirectory() as tmp:
            write_ssda903(h, e, Path(tmp))
            full = read_ssda903(tmp)
        past = truncate(full, cutoff)
        m = PlacementFlowModel(n_draws=n_draws).fit(past, since=str(start.date()))
        draws = m.posterior.draw(np.random.default_rng(seed), 4000)["entry_rate"]  # type: ignore[union-attr]
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
        for b in range(len(truth.entry_rate)):
            prows.append(
                {
                    "rep": r,
                    "band": b,
                    "truth": truth.entry_rate[b],
                    "lower_90": lo[b],
                    "upper_90": hi[b],
                    "covered": bool(lo[b] <= truth.entry_rate[b] <= hi[b]),
                }
            )
        ds = m.simulate(12 * test_years, random_seed=seed)
        mc = monthly_counts(full, start=str((cutoff + pd.Timedelta(days=1)).to_period("M")))
        for k in range(test_years):
            sl = slice(12 * k, 12 * (k + 1))
            fy = FinancialYear.containing(cutoff + pd.Timedelta(days=1)) + k
            sims = {
                "entries": ds["entries"].values[:, sl].sum(axis=1),
                "exits": ds["exits"].values[:, sl].sum(axis=1),
                "children_in_care": ds["children"].values[:, 12 * (k + 1) - 1].sum(axis=1),
            }
            real = {
                "entries": float(mc["entries"].iloc[sl].sum()),
                "exits": float(mc["exits"].iloc[sl].sum()),
                "children_in_care": float(mc["stock_end"].iloc[12 * (k + 1) - 1]),
            }
            naive = {"entries": None, "exits": None, "children_in_care": float(m.start_state.sum())}  # type: ignore[union-attr]
            for measure, v in sims.items():
                q = np.quantile(v, [0.05, 0.25, 0.75, 0.95])
                rows.append(
                    {
                        "rep": r,
                        "period": fy.label,
                        "measure": measure,
                        "actual": real[measure],
                        "naive": naive[measure] if naive[measure] is not None else np.nan,
                        "mean": float(v.mean()),
                        "lower_50": q[1],
                        "upper_50": q[2],
                        "lower_90": q[0],
                        "upper_90": q[3],
                    }
                )
    t = pd.DataFrame(rows)
    summ = (
        t.groupby("measure")
        .apply(_summary, include_groups=False)
        .reset_index(level=1, drop=True)
        .reset_index()
    )
    return Backtest(t, summ), pd.DataFrame(prows)
