"""Rules for messy episode data shared by the cost model and the SSDA903 reader.

Episodes are half-open intervals ``[start, end)``: in SSDA903 an episode's
ceased date (DEC) is the first day of the next episode (DECOM), so a child is
counted in one placement per day.  A blank end means the episode is open.

Overlap rule (documented, with a :class:`DataQualityWarning` naming the
child and dates): within one child, when an episode starts before the
previous one has ended, the previous episode is cut at the new start date:
the later-starting placement holds from its first day.  An exact duplicate
(same start, end and placement) is dropped, and of two episodes starting the
same day in the same placement the longer is kept.  Two episodes of one child
that start on the same day in *different* placements cannot be settled by any
rule and raise :class:`DataValidationError` listing every such child.  What
"the same placement" means is the caller's: the placement type by default, the
SSDA903 ``PLACE`` and ``PLACE_PROVIDER`` codes for the reader (``same_day=``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from sctforecast.errors import DataQualityWarning, DataValidationError

__all__ = ["resolve_overlaps"]


def resolve_overlaps(
    frame: pd.DataFrame,
    *,
    child: str = "child",
    start: str = "start",
    end: str = "end",
    placement: str = "placement_type",
    same_day: Sequence[str] | None = None,
    where: str = "episodes",
    strict: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the overlap rule; return (clean episodes, issues table).

    ``issues`` has one row per rule applied: child, rule, dates, detail.
    ``same_day`` names the columns that identify a placement for the
    duplicate and same-day rules (default: ``placement`` alone).
    With ``strict=True`` any overlap or duplicate raises instead of warning.
    """
    ident = list(same_day) if same_day is not None else [placement]
    f = frame.copy()
    f[start] = pd.to_datetime(f[start])
    f[end] = pd.to_datetime(f[end])
    bad = f[f[end].notna() & (f[end] < f[start])]
    if len(bad):
        listing = "; ".join(
            f"child {r[child]} {r[start].date()} to {r[end].date()}"
            for _, r in bad.head(10).iterrows()
        )
        raise DataValidationError(
            f"{len(bad)} episode(s) end before they start ({listing}); correct the dates in the source"
        )
    f = f.sort_values([child, start, end], kind="stable", na_position="last")
    issues: list[dict[str, object]] = []
    # exact duplicates
    dup = f.duplicated(subset=[child, start, end, *ident], keep="first")
    for _, r in f[dup].iterrows():
        issues.append(
            {
                "child": r[child],
                "rule": "duplicate episode dropped",
                "start": r[start],
                "end": r[end],
                "detail": f"{'/'.join(str(r[c]) for c in ident)} repeated",
            }
        )
    f = f[~dup]
    # same start, different placement: no rule can tell which held
    same = f[f.duplicated(subset=[child, start], keep=False)]
    if len(same):
        conflicts = []
        for (c, s), g in same.groupby([child, start], sort=True):
            codes = ["/".join(str(v) for v in row) for row in g[ident].itertuples(index=False)]
            if len(set(codes)) > 1:
                conflicts.append(f"child {c} on {pd.Timestamp(s).date()}: {', '.join(codes)}")
            else:  # same placement, different end: keep the longest
                open_ = g.index[g[end].isna().to_numpy()]
                keep = open_[0] if len(open_) else g[end].idxmax()
                for idx in g.index.difference([keep]):
                    issues.append(
                        {
                            "child": c,
                            "rule": "same-day duplicate with another end dropped",
                            "start": s,
                            "end": f.at[idx, end],
                            "detail": "/".join(str(g.at[idx, c]) for c in ident),
                        }
                    )
                f = f.drop(index=g.index.difference([keep]))
        if conflicts:
            raise DataValidationError(
                f"{len(conflicts)} child(ren) have two placements starting on the same day, which no rule "
                f"can settle: {'; '.join(conflicts[:20])}. Correct the source episodes",
                where=where,
            )
    # cut earlier episodes at the next start
    next_start = f.groupby(child)[start].shift(-1)
    overlap = next_start.notna() & (f[end].isna() | (next_start < f[end]))
    for idx in f.index[overlap.to_numpy()]:
        issues.append(
            {
                "child": f.at[idx, child],
                "rule": "overlap: earlier episode cut at next start",
                "start": f.at[idx, start],
                "end": f.at[idx, end],
                "detail": f"cut to end {next_start[idx].date()}",
            }
        )
    f.loc[overlap, end] = next_start[overlap]
    table = pd.DataFrame(issues, columns=["child", "rule", "start", "end", "detail"])
    if len(table):
        summary = "; ".join(
            f"child {r.child} {pd.Timestamp(r.start).date()}: {r.rule}"
            for r in table.head(10).itertuples()
        )
        more = f" and {len(table) - 10} more" if len(table) > 10 else ""
        msg = f"{where}: {len(table)} episode rule(s) applied ({summary}{more})"
        if strict:
            raise DataValidationError(
                msg + "; strict mode does not apply rules, correct the source"
            )
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    return f.reset_index(drop=True), table
