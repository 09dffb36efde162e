"""Read and validate SSDA903 returns: header and episodes files.

Layouts: one pair of files (``header.csv``, ``episodes.csv``; ``.xlsx`` too), or
a folder with one subfolder per collection year, each holding a pair - the
layout authorities keep.  Subfolders may be named by the year's start
(``2017``: 1 April 2017 to 31 March 2018), its end (``2018``), as a range
(``2017-18``, ``2017_18``, ``2017-2018``) or ``FY18``: each return's collection
year is read from its own dates (:mod:`sctforecast.ssda903.years`), and a name
that disagrees gets a :class:`DataQualityWarning` naming the folder and the
year used.  Dates are DfE style ``dd/mm/yyyy`` (ISO ``yyyy-mm-dd`` too).

Rules for messy returns, each applied with a :class:`DataQualityWarning`
naming the children and dates (``strict=True`` raises instead), and listed in
``SSDA903Data.quality``:

1. the same episode (CHILD, DECOM) in several collection years is one episode:
   the latest year's record wins (logged, not warned: yearly returns repeat
   open episodes by design);
2. overlapping episodes of one child: the earlier is cut at the later one's
   start (:mod:`sctforecast.episodes`).  Two episodes of one child starting
   the same day in one return with different PLACE or PLACE_PROVIDER codes
   are an error (strict or not), even when the codes map to the same
   placement type; identical ones (same PLACE and provider) are one episode;
3. an episode running past the child's 18th birthday ends on that birthday;
4. an episode open at the end of one collection year whose child is missing
   from the next return is taken to have ended at the end of that year
   (DEC 1 April), never before its DECOM; one shown again in a later return
   stays open (logged).

Episodes whose dates do not fit their return's year are kept as written and
logged; a year with no return between two others is reported.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.errors import DataQualityWarning, DataValidationError
from sctforecast.periods import FinancialYear
from sctforecast.ssda903 import rules
from sctforecast.ssda903.codes import PlacementMapping
from sctforecast.ssda903.files import (
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    ReturnFiles,
    locate_returns,
    read_return,
)
from sctforecast.ssda903.years import choose_years, read_folder_name

__all__ = ["SSDA903Data", "read_ssda903", "HEADER_COLUMNS", "EPISODE_COLUMNS", "AGE_BANDS"]

logger = logging.getLogger(__name__)

AGE_BANDS = (("under 1", 0, 1), ("1-4", 1, 5), ("5-9", 5, 10), ("10-15", 10, 16), ("16-17", 16, 18))
OUTSIDE_YEAR = "dates outside the return's collection year: kept as written"
MISSING_YEAR = "no return for a collection year between two others"
NAME_DISAGREES = "collection year read from the dates, not the folder name"
_EXAMPLES = 5  # examples of each rule quoted in the warning


def age_band(age_years: np.ndarray | pd.Series) -> np.ndarray:
    """Index of the DfE age band (0..4) of each age in years."""
    a = np.asarray(age_years, dtype=float)
    edges = np.array([1, 5, 10, 16])
    return np.searchsorted(edges, a, side="right")


@dataclass(frozen=True)
class SSDA903Data:
    """Validated episodes with placement types, the header, and the data-quality log.

    ``episodes`` columns: child, start (DECOM), end (DEC, blank when open),
    rne, ls, cin, place, provider, rec, source_file, source_row, source
    (``2017-18/episodes.csv:5``), collection (the collection year the record
    came from, e.g. "2017/18"; blank for a single pair of files), dob, uasc,
    placement_type.
    """

    header: pd.DataFrame
    episodes: pd.DataFrame
    quality: pd.DataFrame
    observed_to: pd.Timestamp
    origin: str
    #: The first day the returns observe (1 April of the first collection year):
    #: rates are estimated only from here on, children already in care entering
    #: the exposure on this day.  Returns hold only episodes open during their
    #: year, so nothing that ended before it is seen.
    observed_from: pd.Timestamp | None = None

    def quality_summary(self) -> pd.DataFrame:
        """How many times each rule was applied, and to how many children."""
        if self.quality.empty:
            return pd.DataFrame(columns=["rule", "times", "children"])
        g = self.quality.groupby("rule")
        return pd.DataFrame({"times": g.size(), "children": g["child"].nunique()}).reset_index()

    @property
    def n_children(self) -> int:
        return int(self.episodes["child"].nunique())

    def __repr__(self) -> str:
        return (
            f"<SSDA903Data {self.origin}: {self.n_children} children, {len(self.episodes)} episodes, "
            f"observed {self.observed_from.date() if self.observed_from is not None else '?'} "
            f"to {self.observed_to.date()}, {len(self.quality)} rule applications>"
        )


# --- the steps of read_ssda903, in order ---------------------------------------


def _read_returns(
    returns: list[ReturnFiles], origin: str
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Read every pair, collecting the problems of all of them before raising."""
    frames, problems = [], []
    for ret in returns:
        try:
            frames.append(read_return(ret))
        except DataValidationError as err:
            problems += err.problems
    if problems:  # each problem names its file; the folder heads a list of several
        raise DataValidationError(problems, where=origin if len(problems) > 1 else None)
    return frames


def _infer_years(
    returns: list[ReturnFiles],
    frames: list[tuple[pd.DataFrame, pd.DataFrame]],
    log: rules.QualityLog,
    origin: str,
) -> list[int]:
    """The collection year (start year) of each return, from its dates; notes
    folders whose names disagree, rows that fit no year, and missing years."""
    try:
        choices = choose_years(
            [(read_folder_name(r.name), e) for r, (_, e) in zip(returns, frames, strict=True)]
        )
    except DataValidationError as err:
        raise DataValidationError(err.problems, where=origin) from err
    notes = []
    for ret, (_, eps), c in zip(returns, frames, choices, strict=True):
        logger.info(
            "%s: folder %r read as collection year %s (%s)", origin, ret.name, c.label, c.how
        )
        if c.note:
            notes.append(c.note)
            log.add(None, NAME_DISAGREES, pd.NaT, pd.NaT, c.note)
        outside = eps[eps["source_row"].isin(c.outside_rows)]
        for r in outside.itertuples(index=False):
            log.add(
                r.child,
                OUTSIDE_YEAR,
                r.start,
                r.end,
                f"{r.source} in the {c.label} return",
                f"child {r.child} {r.source} outside {c.label}",
            )
    years = sorted(c.start_year for c in choices)
    for y, y_next in zip(years, years[1:], strict=False):
        for gap in range(y + 1, y_next):
            msg = (
                f"no return for {FinancialYear(gap).label} between {FinancialYear(y).label} and "
                f"{FinancialYear(y_next).label}: episodes that began and ended in it are not seen"
            )
            notes.append(msg)
            log.add(None, MISSING_YEAR, pd.NaT, pd.NaT, msg)
    if notes:
        warnings.warn(f"{origin}: " + "; ".join(notes), DataQualityWarning, stacklevel=3)
    return [c.start_year for c in choices]


def _combine(
    frames: list[tuple[pd.DataFrame, pd.DataFrame]], years: list[int | None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One header (a child's latest record) and all episode records, in year order."""
    order = sorted(range(len(frames)), key=lambda i: (years[i] is not None, years[i] or 0))
    hdr = pd.concat([frames[i][0] for i in order])
    hdr = hdr.drop_duplicates(subset=["child"], keep="last").reset_index(drop=True)
    eps = pd.concat([frames[i][1].assign(collection=years[i]) for i in order], ignore_index=True)
    return hdr, eps


def _map_codes(
    eps: pd.DataFrame, hdr: pd.DataFrame, mapping: PlacementMapping, unknown: str, origin: str
) -> pd.DataFrame:
    """Each episode's placement type (errors list every unknown code and row)."""
    eps = eps.merge(hdr[["child", "dob", "uasc"]], on="child", how="left")
    eps["placement_type"] = mapping.map_codes(
        eps["place"],
        eps["provider"],
        eps["uasc"],
        unknown=unknown,
        where=origin,
        rows=eps["source"],
    ).to_numpy()
    return eps


def _observed_to(eps: pd.DataFrame, years: list[int]) -> pd.Timestamp:
    """The last day observed: the last collection year's 31 March (or a later
    date in the data); for a single pair of files, the 31 March on or after its
    latest date."""
    ends = eps["end"].dropna()
    latest = max(
        eps["start"].max(), ends.max() - pd.Timedelta(days=1) if len(ends) else eps["start"].max()
    )
    year_end = pd.Timestamp(FinancialYear.containing(latest).end)
    if years:
        return max(pd.Timestamp(FinancialYear(max(years)).end), latest)
    return year_end


def _april_on_or_before(t: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(FinancialYear.containing(t).start)


def _observed_from(eps: pd.DataFrame, years: list[int]) -> pd.Timestamp:
    """1 April of the first collection year.  With yearly returns it is the
    first return's year (read from its dates).  For one pair of files it is
    the 1 April on or before the earliest exit from care (an end not followed
    the same day by another episode of the child): a return holds episodes
    open during its window, and earlier moves of children still in care may
    be in it, but exits before the window are not.  Without exits, the
    earliest end; with no episode ended, the latest start."""
    if years:
        return pd.Timestamp(FinancialYear(min(years)).start)
    e = eps.sort_values(["child", "start"])
    next_start = e.groupby("child")["start"].shift(-1)
    exits = e.loc[e["end"].notna() & (next_start != e["end"]), "end"]
    if len(exits):
        return _april_on_or_before(exits.min())
    ends = e["end"].dropna()
    return _april_on_or_before(ends.min() if len(ends) else e["start"].max())


def _given_observed_from(value: object) -> pd.Timestamp:
    try:
        t = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise DataValidationError(
            f"observed_from={value!r} is not a date; give e.g. '2017-04-01'"
        ) from err
    if pd.isna(t):
        raise DataValidationError(f"observed_from={value!r} is not a date; give e.g. '2017-04-01'")
    return t.normalize()


def _report(log: rules.QualityLog, origin: str, strict: bool) -> pd.DataFrame:
    """The quality table, and one warning (or, strict, an error) for the rules
    applied: how often each rule was applied, then examples."""
    qdf = log.frame()
    applied = qdf[~qdf["rule"].isin(rules.QUIET_RULES) & qdf["child"].notna()]
    if len(applied):
        counts = applied.groupby("rule", sort=False).size()
        parts = []
        for rule, n in counts.items():
            shown = log.examples.get(str(rule), [])[:_EXAMPLES]
            more = f" and {n - len(shown)} more" if n > len(shown) else ""
            parts.append(f"{rule} - {n} time(s), e.g. {', '.join(shown)}{more}")
        msg = (
            f"{origin}: {len(applied)} data-quality rule(s) applied to "
            f"{applied['child'].nunique()} child(ren). "
            + "; ".join(parts)
            + ". See SSDA903Data.quality"
        )
        if strict:
            raise DataValidationError(msg + "; strict mode applies no rules: correct the return")
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    return qdf


def read_ssda903(
    path: str | os.PathLike[str] | None = None,
    *,
    header: str | os.PathLike[str] | None = None,
    episodes: str | os.PathLike[str] | None = None,
    strict: bool = False,
    unknown_codes: str = "raise",
    mapping: PlacementMapping | None = None,
    observed_from: str | pd.Timestamp | None = None,
) -> SSDA903Data:
    """Read SSDA903 returns (see the module docs for layouts and rules).

    Parameters
    ----------
    path
        A folder holding ``header.csv`` and ``episodes.csv``, or one subfolder
        per collection year holding them (any naming: the years are read from
        the dates).
    header, episodes
        The two files, instead of ``path``.
    strict
        Raise :class:`DataValidationError` instead of applying a data-quality rule.
    unknown_codes
        ``"raise"`` (default) or ``"other"``: map unknown PLACE codes to
        ``other_settings`` with a warning.
    mapping
        The PLACE / PLACE_PROVIDER mapping (default: the embedded one).
    observed_from
        The first day the returns observe, when you know it better than the
        rule (1 April of the first collection year; for a single pair, the
        1 April on or before its earliest exit from care).
    """
    mapping = mapping or PlacementMapping.default()
    given_from = _given_observed_from(observed_from) if observed_from is not None else None
    origin, returns, by_year = locate_returns(path, header, episodes)
    frames = _read_returns(returns, origin)
    log = rules.QualityLog()
    years: list[int | None] = (
        list(_infer_years(returns, frames, log, origin)) if by_year else [None] * len(frames)
    )
    known = sorted(y for y in years if y is not None)
    hdr, eps = _combine(frames, years)
    eps = rules.same_day_episodes(eps, log, where=origin)
    if by_year:
        eps = rules.close_missing_from_next_return(eps, known, log)
        eps = rules.dedupe_across_years(eps, log)
    eps = _map_codes(eps, hdr, mapping, unknown_codes, origin)
    observed_to = _observed_to(eps, known)
    if given_from is not None and given_from > observed_to:
        raise DataValidationError(
            f"observed_from={observed_from!r} is after the last day observed ({observed_to.date()}); "
            "give the first day the returns observe",
            where=origin,
        )
    eps = rules.end_at_eighteen(eps, observed_to, log, where=origin)
    eps = rules.cut_overlaps(eps, log, where=origin)
    quality = _report(log, origin, strict)
    eps = eps.sort_values(["child", "start"]).reset_index(drop=True)
    labels = {y: FinancialYear(y).label for y in known}
    eps["collection"] = eps["collection"].map(labels).astype(object)
    start = given_from if given_from is not None else _observed_from(eps, known)
    return SSDA903Data(
        header=hdr,
        episodes=eps,
        quality=quality,
        observed_to=pd.Timestamp(observed_to),
        origin=origin,
        observed_from=start,
    )
