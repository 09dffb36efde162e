"""Which collection year each SSDA903 return holds: read from its dates, checked against its name.

A return for collection year Y (1 April Y to 31 March Y+1) holds the episodes
open at some time in Y: every DECOM is on or before 31 March Y+1, and every DEC
falls in Y or is blank.  The dates therefore fix Y as soon as a return holds
one DEC, and bound it below by its latest DECOM.

Folder names are read as hints: ``2017-18``, ``2017_18``, ``2017-2018`` and
``FY2017-18`` name one year; a single year (``2017``, ``FY18``) may name the
year it starts or the year it ends, and the dates choose.  When the dates
cannot choose (no DEC, only old DECOMs), the reading the other folders used
decides, else the year ending 31 March of the named year (the DfE's naming of
the collection), with a warning saying which reading was taken.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear

__all__ = ["NameReading", "YearChoice", "read_folder_name", "choose_years"]

_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-_/ ]\s*(\d{4}|\d{2})(?!\d)")
_FY = re.compile(r"FY\s*[-_]?\s*(\d{4}|\d{2})(?!\d)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class NameReading:
    """What a folder name says about its collection year.

    ``years`` are the start years the name can mean, the preferred first;
    ``kind`` is ``range`` (one year, e.g. 2017-18), ``single`` (a bare year or
    FY18: its start or its end), or ``none`` (no year in the name).
    """

    name: str
    kind: str
    years: tuple[int, ...]
    problem: str | None = None


@dataclass(frozen=True)
class YearChoice:
    """The collection year taken for one return, and why."""

    start_year: int
    how: str  # "dates", "name", "convention", "default", "earliest"
    note: str | None  # a warning to give, or None
    outside_rows: tuple[int, ...]  # source rows whose dates do not fit the year

    @property
    def label(self) -> str:
        return FinancialYear(self.start_year).label


def read_folder_name(name: str) -> NameReading:
    """The collection years a folder name can mean (see the module docs)."""
    m = _RANGE.search(name)
    if m:
        start, second = int(m.group(1)), m.group(2)
        end = int(second) if len(second) == 4 else (start // 100) * 100 + int(second)
        if len(second) == 2 and end < start:
            end += 100
        if end != start + 1:
            return NameReading(
                name,
                "none",
                (),
                f"folder {name!r}: {start} is followed by {end}, not {start + 1}; "
                "its year is read from its dates",
            )
        return NameReading(name, "range", (start,))
    m = _FY.search(name)
    if m:
        text = m.group(1)
        end = int(text) if len(text) == 4 else 2000 + int(text)
        return NameReading(name, "single", (end - 1, end))  # FY18: the year ending March 2018
    m = _YEAR.search(name)
    if m:
        y = int(m.group(1))
        return NameReading(name, "single", (y - 1, y))  # "2018": the collection ending March 2018
    return NameReading(name, "none", ())


def _fy(dates: np.ndarray) -> np.ndarray:
    """Start year of the financial year of each date (datetime64)."""
    d = pd.DatetimeIndex(dates)
    return np.where(d.month >= 4, d.year, d.year - 1)


def _fit_counts(starts: pd.Series, ends: pd.Series, candidates: np.ndarray) -> np.ndarray:
    """For each candidate year, how many episodes fit a return for it."""
    s_fy = _fy(starts.to_numpy("datetime64[ns]"))
    has_end = ends.notna().to_numpy()
    e_fy = np.where(has_end, _fy(ends.fillna(starts).to_numpy("datetime64[ns]")), 0)
    fits = (s_fy[None, :] <= candidates[:, None]) & (
        ~has_end[None, :] | (e_fy[None, :] == candidates[:, None])
    )
    return fits.sum(axis=1)


def _dates_text(starts: pd.Series, ends: pd.Series) -> str:
    e = ends.dropna()
    dec = (
        f"DEC dates {e.min():%d/%m/%Y} to {e.max():%d/%m/%Y}"
        if len(e)
        else "no DEC dates (every episode open)"
    )
    return f"{dec}, latest DECOM {starts.max():%d/%m/%Y}"


def _by_dates(reading: NameReading, starts: pd.Series, ends: pd.Series) -> list[int]:
    """The years that fit the most episodes, ties kept (with every episode open,
    the latest DECOM's year and every later one)."""
    s_fy = _fy(starts.to_numpy("datetime64[ns]"))
    e = ends.dropna()
    hi = max([int(s_fy.max()), *reading.years])
    if len(e):
        hi = max(hi, int(_fy(e.to_numpy("datetime64[ns]")).max()))
    candidates = np.arange(int(s_fy.min()), hi + 2)
    counts = _fit_counts(starts, ends, candidates)
    return [int(y) for y in candidates[counts == counts.max()]]


def _choose_one(
    reading: NameReading, starts: pd.Series, ends: pd.Series, rows: np.ndarray
) -> YearChoice | None:
    """The year of one return, or None when the dates and the name leave a
    single-year name open (settled later by the other folders' convention)."""
    best = _by_dates(reading, starts, ends)
    named = [y for y in reading.years if y in best]
    note: str | None
    if reading.kind == "range" and named:
        year, how, note = named[0], "name", None
    elif reading.kind == "single" and len(named) == 1:
        year, how, note = named[0], "dates", None
    elif reading.kind == "single" and len(named) > 1:
        return None
    else:
        year = best[0]  # with only open episodes every later year fits too: take the earliest
        label = FinancialYear(year).label
        how = "dates" if len(best) == 1 else "earliest"
        said = (
            f"is named for {' or '.join(FinancialYear(y).label for y in reading.years)}"
            if reading.years
            else "has no year in its name"
        )
        fits = f"place it in {label}" if len(best) == 1 else f"fit {label} or any later year"
        note = (
            f"folder {reading.name!r} {said} but its dates ({_dates_text(starts, ends)}) "
            f"{fits}; read as {label}"
        )
        if not reading.years and len(best) == 1:
            note = None  # no name to disagree with: the dates decide quietly
        if reading.problem:
            note = f"{reading.problem}; read as {label}"
    fit = _fit_mask(starts, ends, year)
    return YearChoice(year, how, note, tuple(int(r) for r in rows[~fit]))


def _fit_mask(starts: pd.Series, ends: pd.Series, year: int) -> np.ndarray:
    s_fy = _fy(starts.to_numpy("datetime64[ns]"))
    has_end = ends.notna().to_numpy()
    e_fy = np.where(has_end, _fy(ends.fillna(starts).to_numpy("datetime64[ns]")), year)
    return (s_fy <= year) & (e_fy == year)


def choose_years(
    returns: list[tuple[NameReading, pd.DataFrame]],
) -> list[YearChoice]:
    """The collection year of each return (episodes with ``start``, ``end``,
    ``source_row``); raises :class:`DataValidationError` naming both folders
    when two returns hold the same year."""
    chosen: list[YearChoice | None] = [
        _choose_one(r, e["start"], e["end"], e["source_row"].to_numpy()) for r, e in returns
    ]
    # single-year names the dates could not settle: follow the other folders
    readings = Counter(
        "start" if c.start_year == r.years[1] else "end"
        for (r, _), c in zip(returns, chosen, strict=True)
        if c is not None and r.kind == "single" and c.start_year in r.years
    )
    convention = readings.most_common(1)[0][0] if len(readings) == 1 else None
    out: list[YearChoice] = []
    for (r, e), c in zip(returns, chosen, strict=True):
        if c is not None:
            out.append(c)
            continue
        if convention is not None:
            year = r.years[1] if convention == "start" else r.years[0]
            how, note = "convention", None
        else:
            year, how = r.years[0], "default"
            note = (
                f"folder {r.name!r}: its dates ({_dates_text(e['start'], e['end'])}) fit both "
                f"{FinancialYear(r.years[0]).label} and {FinancialYear(r.years[1]).label}, and no "
                f"other folder settles the naming; read the name as the year ending 31 March "
                f"{r.years[0] + 1} ({FinancialYear(year).label}). Rename the folder "
                f"{FinancialYear(year).start_year}-{(year + 1) % 100:02d} if that is right"
            )
        fit = _fit_mask(e["start"], e["end"], year)
        out.append(YearChoice(year, how, note, tuple(int(x) for x in e["source_row"][~fit])))
    seen: dict[int, str] = {}
    problems = []
    for (r, _), c in zip(returns, out, strict=True):
        if c.start_year in seen:
            problems.append(
                f"folders {seen[c.start_year]!r} and {r.name!r} both hold collection year "
                f"{c.label} (1 April {c.start_year} to 31 March {c.start_year + 1}); keep one "
                "return per year"
            )
        else:
            seen[c.start_year] = r.name
    if problems:
        raise DataValidationError(problems)
    return out
