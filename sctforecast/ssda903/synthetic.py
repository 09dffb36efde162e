"""A seeded generator of SSDA903-like returns with known true rates.

Children enter care at a Poisson rate per age band, start in a placement type
drawn from a known mix, and each month leave care or move placement with known
probabilities by age band and type; everyone leaves at 18.  The truth is
returned with the data, so tests and backtests can check that a model recovers
it and that its intervals cover it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.reader import AGE_BANDS, age_band

__all__ = ["SyntheticTruth", "default_truth", "synthetic_ssda903", "write_ssda903", "CODE_OF_TYPE"]

CODE_OF_TYPE = {
    "residential_in_house": ("K2", "PR1"),
    "residential_external": ("K2", "PR4"),
    "residential_secure": ("K1", "PR3"),
    "foster_in_house": ("U4", "PR1"),
    "foster_kinship": ("U1", "PR1"),
    "foster_ifa": ("U4", "PR4"),
    "supported_accommodation": ("H5", "PR4"),
    "supported_accommodation_uasc": ("H5", "PR4"),
    "placed_with_parents": ("P1", "PR0"),
    "adoption_placement": ("A4", "PR1"),
    "parent_and_child": ("R3", "PR4"),
    "other_settings": ("Z1", "PR4"),
}
NB, NT = len(AGE_BANDS), len(PLACEMENT_TYPES)
_T = {t: i for i, t in enumerate(PLACEMENT_TYPES)}


@dataclass(frozen=True)
class SyntheticTruth:
    """Monthly rates by age band (5) and placement type (12)."""

    entry_rate: np.ndarray  # (bands,) children entering per month
    initial_mix: np.ndarray  # (bands, types), rows sum to 1
    exit_hazard: np.ndarray  # (bands, types) probability of leaving care in a month
    move: (
        np.ndarray
    )  # (bands, types, types) probability of moving to another type in a month (diag 0)


def default_truth(scale: float = 1.0) -> SyntheticTruth:
    """Rates loosely shaped like an authority with about 800 children in care.
    ``scale`` multiplies the entry rates."""
    entry = np.array([3.0, 3.5, 3.0, 4.5, 2.5]) * scale
    mix = np.zeros((NB, NT))
    mix[
        0, [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["parent_and_child"]]
    ] = [0.35, 0.3, 0.2, 0.15]
    mix[
        1,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["placed_with_parents"]],
    ] = [0.35, 0.3, 0.25, 0.1]
    mix[
        2,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["placed_with_parents"]],
    ] = [0.35, 0.35, 0.2, 0.1]
    mix[
        3,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["residential_external"]],
    ] = [0.3, 0.4, 0.15, 0.15]
    mix[
        4,
        [
            _T["foster_ifa"],
            _T["residential_external"],
            _T["supported_accommodation"],
            _T["supported_accommodation_uasc"],
        ],
    ] = [0.3, 0.2, 0.25, 0.25]
    exit_h = np.full((NB, NT), 0.02)
    exit_h[0] = 0.04
    exit_h[:, _T["placed_with_parents"]] = 0.06
    exit_h[:, _T["adoption_placement"]] = 0.08
    move = np.zeros((NB, NT, NT))
    for b in range(NB):
        move[b, _T["foster_ifa"], _T["foster_in_house"]] = 0.004
        move[b, _T["foster_in_house"], _T["foster_ifa"]] = 0.006
        if b >= 3:
            move[b, _T["foster_ifa"], _T["residential_external"]] = 0.004
            move[b, _T["residential_external"], _T["foster_ifa"]] = 0.01
        if b == 4:
            move[b, _T["foster_ifa"], _T["supported_accommodation"]] = 0.02
        if b <= 1:
            move[b, _T["foster_in_house"], _T["adoption_placement"]] = 0.01
    return SyntheticTruth(entry, mix, exit_h, move)


def synthetic_ssda903(
    *,
    years: int = 8,
    initial_children: int = 800,
    truth: SyntheticTruth | None = None,
    start: str = "2016-04-01",
    random_seed: int | np.random.Generator = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, SyntheticTruth]:
    """Simulate ``years`` of episodes; returns (header, episodes, truth) in DfE columns."""
    rng = np.random.default_rng(random_seed)
    truth = truth or default_truth()
    t0 = pd.Timestamp(start)
    months = pd.period_range(t0, periods=12 * years, freq="M")
    epoch = np.datetime64("1970-01-01", "D")
    day0 = int((np.datetime64(t0.date(), "D") - epoch).astype(int))
    # state, in whole days since 1970 (grown as children enter)
    dob: list[int] = []
    cur_type: list[int] = []
    ep_start: list[int] = []
    in_care: list[bool] = []
    uasc: list[bool] = []
    episodes: list[tuple] = []

    def add_child(birth: int, t: int, when: int) -> None:
        dob.append(birth)
        cur_type.append(t)
        ep_start.append(when)
        in_care.append(True)
        uasc.append(PLACEMENT_TYPES[t] == "supported_accommodation_uasc")

    def close(i: int, when: int, rec: str) -> None:
        place, prov = CODE_OF_TYPE[PLACEMENT_TYPES[cur_type[i]]]
        episodes.append((i, ep_start[i], place, prov, when, rec))

    def eighteenth(birth: int) -> int:
        d = epoch + np.timedelta64(birth, "D")
        b = pd.Timestamp(d) + pd.DateOffset(years=18)
        return int((np.datetime64(b.date(), "D") - epoch).astype(int))

    stock_band = rng.choice(NB, size=initial_children, p=np.array([0.05, 0.15, 0.2, 0.4, 0.2]))
    for b in stock_band:
        lo, hi = AGE_BANDS[b][1], AGE_BANDS[b][2]
        age_years = rng.uniform(lo, hi)
        t = int(rng.choice(NT, p=truth.initial_mix[b]))
        since = min(age_years, rng.uniform(0, 3))
        add_child(day0 - int(age_years * 365.25), t, day0 - int(since * 365.25))
    adult: list[int] = [eighteenth(x) for x in dob]
    for m in months:
        m0 = int((np.datetime64(m.start_time.date(), "D") - epoch).astype(int))
        ndays = m.days_in_month
        idx = np.flatnonzero(in_care)
        if len(idx):
            ages = (m0 - np.array(dob)[idx]) / 365.25
            bands = np.clip(age_band(ages), 0, NB - 1)
            types = np.array(cur_type)[idx]
            u = rng.random(len(idx))
            p_exit = truth.exit_hazard[bands, types]
            cum = p_exit[:, None] + np.cumsum(truth.move[bands, types], axis=1)
            day = rng.integers(1, ndays, size=len(idx))
            adult_arr = np.array(adult)[idx]
            for k, i in enumerate(idx):
                when = m0 + int(day[k])
                if adult_arr[k] < m0 + ndays:
                    close(i, max(int(adult_arr[k]), ep_start[i]), "E8")
                    in_care[i] = False
                elif u[k] < p_exit[k]:
                    close(i, when, "E4A")
                    in_care[i] = False
                elif u[k] < cum[k, -1] and when > ep_start[i]:
                    close(i, when, "X1")
                    cur_type[i] = int(np.searchsorted(cum[k], u[k], side="right"))
                    ep_start[i] = when
        for b in range(NB):
            for _ in range(rng.poisson(truth.entry_rate[b])):
                lo, hi = AGE_BANDS[b][1], AGE_BANDS[b][2]
                age_years = rng.uniform(lo, hi - 0.05)
                when = m0 + int(rng.integers(0, ndays))
                t = int(rng.choice(NT, p=truth.initial_mix[b]))
                add_child(when - int(age_years * 365.25), t, when)
                adult.append(eighteenth(dob[-1]))
    for i in np.flatnonzero(in_care):
        place, prov = CODE_OF_TYPE[PLACEMENT_TYPES[cur_type[i]]]
        episodes.append((i, ep_start[i], place, prov, None, ""))

    def fmt(d: int | None) -> str:
        return (
            "" if d is None else pd.Timestamp(epoch + np.timedelta64(d, "D")).strftime("%d/%m/%Y")
        )

    ids = [f"C{i:06d}" for i in range(len(dob))]
    header = pd.DataFrame(
        {
            "CHILD": ids,
            "SEX": rng.choice(["1", "2"], len(dob)),
            "DOB": [fmt(d) for d in dob],
            "UASC": [int(x) for x in uasc],
        }
    )
    ep = pd.DataFrame(episodes, columns=["i", "start", "PLACE", "PLACE_PROVIDER", "end", "REC"])
    ep = ep.sort_values(["i", "start"], kind="stable")
    first = ~ep["i"].duplicated()
    episodes_df = pd.DataFrame(
        {
            "CHILD": [ids[i] for i in ep["i"]],
            "DECOM": [fmt(d) for d in ep["start"]],
            "RNE": np.where(first, "S", "P"),
            "LS": "C2",
            "CIN": "N1",
            "PLACE": ep["PLACE"].to_numpy(),
            "PLACE_PROVIDER": ep["PLACE_PROVIDER"].to_numpy(),
            "DEC": [fmt(None if pd.isna(d) else int(d)) for d in ep["end"]],
            "REC": ep["REC"].to_numpy(),
        }
    )
    return header, episodes_df.reset_index(drop=True), truth


def write_ssda903(
    header: pd.DataFrame,
    episodes: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    by_collection_year: bool = False,
    first_year_end: int | None = None,
) -> Path:
    """Write header.csv and episodes.csv, or one subfolder per collection year
    ("2022-23/") holding the episodes open in that year, as authorities keep them.
    ``first_year_end`` (e.g. 2017 for 2016-17) is the first collection written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    if not by_collection_year:
        header.to_csv(out / "header.csv", index=False)
        episodes.to_csv(out / "episodes.csv", index=False)
        return out
    start = pd.to_datetime(episodes["DECOM"], format="%d/%m/%Y")
    end = pd.to_datetime(episodes["DEC"].replace("", None), format="%d/%m/%Y")

    def year_end(t: pd.Timestamp) -> int:
        return t.year + 1 if t.month >= 4 else t.year

    first_y = first_year_end or year_end(start.min())
    last_y = year_end(max(start.max(), end.max()))
    for y in range(first_y, last_y + 1):
        y0, y1 = pd.Timestamp(year=y - 1, month=4, day=1), pd.Timestamp(year=y, month=3, day=31)
        in_year = (start <= y1) & (end.isna() | (end >= y0))
        if not in_year.any():
            continue
        ep = episodes[in_year].copy()
        still_open = end[in_year].isna() | (end[in_year] > y1)
        ep.loc[still_open.to_numpy(), ["DEC", "REC"]] = ""
        d = out / f"{y - 1}-{y % 100:02d}"
        d.mkdir(exist_ok=True)
        header[header["CHILD"].isin(ep["CHILD"])].to_csv(d / "header.csv", index=False)
        ep.to_csv(d / "episodes.csv", index=False)
    return out
