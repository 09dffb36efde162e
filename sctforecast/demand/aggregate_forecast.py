"""The aggregate model's forecast as a ``forecast_draws`` Dataset, and its summaries.

:func:`forecast_dataset` packages the simulated months (the numpy kernel's
output) in the shape every demand model returns
(:mod:`sctforecast.demand.forecast`): children by placement type, split by
the placement mix given, with UASC in ``supported_accommodation_uasc``.
:func:`summarise_draws` and :func:`kpi_band_probabilities` read such a
Dataset.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, DRAW_DIM, MONTH_DIM, interval_bounds
from sctforecast.demand.design import FlowDesign
from sctforecast.demand.forecast import split_by_mix
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.periods import financial_year_of

__all__ = [
    "FORECAST_MEASURES",
    "forecast_dataset",
    "kpi_band_probabilities",
    "required_parameters",
    "summarise_draws",
]

UASC_TYPE = "supported_accommodation_uasc"
#: Measures of the tidy forecast (``uasc_in_care`` only with a UASC stream).
FORECAST_MEASURES = ("entries", "exits", "children_in_care", "uasc_in_care", "rate_per_10k")


def required_parameters(d: FlowDesign) -> list[str]:
    """The posterior parameters a model of design ``d`` has."""
    names = [
        "entry_level",
        "exit_level",
        "entry_reversion",
        "exit_reversion",
        "entry_sd",
        "exit_sd",
    ]
    names += ["entry_path", "exit_path"]
    names += [] if d.observed_stock is not None else ["stock0"]
    names += ["entry_transient"] if d.transients else []
    names += [] if d.exact_stocks else ["gap_sigma"]
    names += ["uasc0", "uasc_entries", "uasc_hazard"] if d.has_uasc else []
    names += ["season_e", "season_x"] if d.seasonal else []
    names += ["foster_share_logit", "foster_share_drift", "foster_sigma"] if d.has_foster else []
    return names


def _citizen_mix(mix: Mapping[str, float]) -> dict[str, float]:
    rest = {k: float(v) for k, v in mix.items() if k != UASC_TYPE}
    total = sum(rest.values())
    if total <= 0:
        raise DataValidationError(
            "the placement mix puts every child in supported_accommodation_uasc; UASC are their "
            "own stream, so give the shares of the other children too"
        )
    return {k: v / total for k, v in rest.items()}


def forecast_dataset(
    sims: Mapping[str, np.ndarray],
    months: pd.PeriodIndex,
    population: np.ndarray,
    mix: Mapping[str, float],
    *,
    start: tuple[np.ndarray, np.ndarray],
    uasc_stream: bool,
    source: str = "",
) -> xr.Dataset:
    """A ``forecast_draws`` Dataset from simulated months (see the module docs).

    ``start`` is (children other than UASC, UASC) at the end of the data, per
    draw.  Without a UASC stream, every child is split by ``mix``."""
    total, uasc = sims["children"], sims["uasc"]
    entries, exits = sims["entries"], sims["exits"]
    if uasc_stream:
        ds = split_by_mix(total - uasc, months, _citizen_mix(mix), start_total=start[0])
        du = split_by_mix(uasc, months, {UASC_TYPE: 1.0}, start_total=start[1])
        ds["children"] = ds["children"] + du["children"]
        ds["placement_days"] = ds["placement_days"] + du["placement_days"]
    else:
        ds = split_by_mix(total, months, mix, start_total=start[0] + start[1])
    dims = (DRAW_DIM, MONTH_DIM)
    ds["entries"] = (dims, entries)
    ds["exits"] = (dims, exits)
    ds["children_in_care"] = (dims, total)
    if uasc_stream:
        ds["uasc_in_care"] = (dims, uasc)
    ds["rate_per_10k"] = (dims, total / population[None, :] * 1e4)
    ds["population"] = ((MONTH_DIM,), population)
    ds.attrs = {"source": source, "model": "aggregate care-flow model"}
    return ds


def _months(ds: xr.Dataset) -> pd.PeriodIndex:
    return pd.PeriodIndex([str(m) for m in ds[MONTH_DIM].values], freq="M")


def _periods(ds: xr.Dataset, freq: str) -> list[tuple[str, np.ndarray]]:
    """(label, positions of its months) for each whole financial year or each month."""
    months = _months(ds)
    if freq == "month":
        return [(str(m), np.array([i])) for i, m in enumerate(months)]
    if freq != "year":
        raise ConfigError(f"freq must be 'year' or 'month', got {freq!r}")
    fy = [financial_year_of(m) for m in months]
    out = []
    for y in dict.fromkeys(fy):
        pos = np.array([i for i, f in enumerate(fy) if f == y])
        if len(pos) == 12:
            out.append((y.label, pos))
    if not out:
        raise ConfigError(
            f"the forecast ({months[0]} to {months[-1]}) covers no whole financial year; "
            "forecast more months, or ask for freq='month'"
        )
    return out


def summarise_draws(
    ds: xr.Dataset, *, ci_prob: float = DEFAULT_CI_PROB, freq: str = "year"
) -> pd.DataFrame:
    """Mean, median and central interval of each measure by financial year
    (whole years) or month: entries and exits over the period; children in
    care, UASC in care and the rate per 10,000 children at its end.
    Columns: period, measure, mean, median, lower, upper, ci_prob."""
    lo, hi = interval_bounds(ci_prob)
    rows = []
    for label, pos in _periods(ds, freq):
        for measure in FORECAST_MEASURES:
            if measure not in ds:
                continue
            v = ds[measure].transpose(DRAW_DIM, MONTH_DIM).values
            x = v[:, pos].sum(axis=1) if measure in ("entries", "exits") else v[:, pos[-1]]
            q = np.quantile(x, [lo, 0.5, hi])
            rows.append((label, measure, float(x.mean()), q[1], q[0], q[2], ci_prob))
    return pd.DataFrame(
        rows, columns=["period", "measure", "mean", "median", "lower", "upper", "ci_prob"]
    )


def kpi_band_probabilities(
    ds: xr.Dataset, *, green: float = 94.0, red: float = 100.0
) -> pd.DataFrame:
    """P(green / amber / red) of the children-in-care rate per 10,000 at each
    31 March in the forecast (contract KPI 7, 004 Section (j): green at or
    below 94.0, red at or above 100.0).  Columns: period, month, p_green,
    p_amber, p_red."""
    if not green < red:
        raise ConfigError(f"the green threshold ({green}) must be below the red one ({red})")
    months = _months(ds)
    ends = [i for i, m in enumerate(months) if m.month == 3]
    if not ends:
        raise ConfigError(
            f"the forecast ({months[0]} to {months[-1]}) reaches no 31 March; forecast further ahead"
        )
    r = ds["rate_per_10k"].transpose(DRAW_DIM, MONTH_DIM).values[:, ends]
    return pd.DataFrame(
        {
            "period": [financial_year_of(months[i]).label for i in ends],
            "month": [str(months[i]) for i in ends],
            "p_green": (r <= green).mean(axis=0),
            "p_amber": ((r > green) & (r < red)).mean(axis=0),
            "p_red": (r >= red).mean(axis=0),
        }
    )
