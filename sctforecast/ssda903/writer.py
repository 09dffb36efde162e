"""Write episodes as SSDA903 returns, optionally with the mess real returns have.

:func:`write_ssda903` writes one pair of files, or one folder per collection
year holding the episodes open in that year (as authorities keep them), named
``2017-18``, ``2017`` or ``2018``.  Two kinds of mess are options:
``missing_open`` leaves children who are still in care out of a return, and
``overlaps`` writes moves as overlapping episodes.  :func:`messy_ssda903`
simulates and writes in one call with every kind of mess on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sctforecast._io import atomic_directory, atomic_file
from sctforecast.errors import ConfigError
from sctforecast.periods import FinancialYear
from sctforecast.ssda903.synthetic import SyntheticTruth, synthetic_ssda903

__all__ = ["FOLDER_NAMES", "write_ssda903", "messy_ssda903"]

#: How yearly folders are named, for the collection year 1 April 2017 to 31 March 2018.
FOLDER_NAMES = {"range": "2017-18", "start": "2017", "end": "2018"}
#: Of the children left out of a return (``missing_open``), the share never shown again.
_GONE_FOR_GOOD = 0.5
#: Overlapping episodes end this many days (at most) after the next one starts.
_MAX_OVERLAP_DAYS = 14


def _folder_name(year: int, naming: str) -> str:
    if naming == "start":
        return str(year)
    if naming == "end":
        return str(year + 1)
    return f"{year}-{(year + 1) % 100:02d}"


def _dates(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col.replace("", None), format="%d/%m/%Y")


def _check(
    by_collection_year: bool,
    folder_names: str,
    missing_open: float,
    overlaps: float,
    first_year_end: int | None,
) -> None:
    problems = []
    if folder_names not in FOLDER_NAMES:
        problems.append(
            f"folder_names must be one of {', '.join(map(repr, FOLDER_NAMES))}, got {folder_names!r}"
        )
    for name, v in (("missing_open", missing_open), ("overlaps", overlaps)):
        if not 0.0 <= v <= 1.0:
            problems.append(f"{name} is a share between 0 and 1, got {v!r}")
    if not by_collection_year:
        used = [
            n
            for n, on in (
                ("folder_names", folder_names != "range"),
                ("missing_open", missing_open > 0),
                ("first_year_end", first_year_end is not None),
            )
            if on
        ]
        if used:
            problems.append(
                f"{', '.join(used)} only apply to yearly returns: pass by_collection_year=True"
            )
    if problems:
        raise ConfigError(problems, where="write_ssda903")


def _overlap_moves(
    header: pd.DataFrame, episodes: pd.DataFrame, share: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Write ``share`` of the moves (an episode ending the day the child's next
    starts) with the earlier episode's DEC 1 to 14 days after the next DECOM,
    never past the child's 18th birthday or the last date in the data."""
    start, end = _dates(episodes["DECOM"]), _dates(episodes["DEC"])
    order = np.lexsort((start.to_numpy(), episodes["CHILD"].to_numpy()))
    child = episodes["CHILD"].to_numpy()[order]
    s, e = start.to_numpy()[order], end.to_numpy()[order]
    same_child = np.append(child[1:] == child[:-1], False)
    next_start = np.append(s[1:], np.datetime64("NaT"))
    is_move = same_child & (e == next_start)
    chosen = is_move & (rng.random(len(order)) < share)
    days = rng.integers(1, _MAX_OVERLAP_DAYS + 1, size=len(order))
    dob = _dates(header.set_index("CHILD")["DOB"]).reindex(child).to_numpy()
    eighteen = (pd.DatetimeIndex(dob) + pd.DateOffset(years=18)).to_numpy()
    last = max(start.max(), end.max())
    new_end = e + days.astype("timedelta64[D]")
    fits = (new_end < eighteen) & (new_end <= np.datetime64(last))
    out = episodes.copy()
    rows = order[chosen & fits]
    out.loc[out.index[rows], "DEC"] = [
        pd.Timestamp(d).strftime("%d/%m/%Y") for d in new_end[chosen & fits]
    ]
    return out


def _first_year(episodes: pd.DataFrame, start: pd.Series, end: pd.Series) -> int:
    """The first collection year: the simulation window's (``attrs["window_start"]``),
    else the year of the first exit from care (an end not followed that day by
    another episode of the child), else of the earliest date."""
    if "window_start" in episodes.attrs:
        return FinancialYear.containing(episodes.attrs["window_start"]).start_year
    frame = pd.DataFrame({"child": episodes["CHILD"], "start": start, "end": end})
    frame = frame.sort_values(["child", "start"])
    next_start = frame.groupby("child")["start"].shift(-1)
    exits = frame.loc[frame["end"].notna() & (next_start != frame["end"]), "end"]
    first = exits.min() if len(exits) else min(start.min(), end.min())
    return FinancialYear.containing(first).start_year


def _omit_missing(
    years: list[int],
    start: pd.Series,
    end: pd.Series,
    children: pd.Series,
    share: float,
    rng: np.random.Generator,
) -> dict[int, set[str]]:
    """For each year, the children left out of its return: each child open at
    the end of the year before is left out with chance ``share``; half of them
    are never shown again."""
    omitted: dict[int, set[str]] = {y: set() for y in years}
    gone: set[str] = set()
    for y in years[1:]:
        prev_end = pd.Timestamp(FinancialYear(y - 1).end)
        open_at = (start <= prev_end) & (end.isna() | (end > prev_end))
        candidates = sorted(set(children[open_at]) - gone)
        picked = rng.random(len(candidates)) < share
        for_good = rng.random(len(candidates)) < _GONE_FOR_GOOD
        for c, p, g in zip(candidates, picked, for_good, strict=True):
            if p:
                omitted[y].add(c)
                if g:
                    gone.add(c)
        omitted[y] |= gone
    return omitted


def write_ssda903(
    header: pd.DataFrame,
    episodes: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    by_collection_year: bool = False,
    folder_names: Literal["range", "start", "end"] = "range",
    missing_open: float = 0.0,
    overlaps: float = 0.0,
    first_year_end: int | None = None,
    random_seed: int | np.random.Generator = 0,
) -> Path:
    """Write ``header.csv`` and ``episodes.csv``, or one subfolder per collection year.

    Parameters
    ----------
    header, episodes
        DfE columns, as :func:`~sctforecast.ssda903.synthetic_ssda903` returns them.
    folder
        Where to write (created if needed; each file and year folder is
        replaced atomically).
    by_collection_year
        One subfolder per collection year holding the episodes open at some
        time in it (DEC blank when still open at its 31 March), as authorities
        keep them.  The first year is the simulation window's first (not the
        year a long-stayer's episode began); the last holds the latest date.
    folder_names
        ``"range"`` (``2017-18``), ``"start"`` (``2017``) or ``"end"``
        (``2018``) for the year 1 April 2017 to 31 March 2018.
    missing_open
        Share of the children open at a year end left out of the next return
        although still in care; half of them are never shown again, the others
        come back in later returns while in care.
    overlaps
        Share of the moves written as overlapping episodes: the earlier
        episode's DEC 1 to 14 days after the next DECOM.
    first_year_end
        The first collection written, by the year it ends (``2017`` for
        2016-17), instead of the window's first year.
    random_seed
        Chooses the children left out and the moves overlapped.
    """
    _check(by_collection_year, folder_names, missing_open, overlaps, first_year_end)
    rng = np.random.default_rng(random_seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    start, end = _dates(episodes["DECOM"]), _dates(episodes["DEC"])
    last_y = FinancialYear.containing(max(start.max(), end.max())).start_year
    first_y = (
        first_year_end - 1 if first_year_end is not None else _first_year(episodes, start, end)
    )
    if overlaps > 0:
        episodes = _overlap_moves(header, episodes, overlaps, rng)
        end = _dates(episodes["DEC"])
    if not by_collection_year:
        for name, frame in (("header.csv", header), ("episodes.csv", episodes)):
            with atomic_file(out / name) as tmp:
                frame.to_csv(tmp, index=False)
        return out
    years = list(range(first_y, last_y + 1))
    omitted = _omit_missing(years, start, end, episodes["CHILD"], missing_open, rng)
    for y in years:
        y0, y1 = pd.Timestamp(FinancialYear(y).start), pd.Timestamp(FinancialYear(y).end)
        in_year = (start <= y1) & (end.isna() | (end >= y0)) & ~episodes["CHILD"].isin(omitted[y])
        if not in_year.any():
            continue
        ep = episodes[in_year].copy()
        still_open = end[in_year].isna() | (end[in_year] > y1)
        ep.loc[still_open.to_numpy(), ["DEC", "REC"]] = ""
        with atomic_directory(out / _folder_name(y, folder_names)) as d:
            header[header["CHILD"].isin(ep["CHILD"])].to_csv(d / "header.csv", index=False)
            ep.to_csv(d / "episodes.csv", index=False)
    return out


def messy_ssda903(
    folder: str | os.PathLike[str],
    *,
    random_seed: int = 0,
    years: int = 8,
    initial_children: int = 800,
    truth: SyntheticTruth | None = None,
    start: str = "2016-04-01",
    entry_trend: float = -0.05,
    exit_trend: float = 0.03,
    rate_shift: tuple[str, float, float] | Literal["middle"] | None = "middle",
    rate_volatility: float = 0.02,
    history_years: float = 10.0,
    folder_names: Literal["range", "start", "end"] = "start",
    missing_open: float = 0.03,
    overlaps: float = 0.05,
) -> SyntheticTruth:
    """Simulate and write yearly returns with every kind of mess on; return the truth.

    Drifting rates (a trend, a step change, a random walk), children in care
    at the start with histories up to ``history_years`` long, folders named by
    the year's start, children left out of returns while in care, and
    overlapping moves.  ``rate_shift="middle"`` puts a step (entries x1.25,
    exits x0.85) at the start of the middle collection year; ``None`` turns it
    off.  The options are those of :func:`synthetic_ssda903` and
    :func:`write_ssda903`; ``random_seed`` seeds both.
    """
    if rate_shift == "middle":
        when = pd.Timestamp(start) + pd.DateOffset(years=years // 2)
        rate_shift = (str(when.date()), 1.25, 0.85)
    header, episodes, used = synthetic_ssda903(
        years=years,
        initial_children=initial_children,
        truth=truth,
        start=start,
        random_seed=random_seed,
        entry_trend=entry_trend,
        exit_trend=exit_trend,
        rate_shift=rate_shift,  # type: ignore[arg-type]
        rate_volatility=rate_volatility,
        history_years=history_years,
    )
    write_ssda903(
        header,
        episodes,
        folder,
        by_collection_year=True,
        folder_names=folder_names,
        missing_open=missing_open,
        overlaps=overlaps,
        random_seed=random_seed,
    )
    return used
