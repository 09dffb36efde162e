"""The data-quality rules the SSDA903 reader applies, one named step each.

Each step takes the episodes frame (columns ``child``, ``start``, ``end``,
``place``, ``provider``, ``rec``, ``collection``, ``source``...) and a
:class:`QualityLog`, returns a new frame and records every application: the
reader turns the log into ``SSDA903Data.quality`` and one
:class:`~sctforecast.errors.DataQualityWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from sctforecast.episodes import resolve_overlaps
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear

__all__ = [
    "QUALITY_COLUMNS",
    "QualityLog",
    "same_day_episodes",
    "dedupe_across_years",
    "close_missing_from_next_return",
    "end_at_eighteen",
    "cut_overlaps",
]

QUALITY_COLUMNS = ("child", "rule", "start", "end", "detail")
REPEATED = "episode repeated across collection years: latest kept"
LOST = "open at year end, missing from the next return: closed"
SHOWN_AGAIN = "open at year end, missing from the next return, shown again later: kept open"
CODES_CHANGED = "episode's PLACE codes differ between returns: latest kept"
AGED_OUT = "episode past the 18th birthday: ended on it"
SAME_DAY_DUPLICATE = "same-day duplicate (same PLACE and provider): one episode kept"
#: Rules logged but not warned about: repeated records are how yearly returns work.
QUIET_RULES = frozenset({REPEATED})


@dataclass
class QualityLog:
    """Every rule application (a row of ``SSDA903Data.quality``) and, by rule,
    the short phrases the one warning quotes as examples."""

    rows: list[dict[str, object]] = field(default_factory=list)
    frames: list[pd.DataFrame] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(
        self, child: object, rule: str, start: object, end: object, detail: str, phrase: str = ""
    ) -> None:
        self.rows.append(
            {"child": child, "rule": rule, "start": start, "end": end, "detail": detail}
        )
        if phrase:
            self.examples.setdefault(rule, []).append(phrase)

    def add_many(self, entries: pd.DataFrame) -> None:
        """Many applications at once (columns :data:`QUALITY_COLUMNS`), unquoted."""
        self.frames.append(entries[list(QUALITY_COLUMNS)])

    def frame(self) -> pd.DataFrame:
        parts = [f for f in [*self.frames, pd.DataFrame(self.rows)] if len(f)]
        if not parts:
            return pd.DataFrame(columns=list(QUALITY_COLUMNS))
        return pd.concat(parts, ignore_index=True)[list(QUALITY_COLUMNS)]


def same_day_episodes(eps: pd.DataFrame, log: QualityLog, *, where: str) -> pd.DataFrame:
    """Episodes of one child starting the same day within one return.

    Different PLACE or PLACE_PROVIDER codes: an error naming the child, the
    date, the codes and the rows (no rule can tell which placement held,
    even when both codes map to the same placement type).  The same codes:
    one episode, the one with the latest end (an open one first).
    """
    key = ["collection", "child", "start"]
    same = eps[eps.duplicated(subset=key, keep=False)]
    if same.empty:
        return eps
    conflicts, drop = [], []
    for (_, c, s), g in same.groupby(key, sort=True, dropna=False):
        codes = sorted(set(zip(g["place"], g["provider"], strict=True)))
        if len(codes) > 1:
            listing = ", ".join(
                f"{p}/{q} ({src})"
                for p, q, src in zip(g["place"], g["provider"], g["source"], strict=True)
            )
            conflicts.append(f"child {c} on {pd.Timestamp(s):%d/%m/%Y}: {listing}")
            continue
        open_ = g.index[g["end"].isna().to_numpy()]
        keep = open_[0] if len(open_) else g["end"].idxmax()
        for idx in g.index.difference([keep]):
            drop.append(idx)
            log.add(
                c,
                SAME_DAY_DUPLICATE,
                s,
                eps.at[idx, "end"],
                f"{eps.at[idx, 'source']} repeats {eps.at[keep, 'source']}",
                f"child {c} same-day duplicate {pd.Timestamp(s).date()}",
            )
    if conflicts:
        raise DataValidationError(
            f"{len(conflicts)} child(ren) have two episodes starting on the same day with different "
            f"PLACE or PLACE_PROVIDER codes, which no rule can settle: {'; '.join(conflicts[:20])}"
            f"{' ...' if len(conflicts) > 20 else ''}. Correct the return: keep the placement "
            "that held from that day",
            where=where,
        )
    return eps.drop(index=drop)


def close_missing_from_next_return(
    eps: pd.DataFrame, years: list[int], log: QualityLog
) -> pd.DataFrame:
    """Rule 4: an episode open at the end of collection year Y whose child is
    missing from the next return is closed at the end of Y (DEC 1 April), and
    never before its DECOM: an episode that starts after Y's end (a row that
    does not fit its return) closes at the end of the year it started in.
    An episode shown again in a later return stays open, and is logged."""
    out = eps.copy()
    last_seen = eps.groupby(["child", "start"])["collection"].transform("max")
    for y, y_next in zip(years, years[1:], strict=False):
        open_y = out[(out["collection"] == y) & out["end"].isna()]
        in_next = set(out.loc[out["collection"] == y_next, "child"])
        lost = open_y[~open_y["child"].isin(in_next)]
        label = FinancialYear(y_next).label
        for idx, r in lost.iterrows():
            if last_seen[idx] > y_next:
                log.add(
                    r.child,
                    SHOWN_AGAIN,
                    r.start,
                    pd.NaT,
                    f"absent from collection {label}",
                    f"child {r.child} missing from {label}, shown again later",
                )
                continue
            close_year = max(y, FinancialYear.containing(r.start).start_year)
            closed = pd.Timestamp(year=close_year + 1, month=4, day=1)
            out.at[idx, "end"] = closed
            out.at[idx, "rec"] = "LOST"
            log.add(
                r.child,
                LOST,
                r.start,
                closed,
                f"absent from collection {label}",
                f"child {r.child} open at 31 March {close_year + 1}"
                + ("" if close_year == y else f" (return {FinancialYear(y).label})"),
            )
    return out


def dedupe_across_years(eps: pd.DataFrame, log: QualityLog) -> pd.DataFrame:
    """Rule 1: the same episode (CHILD, DECOM) in several collection years is
    one episode, the latest year's record.  Repeats are logged quietly; a
    later record with other PLACE or PLACE_PROVIDER codes (a correction, or a
    mistake) is logged and warned about."""
    latest = eps.groupby(["child", "start"])["collection"].transform("max")
    older = eps["collection"] < latest
    labels = {y: FinancialYear(int(y)).label for y in eps.loc[older, "collection"].unique()}
    repeated = eps.loc[older, ["child", "start", "end"]].assign(
        rule=REPEATED, detail=["collection " + labels[y] for y in eps.loc[older, "collection"]]
    )
    log.add_many(repeated)
    codes = eps["place"] + "/" + eps["provider"]
    latest_codes = codes.where(~older).groupby([eps["child"], eps["start"]]).transform("first")
    changed = older & (codes != latest_codes)
    for idx in eps.index[changed.to_numpy()]:
        c, s = eps.at[idx, "child"], eps.at[idx, "start"]
        was, now, label = codes[idx], latest_codes[idx], labels[eps.at[idx, "collection"]]
        log.add(
            c,
            CODES_CHANGED,
            s,
            eps.at[idx, "end"],
            f"{was} in {label}, {now} later",
            f"child {c} episode from {s.date()}: {was} in {label}, {now} later",
        )
    return eps[~older]


def end_at_eighteen(
    eps: pd.DataFrame, observed_to: pd.Timestamp, log: QualityLog, *, where: str
) -> pd.DataFrame:
    """Rule 3: an episode running past the child's 18th birthday ends on it;
    an episode starting on or after it is an error."""
    eighteen = eps["dob"] + pd.DateOffset(years=18)
    over = eps["start"] >= eighteen
    if over.any():
        rows = eps.loc[over]
        raise DataValidationError(
            "episode(s) start on or after the child's 18th birthday: "
            + ", ".join(
                f"child {r.child} {r.start.date()} ({r.source})"
                for r in rows.head(10).itertuples(index=False)
            )
            + "; correct DECOM or DOB",
            where=where,
        )
    limit = observed_to + pd.Timedelta(days=1)
    past = (eps["end"].fillna(limit) > eighteen) & (eighteen <= limit)
    out = eps.copy()
    for idx in eps.index[past.to_numpy()]:
        log.add(
            eps.at[idx, "child"],
            AGED_OUT,
            eps.at[idx, "start"],
            eighteen[idx],
            "aged out",
            f"child {eps.at[idx, 'child']} reached 18 on {eighteen[idx].date()}",
        )
        out.at[idx, "end"] = eighteen[idx]
        out.at[idx, "rec"] = "AGE18"
    return out


def cut_overlaps(eps: pd.DataFrame, log: QualityLog, *, where: str) -> pd.DataFrame:
    """Rule 2: an episode overlapping the child's next one is cut at its start
    (:func:`sctforecast.episodes.resolve_overlaps`; same-day episodes were
    settled by :func:`same_day_episodes`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reader gives one warning for every rule
        out, issues = resolve_overlaps(
            eps,
            child="child",
            start="start",
            end="end",
            placement="placement_type",
            same_day=("place", "provider"),
            where=where,
            strict=False,
        )
    for r in issues.itertuples(index=False):
        log.add(
            r.child,
            r.rule,
            r.start,
            r.end,
            r.detail,
            f"child {r.child} episode from {pd.Timestamp(r.start).date()}: {r.detail}",
        )
    return out
