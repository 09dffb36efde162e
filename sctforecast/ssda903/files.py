"""Find SSDA903 returns on disk and read each header and episodes pair.

A return is a pair of files named ``header`` and ``episodes`` (``.csv`` or
``.xlsx``, any case).  ``read_ssda903`` accepts a folder holding one pair, or a
folder whose subfolders each hold one (one per collection year, whatever the
subfolder is called), or the two files named directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.errors import DataValidationError

__all__ = ["HEADER_COLUMNS", "EPISODE_COLUMNS", "ReturnFiles", "locate_returns", "read_return"]

HEADER_COLUMNS = ("CHILD", "SEX", "DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
_SUFFIXES = (".csv", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class ReturnFiles:
    """One return: its folder name ("" for files named directly) and its two files."""

    name: str
    header: Path
    episodes: Path


def _find(folder: Path, stem: str) -> Path | None:
    hits = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.stem.lower() == stem and p.suffix.lower() in _SUFFIXES
    )
    return hits[0] if hits else None


def _pair(folder: Path) -> tuple[Path, Path] | None:
    h, e = _find(folder, "header"), _find(folder, "episodes")
    return (h, e) if h is not None and e is not None else None


def locate_returns(
    path: str | os.PathLike[str] | None,
    header: str | os.PathLike[str] | None,
    episodes: str | os.PathLike[str] | None,
) -> tuple[str, list[ReturnFiles], bool]:
    """(origin, returns, by_year): the returns to read, and whether they are
    yearly returns in subfolders."""
    if path is None:
        if header is None or episodes is None:
            raise DataValidationError("give a folder, or both header= and episodes= files")
        return str(episodes), [ReturnFiles("", Path(header), Path(episodes))], False
    folder = Path(path)
    if not folder.exists():
        raise DataValidationError(f"{folder}: no such folder; point at the SSDA903 files")
    if not folder.is_dir():
        raise DataValidationError(
            f"{folder}: expected a folder holding header.csv and episodes.csv"
        )
    pair = _pair(folder)
    if pair is not None:
        return str(folder), [ReturnFiles("", *pair)], False
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    found = [(sub, _pair(sub)) for sub in subs]
    returns = [ReturnFiles(sub.name, *pair) for sub, pair in found if pair is not None]
    if not returns:
        raise DataValidationError(
            f"{folder}: found neither header.csv and episodes.csv nor year subfolders "
            "(e.g. 2022-23/) holding them"
        )
    return str(folder), returns, True


_FIRST_DAY, _LAST_DAY = pd.Timestamp("1900-04-01"), pd.Timestamp("2201-03-31")


def _parse_dates(
    col: pd.Series, *, file: str, column: str, rows: pd.Series, problems: list[str]
) -> pd.Series:
    text = col.astype(str).str.strip()
    blank = (text == "") | text.str.lower().isin(["nan", "none", "nat"])
    out = pd.to_datetime(text.where(~blank), format="%d/%m/%Y", errors="coerce")
    # ISO dates, and Excel date cells read as text ("2020-04-01 00:00:00")
    left = out.isna() & ~blank
    if left.any():
        iso = text[left][text[left].str.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00:00)?")]
        out[iso.index] = pd.to_datetime(iso.str[:10], format="%Y-%m-%d", errors="coerce")
    bad = out.isna() & ~blank
    if bad.any():
        listing = ", ".join(
            f"row {r} ({v!r})" for r, v in zip(rows[bad][:10], text[bad][:10], strict=True)
        )
        more = f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
        problems.append(
            f"{file}, column {column}: unparseable date(s) at {listing}{more}; write dates as dd/mm/yyyy"
        )
    # the financial years the library holds (FinancialYear: 1900/01 to 2200/01)
    far = out.notna() & ((out < _FIRST_DAY) | (out > _LAST_DAY))
    if far.any():
        listing = ", ".join(
            f"row {r} ({v!r})" for r, v in zip(rows[far][:10], text[far][:10], strict=True)
        )
        problems.append(
            f"{file}, column {column}: date(s) outside 1 April 1900 to 31 March 2201 at "
            f"{listing}; check the year"
        )
        out = out.where(~far)
    return out


def _columns(frame: pd.DataFrame, need: tuple[str, ...], name: Path, problems: list[str]) -> None:
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        problems.append(
            f"{name}: missing column(s) {', '.join(missing)}; SSDA903 files need {', '.join(need)}"
        )


def _text(col: pd.Series) -> np.ndarray:
    return col.astype(str).str.strip().to_numpy()


def read_return(ret: ReturnFiles) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(header, episodes) of one return in the library's columns, every row
    labelled with its file and row (``source``: ``2017-18/episodes.csv:5``).
    Raises :class:`DataValidationError` listing every problem in the pair."""
    problems: list[str] = []
    h = read_table(ret.header).reset_index(drop=True)
    e = read_table(ret.episodes).reset_index(drop=True)
    _columns(h, HEADER_COLUMNS, ret.header, problems)
    _columns(e, EPISODE_COLUMNS, ret.episodes, problems)
    if problems:
        raise DataValidationError(problems)
    h_rows = pd.Series(np.arange(len(h)) + 2)
    e_rows = pd.Series(np.arange(len(e)) + 2)
    hfile, efile = str(ret.header), str(ret.episodes)
    header = pd.DataFrame(
        {
            "child": _text(h["CHILD"]),
            "sex": h["SEX"].astype(str).to_numpy(),
            "dob": _parse_dates(
                h["DOB"], file=hfile, column="DOB", rows=h_rows, problems=problems
            ).to_numpy(),
            "uasc": (
                h["UASC"].astype(str).str.strip().isin(["1", "True", "true", "Y"]).to_numpy()
                if "UASC" in h.columns
                else np.zeros(len(h), bool)
            ),
        }
    )
    if header["dob"].isna().any():
        rows = h_rows[header["dob"].isna().to_numpy()]
        problems.append(f"{hfile}, column DOB: blank at row(s) {', '.join(map(str, rows[:10]))}")
    label = f"{ret.episodes.parent.name}/{ret.episodes.name}"
    eps = pd.DataFrame(
        {
            "child": _text(e["CHILD"]),
            "start": _parse_dates(
                e["DECOM"], file=efile, column="DECOM", rows=e_rows, problems=problems
            ).to_numpy(),
            "end": _parse_dates(
                e["DEC"], file=efile, column="DEC", rows=e_rows, problems=problems
            ).to_numpy(),
            "rne": e["RNE"].astype(str).to_numpy(),
            "ls": e["LS"].astype(str).to_numpy(),
            "cin": e["CIN"].astype(str).to_numpy(),
            "place": _text(e["PLACE"]),
            "provider": _text(e["PLACE_PROVIDER"]),
            "rec": e["REC"].astype(str).to_numpy(),
            "source_file": efile,
            "source_row": e_rows.to_numpy(),
            "source": [f"{label}:{r}" for r in e_rows],
        }
    )
    if eps["start"].isna().any() and not any("DECOM" in p for p in problems):
        problems.append(
            f"{efile}, column DECOM: blank at row(s) "
            f"{', '.join(map(str, e_rows[eps['start'].isna().to_numpy()][:10]))}"
        )
    backwards = eps["start"].notna() & eps["end"].notna() & (eps["end"] < eps["start"])
    if backwards.any():
        rows = eps.loc[backwards, "source_row"]
        problems.append(
            f"{efile}: episode(s) end (DEC) before they start (DECOM) at row(s) "
            f"{', '.join(map(str, rows[:10]))}; correct the dates"
        )
    unknown_children = sorted(set(eps["child"]) - set(header["child"]))
    if unknown_children:
        rows = eps.loc[eps["child"].isin(unknown_children), "source_row"]
        problems.append(
            f"{efile}: episodes for children not in {ret.header.name}: "
            f"{', '.join(unknown_children[:10])} (rows {', '.join(map(str, rows[:10]))})"
        )
    if problems:
        raise DataValidationError(problems)
    return header, eps
