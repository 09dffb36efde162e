"""Charts: fan charts of draws over years and a waterfall of a bridge.

Every function takes ``ax=None`` and returns the Axes; none calls ``show()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sctforecast._io import atomic_file  # noqa: E402
from sctforecast.constants import DEFAULT_CI_PROB, INNER_CI_PROB, interval_bounds  # noqa: E402

__all__ = ["category_chart", "fan_chart", "save_figure", "scenarios_chart", "waterfall"]


def _millions(x: float, _pos: object = None) -> str:
    return f"£{x / 1e6:,.0f}m" if abs(x) >= 1e6 else f"£{x:,.0f}"


def fan_chart(
    draws: np.ndarray,
    labels: Sequence[str],
    *,
    ax: Axes | None = None,
    title: str = "",
    ylabel: str = "",
    money: bool = True,
    observed: pd.Series | None = None,
    observed_label: str = "published",
    ci_probs: tuple[float, float] = (DEFAULT_CI_PROB, INNER_CI_PROB),
) -> Axes:
    """Median and central intervals of ``draws`` (draws x periods) over ``labels``;
    ``observed`` (indexed by label) is drawn as points named ``observed_label``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    x = np.arange(len(labels))
    d = np.asarray(draws, dtype=float)
    for prob, alpha in zip(ci_probs, (0.2, 0.4), strict=True):
        lo, hi = np.quantile(d, list(interval_bounds(prob)), axis=0)
        ax.fill_between(
            x, lo, hi, alpha=alpha, color="tab:blue", label=f"{prob:.0%} interval", linewidth=0
        )
    ax.plot(x, np.median(d, axis=0), color="tab:blue", label="median")
    if observed is not None:
        pos = [list(labels).index(k) for k in observed.index if k in list(labels)]
        ax.plot(
            pos,
            [observed[k] for k in observed.index if k in list(labels)],
            "ko",
            label=observed_label,
        )
    ax.set_xticks(
        x,
        list(labels),
        rotation=45 if len(labels) > 7 else 0,
        ha="right" if len(labels) > 7 else "center",
    )
    if money:
        ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return ax


def waterfall(steps: pd.DataFrame, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Waterfall of a bridge table with columns step, amount, role (start/step/end)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    level = 0.0
    for i, r in enumerate(steps.itertuples(index=False)):
        if r.role in ("start", "end"):
            ax.bar(i, r.amount, color="tab:gray")
            level = float(r.amount)
        else:
            color = "tab:red" if r.amount > 0 else "tab:green"
            ax.bar(i, r.amount, bottom=level, color=color)
            level += float(r.amount)
    ax.set_xticks(range(len(steps)), [str(s) for s in steps["step"]], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return ax


def category_chart(
    summary: pd.DataFrame, *, ax: Axes | None = None, title: str = "", ylabel: str = "children"
) -> Axes:
    """Mean and central interval per group over months, from a table with columns
    month, group, mean, lower, upper (e.g. ``DemandForecast.summary(level="category")``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    months = list(dict.fromkeys(summary["month"]))
    x = np.arange(len(months))
    for group, rows in summary.groupby("group", sort=False):
        rows = rows.set_index("month").reindex(months)
        (line,) = ax.plot(x, rows["mean"], label=str(group))
        ax.fill_between(x, rows["lower"], rows["upper"], alpha=0.2, color=line.get_color(), lw=0)
    step = max(1, len(months) // 10)
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return ax


def save_figure(ax: Axes, path: str | os.PathLike[str]) -> None:
    """Save the Axes' figure as PNG atomically and close it."""
    fig = ax.figure
    if not isinstance(fig, Figure):  # an Axes of a SubFigure: save the whole figure
        fig = fig.figure
    fig.tight_layout()
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def scenarios_chart(
    draws: Mapping[str, np.ndarray],
    labels: Sequence[str],
    *,
    ax: Axes | None = None,
    title: str = "",
    ylabel: str = "",
    ci_prob: float = DEFAULT_CI_PROB,
) -> Axes:
    """Mean and central ``ci_prob`` interval of each scenario's ``draws``
    (draws x periods, one array per scenario name) over ``labels``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    lo_q, hi_q = interval_bounds(ci_prob)
    x = np.arange(len(labels))
    for k, (name, values) in enumerate(draws.items()):
        d = np.asarray(values, dtype=float)
        n = d.shape[1]
        color = f"C{k % 10}"
        lo, hi = np.quantile(d, [lo_q, hi_q], axis=0)
        ax.fill_between(x[:n], lo, hi, alpha=0.12, color=color, linewidth=0)
        ax.plot(x[:n], d.mean(axis=0), color=color, marker="o", label=str(name))
    ax.set_xticks(x, list(labels))
    ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", frameon=False, title=f"mean, {ci_prob:.0%} interval shaded")
    ax.grid(axis="y", alpha=0.3)
    return ax
