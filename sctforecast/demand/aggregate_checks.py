"""Checks of a fitted aggregate model against what was published.

:func:`gap_table` reports the stock/flow gap: each published stock against
the latent stock on its date, their mean difference, its drift a year and the
measurement scale.  :func:`posterior_predictive` replicates every published
flow and stock; :func:`plot_ppc` and :func:`plot_stock` draw them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.demand.aggregate_pymc import PRIORS
from sctforecast.demand.design import EXACT_STOCK_SD

if TYPE_CHECKING:
    from sctforecast.demand.aggregate import CareFlowModel

__all__ = ["gap_table", "posterior_predictive", "plot_ppc", "plot_stock", "GAP_COLUMNS"]

GAP_COLUMNS = ("quantity", "published", "mean", "lower", "upper")


def _published_gaps(model: CareFlowModel) -> tuple[np.ndarray, np.ndarray]:
    """(published stocks (J,), published minus latent stock on their dates (draws, J))."""
    d = model.design
    latent = model.latent_history()["stock"] @ d.stock_weights.T
    return d.stock_obs, d.stock_obs[None, :] - latent


def _row(name: str, published: float, v: np.ndarray, lo: float, hi: float) -> tuple:  # type: ignore[type-arg]
    q = np.quantile(v, [lo, hi])
    return (name, published, float(v.mean()), float(q[0]), float(q[1]))


def gap_table(model: CareFlowModel, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """The published stock/flow gap, estimated and reported.

    Rows: each published stock less the latent (flow-consistent) stock on its
    date; the mean of those gaps; their drift a year (the least-squares slope
    over time: a systematic gap between published stocks and published flows
    would show here); the measurement scale (``gap_sigma``, the scale of the
    Student-t errors of a published stock); then the raw gap of each period,
    the published stock less the previous one and the period's published
    flows.  Columns: quantity, published, mean, lower, upper."""
    lo, hi = interval_bounds(ci_prob)
    d = model.design
    data = model._require()[1]
    obs, gaps = _published_gaps(model)
    rows = [
        _row(f"gap on {lab}", float(o), gaps[:, j], lo, hi)
        for j, (lab, o) in enumerate(zip(d.stock_labels, obs, strict=True))
    ]
    rows.append(_row("gap: mean over published stocks", np.nan, gaps.mean(axis=1), lo, hi))
    t = d.stock_years - d.stock_years.mean()
    slope = (
        (gaps - gaps.mean(axis=1, keepdims=True)) @ t / float(t @ t)
        if t @ t > 0
        else np.zeros(len(gaps))
    )
    rows.append(_row("gap: drift a year", np.nan, slope, lo, hi))
    p = model.posterior_draws()
    sigma = p.get("gap_sigma", np.full(len(gaps), EXACT_STOCK_SD))
    rows.append(
        _row(
            f"gap: measurement scale (Student-t, {PRIORS['gap_nu']:.0f} df)", np.nan, sigma, lo, hi
        )
    )
    for per, g in zip(data.periods, data.gap, strict=True):
        rows.append(
            (
                f"published gap {per} (stock less previous stock and flows)",
                float(g),
                np.nan,
                np.nan,
                np.nan,
            )
        )
    return pd.DataFrame(rows, columns=list(GAP_COLUMNS))


def posterior_predictive(model: CareFlowModel, *, random_seed: int = 0) -> xr.Dataset:
    """Replicated published flows (``entries``, ``exits`` over ``flow``) and
    published stocks (``stock`` over ``published_stock``), one per draw."""
    rng = np.random.default_rng(random_seed)
    d = model.design
    h = model.latent_history()
    mu_e, mu_x = h["entries"] @ d.flow_windows.T, h["exits"] @ d.flow_windows.T
    latent = h["stock"] @ d.stock_weights.T
    p = model.posterior_draws()
    sigma = p.get("gap_sigma", np.full(len(latent), EXACT_STOCK_SD))[:, None]
    stock = latent + sigma * rng.standard_t(PRIORS["gap_nu"], size=latent.shape)
    return xr.Dataset(
        {
            "entries": (("draw", "flow"), rng.poisson(np.maximum(mu_e, 0.0)).astype(float)),
            "exits": (("draw", "flow"), rng.poisson(np.maximum(mu_x, 0.0)).astype(float)),
            "stock": (("draw", "published_stock"), stock),
        },
        coords={"flow": list(d.flow_labels), "published_stock": list(d.stock_labels)},
    )


def plot_ppc(model: CareFlowModel, *, ax=None, ci_prob: float = DEFAULT_CI_PROB):  # type: ignore[no-untyped-def]
    """Published entries and exits against their replicated intervals."""
    import matplotlib.pyplot as plt

    d = model.design
    ppc = posterior_predictive(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(d.flow_labels))
    lo, hi = interval_bounds(ci_prob)
    for name, obs, color, dx in (
        ("entries", d.flow_entries, "tab:blue", -0.1),
        ("exits", d.flow_exits, "tab:orange", 0.1),
    ):
        q = np.quantile(ppc[name].values, [lo, hi], axis=0)
        ax.vlines(
            x + dx,
            q[0],
            q[1],
            color=color,
            alpha=0.5,
            lw=6,
            label=f"{name}: {ci_prob:.0%} predictive",
        )
        ax.plot(x + dx, obs, "o", color=color, label=f"{name}: published")
    ax.set_xticks(x, list(d.flow_labels), rotation=45, ha="right", fontsize=8)
    ax.set_title("Posterior predictive check of the published flows")
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_stock(model: CareFlowModel, *, ax=None, ci_prob: float = DEFAULT_CI_PROB):  # type: ignore[no-untyped-def]
    """The latent stock's central interval at month ends and every published count."""
    import matplotlib.pyplot as plt

    d = model.design
    stock = model.latent_history()["stock"]
    lo, hi = interval_bounds(ci_prob)
    q = np.quantile(stock, [lo, 0.5, hi], axis=0)
    ends = [d.months[0].start_time - pd.Timedelta(days=1)] + [m.end_time for m in d.months]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    ax.fill_between(
        ends, q[0], q[2], alpha=0.3, color="tab:blue", label=f"latent stock, {ci_prob:.0%}"
    )
    ax.plot(ends, q[1], color="tab:blue", lw=1)
    ax.plot(
        pd.to_datetime(list(d.stock_labels)),
        d.stock_obs,
        "o",
        color="black",
        ms=4,
        label="published",
    )
    ax.set_title("Children in care: latent stock and published counts")
    ax.legend(frameon=False, fontsize=8)
    return ax
