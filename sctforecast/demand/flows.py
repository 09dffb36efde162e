"""Events, exposure and the starting state of the placement model, vectorised.

Everything the placement-level model learns from SSDA903 episodes is counted
here, month by month, over the window the returns observe:

* entries into care by age band and the placement type entered;
* exits from care before 18 by age band and placement type (ageing out at 18
  is counted apart: it is certain and is simulated from age; so are the
  reader's year-end closures of children missing from the next return, which
  all fall on 1 April);
* moves between placement types by age band, from type and to type;
* exposure: child-months in care by age band and placement type.

Children already in care on the first day of the window enter the exposure on
that day (delayed entry); their earlier events are not counted.  Without
that rule a return's long-stayers, the only children of earlier years it
shows, would make leaving care look rarer than it is.

The model's age grid has 40 bins: single years 0 to 15, then the 24 months
of ages 16 and 17, so that leaving care at 18 happens in the right month.

No Python loop runs over episodes: counting about 10,000 episodes takes a
few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.placements import CATEGORIES, CATEGORY_OF, PLACEMENT_TYPES
from sctforecast.ssda903.reader import AGE_BANDS, SSDA903Data, age_band

__all__ = [
    "AGE_BINS",
    "BAND_OF_BIN",
    "FlowCounts",
    "age_bin",
    "episode_events",
    "flow_counts",
    "month_end_children",
    "observed_window",
]

NB, NT = len(AGE_BANDS), len(PLACEMENT_TYPES)
#: Single years 0..15, then months 0..23 of ages 16 and 17.
AGE_BINS = 16 + 24
BAND_OF_BIN = np.clip(
    age_band(np.r_[np.arange(16) + 0.5, 16 + (np.arange(24) + 0.5) / 12]), 0, NB - 1
)
CATEGORY_INDEX = np.array([CATEGORIES.index(CATEGORY_OF[t]) for t in PLACEMENT_TYPES])
_DAYS_PER_YEAR = 365.25
_AGE18_YEARS = 17.995  # the rule of ``ssda903.derive.care_events`` for ageing out
#: REC the reader writes when it closes an episode missing from the next return.
LOST = "LOST"


def age_bin(age_years: np.ndarray) -> np.ndarray:
    """Bin of the model's age grid (0..39) for ages in years."""
    a = np.asarray(age_years, dtype=float)
    b = np.where(a < 16, np.floor(a), 16 + np.floor((a - 16) * 12))
    return np.clip(b, 0, AGE_BINS - 1).astype(np.int64)


def _days(s: pd.Series) -> np.ndarray:
    """Dates as whole days since 1970 (NaT as the minimum int64)."""
    return s.to_numpy("datetime64[D]").astype(np.int64)


def _type_codes(types: pd.Series) -> np.ndarray:
    return pd.Categorical(types, categories=list(PLACEMENT_TYPES)).codes.astype(np.int64)


def episode_events(data: SSDA903Data) -> pd.DataFrame:
    """Entries, moves between placement types and exits: the same table as
    :func:`sctforecast.ssda903.care_events` (child, date, event, from_type,
    to_type, age), computed without a loop over episodes, with one more
    column: ``year_end_closure``, exits that are the reader's rule 4 (a child
    open at a year end and missing from the next return, closed on 1 April)."""
    e = data.episodes.sort_values(["child", "start"], kind="stable")
    child = e["child"].to_numpy()
    start, end = e["start"].to_numpy(), e["end"].to_numpy()
    dob = e["dob"].to_numpy()
    ptype = e["placement_type"].to_numpy(dtype=object)
    n = len(e)
    same_prev = np.r_[False, child[1:] == child[:-1]]
    same_next = np.r_[child[:-1] == child[1:], False]
    prev_end = np.r_[np.datetime64("NaT"), end[:-1]].astype(start.dtype)
    next_start = np.r_[start[1:], np.datetime64("NaT")].astype(start.dtype)
    prev_type = np.r_[None, ptype[:-1]]
    new = ~same_prev | np.isnat(prev_end) | (prev_end != start)
    move = ~new & (prev_type != ptype)
    cont = same_next & ~np.isnat(end) & (next_start == end)
    leave = ~np.isnat(end) & ~cont
    age_start = (start - dob) / np.timedelta64(1, "D") / _DAYS_PER_YEAR
    age_end = (end - dob) / np.timedelta64(1, "D") / _DAYS_PER_YEAR
    rec = e["rec"].astype(str).to_numpy()
    aged = (rec == "AGE18") | (age_end >= _AGE18_YEARS)
    lost = rec == LOST
    never = np.zeros(n, dtype=bool)
    parts = []
    for mask, kind, date, frm, to, age, closed in (
        (new, "entry", start, None, ptype, age_start, never),
        (move, "move", start, prev_type, ptype, age_start, never),
        (leave & ~aged, "exit", end, ptype, None, age_end, lost),
        (leave & aged, "aged_out", end, ptype, None, age_end, never),
    ):
        k = int(mask.sum())
        parts.append(
            pd.DataFrame(
                {
                    "child": child[mask],
                    "date": date[mask],
                    "event": np.full(k, kind, dtype=object),
                    "from_type": frm[mask] if frm is not None else np.full(k, None, dtype=object),
                    "to_type": to[mask] if to is not None else np.full(k, None, dtype=object),
                    "age": age[mask],
                    "year_end_closure": closed[mask],
                }
            )
        )
    ev = pd.concat(parts, ignore_index=True) if n else parts[0]
    return ev.sort_values(["date", "child"], kind="stable").reset_index(drop=True)


def observed_window(
    data: SSDA903Data, since: str | pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first day and the day after the last of the window rates come from.

    It starts at ``data.observed_from`` (for data built by hand without one,
    the 1 April on or before the earliest episode end, the rule of the
    reader), or at ``since`` when that is later; always on a month's first day.
    """
    start = data.observed_from
    if start is None:
        ends = data.episodes["end"].dropna()
        t = ends.min() if len(ends) else data.episodes["start"].max()
        start = pd.Timestamp(year=t.year if t.month >= 4 else t.year - 1, month=4, day=1)
    if since is not None:
        start = max(start, pd.Timestamp(since))
    start = pd.Timestamp(start).normalize()
    if start.day != 1:
        start = (start + pd.offsets.MonthBegin(1)).normalize()
    return start, data.observed_to.normalize() + pd.Timedelta(days=1)


@dataclass(frozen=True)
class FlowCounts:
    """Counts by month of the window (``months``): arrays are (month, band,
    type[, type]); ``entry_age`` is entrants by band and age bin;
    ``start_state`` the children in care at the end, by age bin and type."""

    months: pd.PeriodIndex
    entries: np.ndarray  # (M, B, T)
    exits: np.ndarray  # (M, B, T) leaving care before 18
    aged_out: np.ndarray  # (M, B, T)
    closed: np.ndarray  # (M, B, T) closed at a year end as missing from the next return
    moves: np.ndarray  # (M, B, T, T)
    exposure: np.ndarray  # (M, B, T) child-months
    entry_age: np.ndarray  # (B, AGE_BINS)
    start_state: np.ndarray  # (AGE_BINS, T)
    stock: np.ndarray  # (M + 1, T) children in care at the end of the month before
    # the window and of each month in it

    def last(self, months: int) -> FlowCounts:
        """The same counts over the last ``months`` months only."""
        k = slice(max(len(self.months) - months, 0), None)
        return FlowCounts(
            self.months[k],
            self.entries[k],
            self.exits[k],
            self.aged_out[k],
            self.closed[k],
            self.moves[k],
            self.exposure[k],
            self.entry_age,
            self.start_state,
            self.stock[k],
        )


def _month_of(days: np.ndarray, first: np.datetime64) -> np.ndarray:
    return (days.astype("datetime64[D]").astype("datetime64[M]") - first).astype(np.int64)


def flow_counts(data: SSDA903Data, start: pd.Timestamp, end: pd.Timestamp) -> FlowCounts:
    """Count events and exposure in whole months from ``start`` to the day
    before ``end`` (see the module docs), and the state on that day."""
    months = pd.period_range(start, end - pd.Timedelta(days=1), freq="M")
    M = len(months)
    first = np.datetime64(start.date(), "M")
    ev = episode_events(data)
    ev = ev[(ev["date"] >= start) & (ev["date"] < end)]
    m = _month_of(_days(ev["date"]), first)
    band = np.clip(age_band(ev["age"].to_numpy(float)), 0, NB - 1)
    frm = _type_codes(ev["from_type"])
    to = _type_codes(ev["to_type"])
    kind = ev["event"].to_numpy()
    closure = ev["year_end_closure"].to_numpy(dtype=bool)
    kind = np.where(closure, "closed", kind)
    counts = {k: np.zeros((M, NB, NT)) for k in ("entry", "exit", "aged_out", "closed")}
    for k, types in (("entry", to), ("exit", frm), ("aged_out", frm), ("closed", frm)):
        s = kind == k
        np.add.at(counts[k], (m[s], band[s], types[s]), 1.0)
    moves = np.zeros((M, NB, NT, NT))
    s = kind == "move"
    np.add.at(moves, (m[s], band[s], frm[s], to[s]), 1.0)
    entry_age = np.zeros((NB, AGE_BINS))
    s = kind == "entry"
    np.add.at(entry_age, (band[s], age_bin(ev["age"].to_numpy(float)[s])), 1.0)
    return FlowCounts(
        months=months,
        entries=counts["entry"],
        exits=counts["exit"],
        aged_out=counts["aged_out"],
        closed=counts["closed"],
        moves=moves,
        exposure=_exposure(data, start, end, months),
        entry_age=entry_age,
        start_state=_state(data, end - pd.Timedelta(days=1)),
        stock=month_end_children(data, pd.period_range(months[0] - 1, months[-1], freq="M")),
    )


def _exposure(
    data: SSDA903Data, start: pd.Timestamp, end: pd.Timestamp, months: pd.PeriodIndex
) -> np.ndarray:
    """Child-months in care (a whole month counts 1) by month, band and type,
    each (episode, month) piece in the band of the child's age at its middle."""
    e = data.episodes
    t0 = np.datetime64(start.date(), "D").astype(np.int64)
    t1 = np.datetime64(end.date(), "D").astype(np.int64)
    s = np.maximum(_days(e["start"]), t0)
    en_raw = e["end"].to_numpy("datetime64[D]")
    en = np.minimum(np.where(np.isnat(en_raw), t1, en_raw.astype(np.int64)), t1)
    keep = en > s
    s, en = s[keep], en[keep]
    dob = _days(e["dob"])[keep]
    types = _type_codes(e["placement_type"])[keep]
    first = np.datetime64(start.date(), "M")
    bounds = (
        (first + np.arange(len(months) + 1)).astype("datetime64[D]").astype(np.int64)
    )  # month starts and the end
    i0 = _month_of(s, first)
    i1 = _month_of(en - 1, first)
    span = i1 - i0 + 1
    ep = np.repeat(np.arange(len(s)), span)
    mi = i0[ep] + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    lo = np.maximum(s[ep], bounds[mi])
    hi = np.minimum(en[ep], bounds[mi + 1])
    days = (hi - lo).astype(float)
    band = np.clip(age_band((lo + days / 2 - dob[ep]) / _DAYS_PER_YEAR), 0, NB - 1)
    out = np.zeros((len(months), NB, NT))
    np.add.at(out, (mi, band, types[ep]), days / np.diff(bounds)[mi])
    return out


def _state(data: SSDA903Data, when: pd.Timestamp) -> np.ndarray:
    """Children in care at the end of ``when`` by age bin and placement type."""
    e = data.episodes
    live = ((e["start"] <= when) & (e["end"].isna() | (e["end"] > when))).to_numpy()
    age = ((when - e.loc[live, "dob"]).dt.days / _DAYS_PER_YEAR).to_numpy()
    ok = age < 18
    out = np.zeros((AGE_BINS, NT))
    np.add.at(out, (age_bin(age[ok]), _type_codes(e.loc[live, "placement_type"])[ok]), 1.0)
    return out


def month_end_children(data: SSDA903Data, months: pd.PeriodIndex) -> np.ndarray:
    """Children in care at the end of each month by placement type, (month, type)."""
    e = data.episodes
    s = _days(e["start"])
    en_raw = e["end"].to_numpy("datetime64[D]")
    en = np.where(np.isnat(en_raw), np.iinfo(np.int64).max, en_raw.astype(np.int64))
    ends = months.to_timestamp(how="end").normalize().to_numpy("datetime64[D]").astype(np.int64)
    live = (s[:, None] <= ends[None, :]) & (en[:, None] > ends[None, :])
    types = _type_codes(e["placement_type"])
    out = np.zeros((len(months), NT))
    ii, jj = np.nonzero(live)
    np.add.at(out, (jj, types[ii]), 1.0)
    return out
