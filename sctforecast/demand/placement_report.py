"""Tables and a fan chart of a forecast by placement type, for analysts and the CLI.

Every interval is computed from the draws of the row's own group (a
category's interval from the draws of that category's total), never by
adding up bounds.  Numpy on the draws, no xarray reductions.  The tables and
chart take any :class:`~sctforecast.demand.DemandModel`'s ``forecast_draws``
Dataset: :func:`write_forecast` writes them with the files of the model that
made the draws (:func:`write_placement_forecast` for SSDA903 returns).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast._io import atomic_directory, write_csv
from sctforecast.constants import DEFAULT_CI_PROB, INNER_CI_PROB, interval_bounds
from sctforecast.demand.flows import CATEGORY_INDEX, month_end_children
from sctforecast.placements import CATEGORIES, PLACEMENT_TYPES
from sctforecast.ssda903.reader import SSDA903Data

if TYPE_CHECKING:  # pragma: no cover
    from sctforecast.demand.placement import PlacementFlowModel

__all__ = [
    "FORECAST_FILES",
    "FORECAST_TABLES",
    "SUMMARY_COLUMNS",
    "by_category",
    "forecast_tables",
    "history",
    "plot_forecast",
    "save_fan_chart",
    "write_forecast",
    "write_placement_forecast",
]

#: The files every forecast folder holds (:func:`write_forecast`).
FORECAST_TABLES = (
    "children_by_placement_type.csv",
    "children_by_category.csv",
    "forecast.png",
)
#: The files ``write_placement_forecast`` writes (a forecast from SSDA903 returns).
FORECAST_FILES = (
    "children_by_placement_type.csv",
    "children_by_category.csv",
    "rates.csv",
    "data_quality.csv",
    "forecast.png",
)

SUMMARY_COLUMNS = ("month", "group", "mean", "median", "lower", "upper", "ci_prob")
GROUPS = (*CATEGORIES, "total")


def by_category(children: np.ndarray) -> np.ndarray:
    """Children (..., type) summed into (..., group): the four categories, then the total."""
    out = np.zeros(children.shape[:-1] + (len(GROUPS),))
    for c in range(len(CATEGORIES)):
        out[..., c] = children[..., CATEGORY_INDEX == c].sum(axis=-1)
    out[..., -1] = children.sum(axis=-1)
    return out


def _summary(
    draws: np.ndarray, months: list[str], groups: tuple[str, ...], ci_prob: float
) -> pd.DataFrame:
    lo, hi = interval_bounds(ci_prob)
    q = np.quantile(draws, [lo, 0.5, hi], axis=0)  # (3, month, group)
    frame = pd.DataFrame(
        {
            "month": np.repeat(months, len(groups)),
            "group": np.tile(groups, len(months)),
            "mean": draws.mean(axis=0).ravel(),
            "median": q[1].ravel(),
            "lower": q[0].ravel(),
            "upper": q[2].ravel(),
        }
    )
    frame["ci_prob"] = ci_prob
    return frame


def forecast_tables(
    ds: xr.Dataset, *, ci_prob: float = DEFAULT_CI_PROB
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(by placement type, by category and total) month-end children in care:
    mean, median and central interval of the draws (columns SUMMARY_COLUMNS)."""
    children = ds["children"].values
    months = [str(m) for m in ds["month"].values]
    types = _summary(children, months, tuple(PLACEMENT_TYPES), ci_prob)
    cats = _summary(by_category(children), months, GROUPS, ci_prob)
    return types, cats


def history(data: SSDA903Data, months: int = 24) -> pd.DataFrame:
    """Actual month-end children in care by category and total for the last
    ``months`` months of the returns (index month, columns groups)."""
    end = data.observed_to.to_period("M")
    idx = pd.period_range(end - months + 1, end, freq="M")
    return pd.DataFrame(
        by_category(month_end_children(data, idx)), index=[str(m) for m in idx], columns=GROUPS
    )


def plot_forecast(
    ds: xr.Dataset,
    *,
    actual: pd.DataFrame | None = None,
    group: str = "total",
    ax: Any = None,
    ci_probs: tuple[float, float] = (DEFAULT_CI_PROB, INNER_CI_PROB),
    actual_label: str = "returns",
) -> Any:
    """Fan chart of month-end children in one group (a category or
    ``total``): median and central intervals, with the actual months before
    (``actual``: columns are groups, index months "2024-03"; a group it lacks
    is drawn without actuals)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    draws = by_category(ds["children"].values)[..., GROUPS.index(group)]
    x = pd.PeriodIndex([str(m) for m in ds["month"].values], freq="M").to_timestamp()
    for prob, alpha in zip(ci_probs, (0.2, 0.4), strict=True):
        lo, hi = np.quantile(draws, interval_bounds(prob), axis=0)
        ax.fill_between(
            x, lo, hi, color="tab:blue", alpha=alpha, linewidth=0, label=f"{prob:.0%} interval"
        )
    ax.plot(x, np.median(draws, axis=0), color="tab:blue", label="median")
    if actual is not None and group in actual:
        ax.plot(
            pd.PeriodIndex(actual.index, freq="M").to_timestamp(),
            actual[group].to_numpy(),
            "k.-",
            markersize=3,
            label=actual_label,
        )
    ax.set_title(f"children in care: {group}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax


def save_fan_chart(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    actual: pd.DataFrame | None = None,
    actual_label: str = "returns",
) -> None:
    """One fan chart per category and the total, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(12, 10))
    for g, ax in zip(("total", *CATEGORIES), axes.flat, strict=False):
        plot_forecast(ds, actual=actual, group=g, ax=ax, actual_label=actual_label)
        ax.tick_params(axis="x", labelrotation=30)
    axes.flat[-1].axis("off")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)


def write_forecast(
    out: str | os.PathLike[str],
    ds: xr.Dataset,
    *,
    history: pd.DataFrame | pd.Series | None = None,
    description: str = "returns",
    files: Mapping[str, pd.DataFrame | str] | None = None,
    ci_prob: float = DEFAULT_CI_PROB,
) -> tuple[Path, pd.DataFrame]:
    """Write a forecast folder atomically: ``FORECAST_TABLES`` (month-end
    children by placement type and by category, each with mean, median and
    interval from the draws, and a fan chart) and ``files``.

    ``ds`` is a ``forecast_draws`` Dataset (``children`` over draw, month,
    placement_type).  ``history`` is the actual children in care drawn before
    the forecast: by group (columns ``residential`` ... ``total``) or a Series
    of the total, indexed by month ("2024-03"); ``description`` labels it in the
    chart.  ``files`` maps further file names to a table (written as CSV) or
    text.  Returns the folder and the category table.
    """
    by_type, by_cat = forecast_tables(ds, ci_prob=ci_prob)
    actual = history.to_frame("total") if isinstance(history, pd.Series) else history
    with atomic_directory(out) as tmp:
        write_csv(by_type, tmp / FORECAST_TABLES[0])
        write_csv(by_cat, tmp / FORECAST_TABLES[1])
        for name, content in (files or {}).items():
            if isinstance(content, str):
                (tmp / name).write_text(content, encoding="utf-8")
            else:
                write_csv(content, tmp / name)
        save_fan_chart(ds, tmp / FORECAST_TABLES[2], actual=actual, actual_label=description)
    return Path(out).resolve(), by_cat


def write_placement_forecast(
    out: str | os.PathLike[str],
    model: PlacementFlowModel,
    data: SSDA903Data,
    ds: xr.Dataset,
    *,
    ci_prob: float = DEFAULT_CI_PROB,
) -> tuple[Path, pd.DataFrame]:
    """Write a forecast folder of the placement-level model (``FORECAST_FILES``):
    :func:`write_forecast`'s tables and chart after the last two years of the
    returns, the fitted rates at the origin and the reader's data-quality
    summary.  Returns the folder and the category table."""
    return write_forecast(
        out,
        ds,
        history=history(data),
        description="returns",
        files={
            FORECAST_FILES[2]: model.rates(ci_prob=ci_prob),
            FORECAST_FILES[3]: data.quality_summary(),
        },
        ci_prob=ci_prob,
    )
