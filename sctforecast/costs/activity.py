"""Placement activity: placement-days by month and placement type.

Activity is an ``xarray.DataArray`` named ``placement_days`` with dims
``(month, placement_type)``, optionally with leading ``draw`` (or other)
dims.  ``month`` labels are ``"YYYY-MM"`` strings.  Helpers build it from
children counts, from individual placements (start and end dates), or from a
tidy DataFrame.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types

__all__ = [
    "activity_from_counts",
    "activity_from_placements",
    "activity_from_frame",
    "as_activity",
    "move_children",
    "months_of",
]


def _month_labels(months: pd.PeriodIndex) -> list[str]:
    return [str(m) for m in months]


def months_of(activity: xr.DataArray) -> pd.PeriodIndex:
    return pd.PeriodIndex(activity["month"].values.astype(str), freq="M")


def _empty(months: pd.PeriodIndex) -> xr.DataArray:
    return xr.DataArray(
        np.zeros((len(months), len(PLACEMENT_TYPES))),
        dims=("month", "placement_type"),
        coords={"month": _month_labels(months), "placement_type": list(PLACEMENT_TYPES)},
        name="placement_days",
    )


def activity_from_counts(children: pd.DataFrame) -> xr.DataArray:
    """Placement-days from children in each placement type by month.

    ``children``: index monthly periods (or ``"YYYY-MM"``), columns placement
    types, values the average number of children in that month.  Days =
    children x days in the month.
    """
    idx = pd.PeriodIndex(children.index.astype(str), freq="M")
    check_placement_types(list(children.columns), where="activity_from_counts columns")
    values = children.to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise DataValidationError(
            "activity_from_counts: children counts must be non-negative numbers"
        )
    out = _empty(idx)
    days = idx.days_in_month.to_numpy(dtype=float)[:, None]
    for j, t in enumerate(children.columns):
        out.loc[{"placement_type": t}] = values[:, j] * days[:, 0]
    return out


def activity_from_placements(
    placements: pd.DataFrame,
    *,
    first_year: FinancialYear | str | int,
    n_years: int,
    start: str = "start",
    end: str = "end",
    placement_type: str = "placement_type",
    child: str | None = "child",
) -> xr.DataArray:
    """Placement-days by month from individual placements.

    A placement runs from ``start`` (inclusive) to ``end`` (exclusive: the
    day it ended is a day in the next placement, as in SSDA903); a blank end
    means still open.  Part-year effects fall out: a placement starting on 1
    January costs January to March this year and the full year next year.
    When a ``child`` column is present, no child is counted twice on a day:
    overlapping placements follow the rule of :mod:`sctforecast.episodes`.
    """
    months = month_index(FinancialYear.parse(first_year), n_years)
    if child is not None and child in placements.columns:
        from sctforecast.episodes import resolve_overlaps

        placements, _ = resolve_overlaps(
            placements,
            child=child,
            start=start,
            end=end,
            placement=placement_type,
            where="placements",
        )
    check_placement_types(placements[placement_type].unique(), where="placements")
    s = pd.to_datetime(placements[start]).to_numpy("datetime64[D]")
    e_raw = pd.to_datetime(placements[end])
    horizon_end = np.datetime64(months[-1].end_time.date() + dt.timedelta(days=1), "D")
    e = e_raw.fillna(pd.Timestamp(horizon_end)).to_numpy("datetime64[D]")
    if (e < s).any():
        bad = np.flatnonzero(e < s)[:10]
        raise DataValidationError(
            f"placements end before they start (rows {', '.join(map(str, bad))})"
        )
    m_start = np.array([m.start_time.date() for m in months], dtype="datetime64[D]")
    m_end = m_start + months.days_in_month.to_numpy().astype("timedelta64[D]")
    overlap = np.minimum(e[:, None], m_end[None, :]) - np.maximum(s[:, None], m_start[None, :])
    days = np.clip(overlap.astype(np.int64), 0, None).astype(float)  # (placements, months)
    codes = pd.Categorical(placements[placement_type], categories=list(PLACEMENT_TYPES)).codes
    out = np.zeros((len(months), len(PLACEMENT_TYPES)))
    np.add.at(out.T, codes, days)
    da = _empty(months)
    da.values = out
    return da


def activity_from_frame(frame: pd.DataFrame) -> xr.DataArray:
    """From a tidy frame with columns month, placement_type, placement_days."""
    need = {"month", "placement_type", "placement_days"}
    if not need <= set(frame.columns):
        raise DataValidationError(
            f"activity frame needs columns {sorted(need)}, got {list(frame.columns)}"
        )
    check_placement_types(frame["placement_type"].unique(), where="activity frame")
    wide = frame.pivot_table(
        index="month",
        columns="placement_type",
        values="placement_days",
        aggfunc="sum",
        fill_value=0.0,
    )
    idx = pd.PeriodIndex(wide.index.astype(str), freq="M")
    full = pd.period_range(idx.min(), idx.max(), freq="M")
    out = _empty(full)
    for t in wide.columns:
        out.loc[{"placement_type": t, "month": [str(m) for m in idx]}] = wide[t].to_numpy(
            dtype=float
        )
    return out


def as_activity(activity: object) -> xr.DataArray:
    """Accept a DataArray, a tidy DataFrame or a counts DataFrame (wide)."""
    if isinstance(activity, xr.DataArray):
        missing = {"month", "placement_type"} - set(activity.dims)
        if missing:
            raise DataValidationError(
                f"activity needs dims month and placement_type; missing {sorted(missing)}"
            )
        check_placement_types(activity["placement_type"].values, where="activity")
        if activity.sizes["placement_type"] != len(PLACEMENT_TYPES) or list(
            activity["placement_type"].values
        ) != list(PLACEMENT_TYPES):
            activity = activity.reindex(placement_type=list(PLACEMENT_TYPES), fill_value=0.0)
        return activity.transpose(..., "month", "placement_type")
    if isinstance(activity, pd.DataFrame):
        if "placement_days" in activity.columns:
            return activity_from_frame(activity)
        return activity_from_counts(activity)
    raise DataValidationError(f"cannot read activity from a {type(activity).__name__}")


def move_children(
    activity: xr.DataArray,
    n: float,
    *,
    from_type: str,
    to_type: str,
    start: dt.date | str,
) -> xr.DataArray:
    """Move ``n`` children from one placement type to another from ``start``.

    Days from ``start`` onward move (the first month pro rata by day).  Raises
    if the source type has fewer days than would move in any month.
    """
    check_placement_types([from_type, to_type], where="move_children")
    act = as_activity(activity)
    months = months_of(act)
    s = pd.Timestamp(start)
    dim = months.days_in_month.to_numpy(dtype=float)
    frac = np.array(
        [
            1.0 if m.start_time >= s else max(0.0, (m.end_time.normalize() - s).days + 1) / d
            for m, d in zip(months, dim, strict=True)
        ]
    )
    moved = xr.DataArray(n * dim * frac, dims=("month",), coords={"month": act["month"]})
    src = act.sel(placement_type=from_type)
    short = (src - moved) < -1e-9
    if bool(short.any()):
        first = str(
            act["month"].values[np.argmax(short.values.reshape(-1, len(months)).any(axis=0))]
        )
        raise DataValidationError(
            f"move_children: not enough {from_type} placement-days to move {n} children in {first}"
        )
    out = act.copy()
    out.loc[{"placement_type": from_type}] = src - moved
    out.loc[{"placement_type": to_type}] = act.sel(placement_type=to_type) + moved
    return out
