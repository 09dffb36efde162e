"""From episodes to events (entries, moves, exits) and monthly counts by type and age."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.reader import AGE_BANDS, SSDA903Data, age_band

__all__ = ["care_events", "monthly_counts", "placement_days"]

_DAYS_PER_YEAR = 365.25


def care_events(data: SSDA903Data) -> pd.DataFrame:
    """One row per event: entry to care, move between placement types, exit.

    A period of care is a run of episodes where each starts on the day the
    previous one ended.  Columns: child, date, event (entry / move / exit /
    aged_out), from_type, to_type, age (years at the event).
    """
    e = data.episodes.sort_values(["child", "start"])
    prev_end = e.groupby("child")["end"].shift(1)
    prev_type = e.groupby("child")["placement_type"].shift(1)
    next_start = e.groupby("child")["start"].shift(-1)
    new_period = prev_end.isna() | (prev_end != e["start"])
    continues = next_start.notna() & (next_start == e["end"])
    rows = []
    dob = e["dob"]
    for is_new, cont, r, pt, d in zip(
        new_period, continues, e.itertuples(index=False), prev_type, dob, strict=True
    ):
        if is_new:
            rows.append(
                (
                    r.child,
                    r.start,
                    "entry",
                    None,
                    r.placement_type,
                    (r.start - d).days / _DAYS_PER_YEAR,
                )
            )
        elif pt != r.placement_type:
            rows.append(
                (
                    r.child,
                    r.start,
                    "move",
                    pt,
                    r.placement_type,
                    (r.start - d).days / _DAYS_PER_YEAR,
                )
            )
        if pd.notna(r.end) and not cont:
            kind = (
                "aged_out"
                if r.rec == "AGE18" or (r.end - d).days / _DAYS_PER_YEAR >= 17.995
                else "exit"
            )
            rows.append(
                (r.child, r.end, kind, r.placement_type, None, (r.end - d).days / _DAYS_PER_YEAR)
            )
    ev = pd.DataFrame(rows, columns=["child", "date", "event", "from_type", "to_type", "age"])
    return ev.sort_values(["date", "child"], kind="stable").reset_index(drop=True)


def placement_days(data: SSDA903Data, months: pd.PeriodIndex) -> pd.DataFrame:
    """Placement-days by month, placement type and age band (half-open episodes)."""
    e = data.episodes
    limit = data.observed_to + pd.Timedelta(days=1)
    s = e["start"].to_numpy("datetime64[D]")
    en = e["end"].fillna(limit).to_numpy("datetime64[D]")
    m0 = np.array([m.start_time.date() for m in months], dtype="datetime64[D]")
    m1 = m0 + months.days_in_month.to_numpy().astype("timedelta64[D]")
    days = np.clip(
        (np.minimum(en[:, None], m1[None, :]) - np.maximum(s[:, None], m0[None, :])).astype(
            np.int64
        ),
        0,
        None,
    )
    mid = m0 + (m1 - m0) // 2
    age = (mid[None, :] - e["dob"].to_numpy("datetime64[D]")[:, None]).astype(
        np.int64
    ) / _DAYS_PER_YEAR
    band = age_band(age.ravel()).reshape(age.shape)
    t = pd.Categorical(e["placement_type"], categories=list(PLACEMENT_TYPES)).codes
    out = np.zeros((len(months), len(PLACEMENT_TYPES), len(AGE_BANDS)))
    ii, jj = np.nonzero(days)
    np.add.at(out, (jj, t[ii], np.clip(band[ii, jj], 0, len(AGE_BANDS) - 1)), days[ii, jj])
    idx = pd.MultiIndex.from_product(
        [[str(m) for m in months], PLACEMENT_TYPES, [b[0] for b in AGE_BANDS]],
        names=["month", "placement_type", "age_band"],
    )
    return pd.DataFrame({"placement_days": out.ravel()}, index=idx).reset_index()


def monthly_counts(
    data: SSDA903Data, *, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Entries, exits (aged-out included), moves and end-of-month stock by month.

    Columns: month, entries, exits, aged_out, moves, stock_end.  The stock at
    the end of a month counts children whose episode covers its last day.
    """
    ev = care_events(data)
    first = pd.Period(start, freq="M") if start else data.episodes["start"].min().to_period("M")
    last = pd.Period(end, freq="M") if end else data.observed_to.to_period("M")
    months = pd.period_range(first, last, freq="M")
    ev = ev.assign(month=ev["date"].dt.to_period("M"))
    counts = (
        ev.groupby(["month", "event"]).size().unstack(fill_value=0).reindex(months, fill_value=0)
    )
    for c in ("entry", "exit", "aged_out", "move"):
        if c not in counts:
            counts[c] = 0
    e = data.episodes
    limit = data.observed_to + pd.Timedelta(days=1)
    ends = months.to_timestamp(how="end").normalize()
    s = e["start"].to_numpy()
    en = e["end"].fillna(limit).to_numpy()
    stock = [int(((s <= d) & (en > d)).sum()) for d in ends.to_numpy()]
    return pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "entries": counts["entry"].to_numpy(),
            "exits": (counts["exit"] + counts["aged_out"]).to_numpy(),
            "aged_out": counts["aged_out"].to_numpy(),
            "moves": counts["move"].to_numpy(),
            "stock_end": stock,
        }
    )
