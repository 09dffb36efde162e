"""Read and validate SSDA903 header and episodes files.

Layouts: one pair of files (``header.csv``, ``episodes.csv``), or a folder with
one subfolder per collection year (``2021``, ``2021-22``, ``2022_23``...), each
holding ``header.csv`` and ``episodes.csv`` - the layout authorities keep.
Dates are DfE style ``dd/mm/yyyy`` (ISO ``yyyy-mm-dd`` is accepted too).
Returns cover collection years ending 31 March: the data are taken to run to
the last collection's 31 March (for a single pair of files, the 31 March on or
after its latest date).

Rules for messy returns, each applied with a :class:`DataQualityWarning`
naming the children and dates (``strict=True`` raises instead), and listed in
``SSDA903Data.quality``:

1. the same episode (CHILD, DECOM) in several collection years is one episode:
   the latest year's record wins;
2. overlapping episodes of one child: the earlier is cut at the later one's
   start (:mod:`sctforecast.episodes`); two placements starting the same day
   cannot be settled and are an error;
3. an episode running past the child's 18th birthday ends on that birthday;
4. a child open at the end of one collection year and missing from the next
   is taken to have left care at the end of that year (1 April, as DEC).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.episodes import resolve_overlaps
from sctforecast.errors import DataQualityWarning, DataValidationError
from sctforecast.ssda903.codes import PlacementMapping

__all__ = ["SSDA903Data", "read_ssda903", "HEADER_COLUMNS", "EPISODE_COLUMNS", "AGE_BANDS"]

HEADER_COLUMNS = ("CHILD", "SEX", "DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
AGE_BANDS = (("under 1", 0, 1), ("1-4", 1, 5), ("5-9", 5, 10), ("10-15", 10, 16), ("16-17", 16, 18))
_YEAR_DIR = re.compile(r"^(?:FY)?(\d{4})(?:[-_/](\d{2}|\d{4}))?$", re.IGNORECASE)


def age_band(age_years: np.ndarray | pd.Series) -> np.ndarray:
    """Index of the DfE age band (0..4) of each age in years."""
    a = np.asarray(age_years, dtype=float)
    edges = np.array([1, 5, 10, 16])
    return np.searchsorted(edges, a, side="right")


@dataclass(frozen=True)
class SSDA903Data:
    """Validated episodes with placement types, the header, and the data-quality log."""

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
            f"observed to {self.observed_to.date()}, {len(self.quality)} rule applications>"
        )


def _parse_dates(
    col: pd.Series, *, file: str, column: str, rows: pd.Series, problems: list[str]
) -> pd.Series:
    text = col.astype(str).str.strip()
    blank = (text == "") | text.str.lower().isin(["nan", "none", "nat"])
    out = pd.to_datetime(text.where(~blank), format="%d/%m/%Y", errors="coerce")
    iso = out.isna() & ~blank
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], format="%Y-%m-%d", errors="coerce")
    bad = out.isna() & ~blank
    if bad.any():
        listing = ", ".join(
            f"row {r} ({v!r})" for r, v in zip(rows[bad][:10], text[bad][:10], strict=True)
        )
        more = f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
        problems.append(
            f"{file}, column {column}: unparseable date(s) at {listing}{more}; write dates as dd/mm/yyyy"
        )
    return out


def _read_pair(
    header_path: Path, episodes_path: Path, collection: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    problems: list[str] = []
    h = read_table(header_path)
    e = read_table(episodes_path)
    for frame, need, name in (
        (h, HEADER_COLUMNS, header_path),
        (e, EPISODE_COLUMNS, episodes_path),
    ):
        frame.columns = [c.strip().upper() for c in frame.columns]
        missing = [c for c in need if c not in frame.columns]
        if missing:
            problems.append(
                f"{name}: missing column(s) {', '.join(missing)}; SSDA903 files need {', '.join(need)}"
            )
    if problems:
        raise DataValidationError(problems)
    h_rows = pd.Series(np.arange(len(h)) + 2)
    e_rows = pd.Series(np.arange(len(e)) + 2)
    header = pd.DataFrame(
        {
            "child": h["CHILD"].astype(str).str.strip().to_numpy(),
            "sex": h["SEX"].astype(str).to_numpy(),
            "dob": _parse_dates(
                h["DOB"].reset_index(drop=True),
                file=str(header_path),
                column="DOB",
                rows=h_rows,
                problems=problems,
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
        problems.append(
            f"{header_path}, column DOB: blank at row(s) {', '.join(map(str, rows[:10]))}"
        )
    eps = pd.DataFrame(
        {
            "child": e["CHILD"].astype(str).str.strip().to_numpy(),
            "start": _parse_dates(
                e["DECOM"].reset_index(drop=True),
                file=str(episodes_path),
                column="DECOM",
                rows=e_rows,
                problems=problems,
            ).to_numpy(),
            "end": _parse_dates(
                e["DEC"].reset_index(drop=True),
                file=str(episodes_path),
                column="DEC",
                rows=e_rows,
                problems=problems,
            ).to_numpy(),
            "rne": e["RNE"].astype(str).to_numpy(),
            "ls": e["LS"].astype(str).to_numpy(),
            "cin": e["CIN"].astype(str).to_numpy(),
            "place": e["PLACE"].astype(str).str.strip().to_numpy(),
            "provider": e["PLACE_PROVIDER"].astype(str).str.strip().to_numpy(),
            "rec": e["REC"].astype(str).to_numpy(),
            "source_file": str(episodes_path),
            "source_row": e_rows.to_numpy(),
            "collection": collection,
        }
    )
    if eps["start"].isna().any() and not any("DECOM" in p for p in problems):
        problems.append(
            f"{episodes_path}, column DECOM: blank at row(s) "
            f"{', '.join(map(str, e_rows[eps['start'].isna().to_numpy()][:10]))}"
        )
    ok = eps["start"].notna() & eps["end"].notna()
    backwards = ok & (eps["end"] < eps["start"])
    if backwards.any():
        rows = eps.loc[backwards, "source_row"]
        problems.append(
            f"{episodes_path}: episode(s) end (DEC) before they start (DECOM) at row(s) "
            f"{', '.join(map(str, rows[:10]))}; correct the dates"
        )
    if collection is not None:  # a return holds the episodes open during its year
        year_end = pd.Timestamp(year=collection, month=3, day=31)
        late = eps["start"].notna() & (eps["start"] > year_end)
        if late.any():
            rows = eps.loc[late, "source_row"]
            problems.append(
                f"{episodes_path}: episode(s) start (DECOM) after the end of this collection "
                f"year (31 March {collection}) at row(s) {', '.join(map(str, rows[:10]))}; move "
                "them to the next year's return, or check the folder's name"
            )
    unknown_children = sorted(set(eps["child"]) - set(header["child"]))
    if unknown_children:
        rows = eps.loc[eps["child"].isin(unknown_children), "source_row"]
        problems.append(
            f"{episodes_path}: episodes for children not in {header_path.name}: "
            f"{', '.join(unknown_children[:10])} (rows {', '.join(map(str, rows[:10]))})"
        )
    if problems:
        raise DataValidationError(problems)
    return header, eps


def _collection_dirs(folder: Path) -> list[tuple[int, Path]]:
    out = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        m = _YEAR_DIR.match(sub.name)
        if m and (sub / "header.csv").exists() and (sub / "episodes.csv").exists():
            start = int(m.group(1))
            # "2023" names the collection ending 31 March 2023; "2022-23" the same year
            year_end = start + 1 if m.group(2) else start
            out.append((year_end, sub))
    return out


def read_ssda903(
    path: str | os.PathLike[str] | None = None,
    *,
    header: str | os.PathLike[str] | None = None,
    episodes: str | os.PathLike[str] | None = None,
    strict: bool = False,
    unknown_codes: str = "raise",
    mapping: PlacementMapping | None = None,
) -> SSDA903Data:
    """Read SSDA903 returns (see the module docs for layouts and rules)."""
    mapping = mapping or PlacementMapping.default()
    pairs: list[tuple[int | None, Path, Path]] = []
    if path is not None:
        folder = Path(path)
        if not folder.exists():
            raise DataValidationError(f"{folder}: no such folder; point at the SSDA903 files")
        if not folder.is_dir():
            raise DataValidationError(
                f"{folder}: expected a folder holding header.csv and episodes.csv"
            )
        if (folder / "header.csv").exists() and (folder / "episodes.csv").exists():
            pairs.append((None, folder / "header.csv", folder / "episodes.csv"))
        else:
            years = _collection_dirs(folder)
            if not years:
                raise DataValidationError(
                    f"{folder}: found neither header.csv and episodes.csv nor year subfolders "
                    "(e.g. 2022-23/) holding them"
                )
            pairs += [(y, d / "header.csv", d / "episodes.csv") for y, d in years]
    elif header is not None and episodes is not None:
        pairs.append((None, Path(header), Path(episodes)))
    else:
        raise DataValidationError("give a folder, or both header= and episodes= files")
    origin = str(path) if path is not None else str(episodes)
    headers, eps_all, problems = [], [], []
    for y, hp, ep in pairs:
        try:
            h, e = _read_pair(hp, ep, y)
        except DataValidationError as err:
            problems += err.problems
            continue
        headers.append(h)
        eps_all.append(e)
    if problems:  # each problem names its file; the folder heads a list of several
        raise DataValidationError(problems, where=origin if len(problems) > 1 else None)
    hdr = pd.concat(headers).drop_duplicates(subset=["child"], keep="last").reset_index(drop=True)
    eps = pd.concat(eps_all, ignore_index=True)
    quality: list[dict[str, object]] = []
    # rule 1: the same episode in several collections
    if len(pairs) > 1:
        eps = eps.sort_values(["child", "start", "collection"], kind="stable")
        dup = eps.duplicated(subset=["child", "start"], keep="last")
        # repeated records are expected in multi-year returns; not a warning, but logged
        for r in eps[dup].itertuples(index=False):
            quality.append(
                {
                    "child": r.child,
                    "rule": "episode repeated across collection years: latest kept",
                    "start": r.start,
                    "end": r.end,
                    "detail": f"collection {r.collection}",
                }
            )
        eps = eps[~dup]
    # map codes (errors list every unknown code and row)
    eps = eps.merge(hdr[["child", "dob", "uasc"]], on="child", how="left")
    eps["placement_type"] = mapping.map_codes(
        eps["place"],
        eps["provider"],
        eps["uasc"],
        unknown=unknown_codes,
        where=origin,
        rows=eps["source_file"].map(lambda s: Path(s).parent.name + "/" + Path(s).name)
        + ":"
        + eps["source_row"].astype(str),
    ).to_numpy()
    warned: list[str] = []
    # rule 4: open at the end of one collection and missing from the next
    collections = sorted({y for y, _, _ in pairs if y is not None})
    if len(collections) > 1:
        for y, y_next in zip(collections, collections[1:], strict=False):
            year_end = pd.Timestamp(year=y, month=3, day=31)
            open_y = eps[(eps["collection"] == y) & eps["end"].isna()]
            in_next = set(eps.loc[eps["collection"] == y_next, "child"])
            lost = open_y[~open_y["child"].isin(in_next)]
            for idx, r in lost.iterrows():
                eps.at[idx, "end"] = year_end + pd.Timedelta(days=1)
                eps.at[idx, "rec"] = "LOST"
                quality.append(
                    {
                        "child": r.child,
                        "rule": "open at year end, missing from the next return: closed",
                        "start": r.start,
                        "end": year_end + pd.Timedelta(days=1),
                        "detail": f"absent from collection {y_next}",
                    }
                )
                warned.append(f"child {r.child} open at 31 March {y}")
    # rule 3: past the 18th birthday
    eighteen = eps["dob"] + pd.DateOffset(years=18)
    over = eps["start"] >= eighteen
    if over.any():
        rows = eps.loc[over, ["child", "start", "source_file", "source_row"]]
        raise DataValidationError(
            f"{origin}: episode(s) start (DECOM) on or after the child's 18th birthday: "
            + ", ".join(
                f"child {c} {s.date()} ({f}, row {r})"
                for c, s, f, r in rows.head(10).itertuples(index=False)
            )
            + "; correct the child's DOB in the header or the episode's DECOM"
        )
    # returns cover collection years ending 31 March: a single pair of files is
    # taken to run to the 31 March on or after its latest date
    latest = max(
        eps["start"].max(),
        (eps["end"].max() - pd.Timedelta(days=1))
        if eps["end"].notna().any()
        else eps["start"].max(),
    )
    year_end = pd.Timestamp(year=latest.year + (1 if latest.month >= 4 else 0), month=3, day=31)
    observed_to = (
        max(pd.Timestamp(year=max(collections), month=3, day=31), latest)
        if collections
        else year_end
    )
    limit = observed_to + pd.Timedelta(days=1)
    past = (eps["end"].fillna(limit) > eighteen) & (eighteen <= limit)
    for idx in eps.index[past.to_numpy()]:
        quality.append(
            {
                "child": eps.at[idx, "child"],
                "rule": "episode past the 18th birthday: ended on it",
                "start": eps.at[idx, "start"],
                "end": eighteen[idx],
                "detail": "aged out",
            }
        )
        warned.append(f"child {eps.at[idx, 'child']} reached 18 on {eighteen[idx].date()}")
        eps.at[idx, "end"] = eighteen[idx]
        eps.at[idx, "rec"] = "AGE18"
    # rule 2: overlaps
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eps, issues = resolve_overlaps(
            eps,
            child="child",
            start="start",
            end="end",
            placement="placement_type",
            where=origin,
            strict=strict,
        )
    for r in issues.itertuples(index=False):
        quality.append(
            {"child": r.child, "rule": r.rule, "start": r.start, "end": r.end, "detail": r.detail}
        )
    if caught:
        warned.append(str(caught[0].message))
    qdf = pd.DataFrame(quality, columns=["child", "rule", "start", "end", "detail"])
    rules_applied = qdf[~qdf["rule"].str.startswith("episode repeated")] if len(qdf) else qdf
    if len(rules_applied):
        msg = (
            f"{origin}: {len(rules_applied)} data-quality rule(s) applied to "
            f"{rules_applied['child'].nunique()} child(ren): "
            + "; ".join(warned[:8])
            + (" ..." if len(warned) > 8 else "")
            + ". See SSDA903Data.quality"
        )
        if strict:
            raise DataValidationError(msg + "; strict mode applies no rules: correct the return")
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    eps = eps.sort_values(["child", "start"]).reset_index(drop=True)
    return SSDA903Data(
        header=hdr,
        episodes=eps,
        quality=qdf,
        observed_to=pd.Timestamp(observed_to),
        origin=origin,
        observed_from=_observed_from(eps, collections),
    )


def _april_on_or_before(t: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=t.year if t.month >= 4 else t.year - 1, month=4, day=1)


def _observed_from(eps: pd.DataFrame, collections: list[int]) -> pd.Timestamp:
    """1 April of the first collection year.  With collection-year folders it is
    named; for one pair of files it is the 1 April on or before the earliest
    episode end, since a return holds only episodes open during its year (with
    no episode ended, the 1 April on or before the latest start)."""
    if collections:
        return pd.Timestamp(year=min(collections) - 1, month=4, day=1)
    ends = eps["end"].dropna()
    return _april_on_or_before(ends.min() if len(ends) else eps["start"].max())
