"""Rolling-origin backtest of the placement model on a user's own returns.

See :func:`backtest_placement`; re-exported by :mod:`sctforecast.demand.backtest`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sctforecast._io import atomic_directory, write_csv
from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.demand.baselines import deterministic_forecast, flat_forecast
from sctforecast.demand.flows import CATEGORY_INDEX, month_end_children
from sctforecast.demand.placement import MIN_MONTHS, PlacementFlowModel
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.placements import CATEGORIES
from sctforecast.ssda903.reader import SSDA903Data

__all__ = ["METHODS", "GROUPS", "PlacementBacktest", "backtest_placement", "truncate"]

#: The forecasts compared, in the order they are reported.
METHODS = ("model", "flat", "deterministic (6 months)")
#: The groups scored: each category and the total.
GROUPS = (*CATEGORIES, "total")
TABLE_COLUMNS = (
    "origin",
    "month",
    "h",
    "group",
    "method",
    "actual",
    "forecast",
    "lower",
    "upper",
    "covered",
)


def truncate(data: SSDA903Data, cutoff: str | pd.Timestamp) -> SSDA903Data:
    """The returns as they stood on ``cutoff``: episodes starting after it
    dropped, episodes open at it reopened; the window still starts at
    ``observed_from``."""
    c = pd.Timestamp(cutoff)
    if data.observed_from is not None and c < data.observed_from:
        raise DataValidationError(
            f"{data.origin}: cannot cut the returns at {c.date()}, before they start observing "
            f"({data.observed_from.date()})"
        )
    e = data.episodes[data.episodes["start"] <= c].copy()
    e.loc[e["end"] > c, "end"] = pd.NaT
    e.loc[e["end"].isna(), "rec"] = ""
    return replace(data, episodes=e, observed_to=c, origin=f"{data.origin} to {c.date()}")


def _by_group(children: np.ndarray) -> np.ndarray:
    """Children (..., type) to (..., group): the categories, then the total."""
    cats = np.zeros(children.shape[:-1] + (len(CATEGORIES),))
    for c in range(len(CATEGORIES)):
        cats[..., c] = children[..., CATEGORY_INDEX == c].sum(axis=-1)
    return np.concatenate([cats, children.sum(axis=-1, keepdims=True)], axis=-1)


def origins_of(data: SSDA903Data, *, k: int, every: int, horizon: int) -> list[pd.Timestamp]:
    """The last ``k`` month ends, at the end of March and every ``every``
    months from it, that leave ``horizon`` months of actuals and at least
    a year of returns before them."""
    if every not in (1, 3, 6, 12):
        raise ConfigError(f"every must be 1, 3, 6 or 12 months, got {every!r}")
    for name, v in (("origins", k), ("horizon", horizon)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ConfigError(f"{name} must be a positive whole number, got {v!r}")
    last = data.observed_to.to_period("M") - horizon
    first = (data.observed_from or data.episodes["start"].min()).to_period("M") + MIN_MONTHS - 1
    months = pd.period_range(first, last, freq="M") if last >= first else []
    ok = [m for m in months if (m.month - 3) % every == 0]
    if not ok:
        raise DataValidationError(
            f"{data.origin}: the returns run from {data.observed_from.date() if data.observed_from is not None else '?'} "
            f"to {data.observed_to.date()}: too short for a backtest with at least {MIN_MONTHS} "
            f"months before an origin and {horizon} months after it"
        )
    return [m.to_timestamp(how="end").normalize() for m in ok[-k:]]


@dataclass(frozen=True)
class PlacementBacktest:
    """``table``: one row per (origin, month, group, method) (columns
    ``TABLE_COLUMNS``); ``summary``: per group and method, the number of
    month ends, the mean absolute percentage error and the interval's
    coverage (model only)."""

    table: pd.DataFrame
    summary: pd.DataFrame
    ci_prob: float = DEFAULT_CI_PROB
    origins: tuple[pd.Timestamp, ...] = field(default=())

    @property
    def text(self) -> str:
        s = self.summary.set_index(["group", "method"])
        lines = [
            f"{len(self.origins)} origin(s) ({', '.join(str(o.date()) for o in self.origins)}), "
            f"{int(self.table['h'].max())} month ends each."
        ]
        for g in GROUPS:
            m, f, d = (s.loc[(g, meth)] for meth in METHODS)
            lines.append(
                f"{g}: model MAPE {m['mape']:.1f}% against {f['mape']:.1f}% flat and "
                f"{d['mape']:.1f}% deterministic; {self.ci_prob:.0%} intervals held "
                f"{m['coverage']:.0%} of the actuals."
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<PlacementBacktest: {len(self.origins)} origins, {len(self.table)} rows>"

    def plot(self, group: str = "total", *, ax: Any = None) -> Any:
        """Actual month-end children of ``group`` against each origin's
        forecasts: the model's median and interval, flat and deterministic."""
        import matplotlib.pyplot as plt

        if group not in GROUPS:
            raise ConfigError(f"group must be one of {', '.join(GROUPS)}, got {group!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        t = self.table[self.table["group"] == group]
        actual = t.drop_duplicates("month").set_index("month")["actual"].sort_index()
        x = pd.PeriodIndex(actual.index, freq="M").to_timestamp()
        ax.plot(x, actual.to_numpy(), "k.-", label="actual", zorder=3)
        for i, (_origin, part) in enumerate(t.groupby("origin")):
            model = part[part["method"] == "model"].sort_values("month")
            mx = pd.PeriodIndex(model["month"], freq="M").to_timestamp()
            ax.fill_between(
                mx,
                model["lower"],
                model["upper"],
                color="tab:blue",
                alpha=0.2,
                linewidth=0,
                label=f"model {self.ci_prob:.0%} interval" if i == 0 else None,
            )
            ax.plot(mx, model["forecast"], color="tab:blue", label="model" if i == 0 else None)
            for meth, style in (("flat", ":"), ("deterministic (6 months)", "--")):
                p = part[part["method"] == meth].sort_values("month")
                ax.plot(mx, p["forecast"], style, color="tab:gray", label=meth if i == 0 else None)
        ax.set_title(f"{group}: month-end children in care, forecasts from each origin")
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
        return ax

    def write(self, out: str | os.PathLike[str]) -> Path:
        """Write ``backtest.csv`` (every row), ``summary.csv`` and
        ``backtest.png`` to the folder ``out``, atomically."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        with atomic_directory(out) as tmp:
            write_csv(self.table, tmp / "backtest.csv")
            write_csv(self.summary, tmp / "summary.csv")
            fig = self.figure()
            fig.savefig(tmp / "backtest.png", format="png", dpi=100)
            plt.close(fig)
        return Path(out).resolve()

    def figure(self) -> Any:
        """One panel per group and one of the errors: for a PNG."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(3, 2, figsize=(13, 11))
        for g, ax in zip(GROUPS, axes.flat, strict=False):
            self.plot(g, ax=ax)
            ax.set_title(g)
            ax.tick_params(axis="x", labelrotation=30)
        ax = axes.flat[-1]
        pivot = self.summary.pivot(index="group", columns="method", values="mape").loc[
            list(GROUPS), list(METHODS)
        ]
        pivot.plot.bar(ax=ax, rot=0)
        ax.set_ylabel("MAPE, %")
        ax.set_title("mean absolute percentage error")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def _score(t: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (g, meth), part in t.groupby(["group", "method"], sort=False):
        ape = (part["forecast"] - part["actual"]).abs() / part["actual"].where(part["actual"] > 0)
        rows.append(
            {
                "group": g,
                "method": meth,
                "n": len(part),
                "mape": float(100 * ape.mean()),
                "coverage": float(part["covered"].mean()) if meth == "model" else np.nan,
                "mean_error": float((part["forecast"] - part["actual"]).mean()),
            }
        )
    return pd.DataFrame(rows)


def backtest_placement(
    data: SSDA903Data,
    *,
    origins: int = 3,
    every: int = 12,
    horizon: int = 12,
    model: PlacementFlowModel | None = None,
    ci_prob: float = DEFAULT_CI_PROB,
    random_seed: int = 0,
) -> PlacementBacktest:
    """Rolling-origin backtest of the placement model on ``data`` (see the
    module docs of :mod:`sctforecast.demand.backtest`).

    ``origins`` is how many origins (the last ones that leave ``horizon``
    months of actuals), ``every`` the months between them (12: each 31 March).
    ``model`` gives the settings (draws, drift); it is refitted at each origin.
    The model's point forecast is the median of each group's draws (the
    forecast that minimises expected absolute error); its interval is the
    central ``ci_prob`` interval of the same draws, never summed bounds.
    """
    lo, hi = interval_bounds(ci_prob)
    template = model or PlacementFlowModel()
    when = origins_of(data, k=origins, every=every, horizon=horizon)
    parts = []
    for i, origin in enumerate(when):
        past = truncate(data, origin)
        m = PlacementFlowModel(
            n_draws=template.n_draws, drift=template.drift, month_effect=template.month_effect
        ).fit(past)
        months = pd.period_range(m.origin, periods=horizon, freq="M")
        actual = _by_group(month_end_children(data, months))  # (h, G)
        draws = _by_group(m.simulate(horizon, random_seed=random_seed + i)["children"].values)
        q = np.quantile(draws, [lo, 0.5, hi], axis=0)  # (3, h, G)
        point = {
            "model": q[1],
            "flat": _by_group(flat_forecast(m.counts, horizon)),  # type: ignore[arg-type]
            "deterministic (6 months)": _by_group(deterministic_forecast(m.counts, horizon)),  # type: ignore[arg-type]
        }
        for meth in METHODS:
            lower = q[0] if meth == "model" else np.full_like(actual, np.nan)
            upper = q[2] if meth == "model" else np.full_like(actual, np.nan)
            parts.append(
                pd.DataFrame(
                    {
                        "origin": origin,
                        "month": np.repeat([str(p) for p in months], len(GROUPS)),
                        "h": np.repeat(np.arange(1, horizon + 1), len(GROUPS)),
                        "group": np.tile(GROUPS, horizon),
                        "method": meth,
                        "actual": actual.ravel(),
                        "forecast": point[meth].ravel(),
                        "lower": lower.ravel(),
                        "upper": upper.ravel(),
                        "covered": (lower <= actual).ravel() & (actual <= upper).ravel(),
                    }
                )
            )
    table = pd.concat(parts, ignore_index=True)[list(TABLE_COLUMNS)]
    return PlacementBacktest(table, _score(table), ci_prob, tuple(when))
