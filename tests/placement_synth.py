"""A small, exact generator of SSDA903 returns for the placement-model tests.

Children enter foster care (``foster_in_house``) or a children's home
(``residential_external``) at a known monthly rate, at ages uniform over
0-17; each month they leave care with a known hazard (which may change on a
given month: a step change), move from foster care to a home with a known
hazard, and leave at 18.  The simulation starts ``history_years`` before the
first return, so the first return's children carry years of history; the
returns written hold only the episodes open in their collection years, as
real returns do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast.ssda903 import SSDA903Data, read_ssda903, write_ssda903
from sctforecast.ssda903.synthetic import CODE_OF_TYPE

FOSTER, HOME = "foster_in_house", "residential_external"


def simulate(
    *,
    first_return: int = 2018,
    years: int = 6,
    history_years: int = 6,
    entries_per_month: float = 12.0,
    exit_hazard: float = 0.03,
    exit_hazard_after: float | None = None,
    change: str | None = None,
    move_hazard: float = 0.005,
    home_share: float = 0.15,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(header, episodes) in DfE columns.  Returns cover the collection
    years ending 31 March ``first_return + 1`` to ``first_return + years``;
    the exit hazard becomes ``exit_hazard_after`` from the month ``change``."""
    rng = np.random.default_rng(seed)
    t0 = pd.Period(f"{first_return - history_years}-04", freq="M")
    t_end = pd.Period(f"{first_return + years}-03", freq="M")
    step = pd.Period(change, freq="M") if change else None
    dob, cur, since, rows = [], [], [], []
    in_care: list[int] = []
    for month in pd.period_range(t0, t_end, freq="M"):
        start = month.start_time
        ndays = month.days_in_month
        h = exit_hazard if step is None or month < step else exit_hazard_after
        still = []
        for i in in_care:
            day = start + pd.Timedelta(days=int(rng.integers(0, ndays)))
            eighteen = dob[i] + pd.DateOffset(years=18)
            if eighteen < start + pd.Timedelta(days=ndays):
                rows.append((i, since[i], cur[i], max(eighteen, since[i]), "E8"))
                continue
            u = rng.random()
            if u < h and day > since[i]:
                rows.append((i, since[i], cur[i], day, "E4A"))
            elif cur[i] == FOSTER and u < h + move_hazard and day > since[i]:
                rows.append((i, since[i], cur[i], day, "X1"))
                cur[i], since[i] = HOME, day
                still.append(i)
            else:
                still.append(i)
        in_care = still
        for _ in range(rng.poisson(entries_per_month)):
            day = start + pd.Timedelta(days=int(rng.integers(0, ndays)))
            age_days = int(rng.uniform(0, 17.9) * 365.25)
            dob.append(day - pd.Timedelta(days=age_days))
            cur.append(HOME if rng.random() < home_share else FOSTER)
            since.append(day)
            in_care.append(len(dob) - 1)
    rows += [(i, since[i], cur[i], None, "") for i in in_care]
    ep = pd.DataFrame(rows, columns=["i", "start", "type", "end", "rec"]).sort_values(
        ["i", "start"]
    )
    ids = [f"T{i:05d}" for i in range(len(dob))]
    fmt = lambda d: "" if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%d/%m/%Y")  # noqa: E731
    header = pd.DataFrame({"CHILD": ids, "SEX": "1", "DOB": [fmt(d) for d in dob], "UASC": 0})
    first = ~ep["i"].duplicated()
    episodes = pd.DataFrame(
        {
            "CHILD": [ids[i] for i in ep["i"]],
            "DECOM": [fmt(d) for d in ep["start"]],
            "RNE": np.where(first, "S", "P"),
            "LS": "C2",
            "CIN": "N1",
            "PLACE": [CODE_OF_TYPE[t][0] for t in ep["type"]],
            "PLACE_PROVIDER": [CODE_OF_TYPE[t][1] for t in ep["type"]],
            "DEC": [fmt(d) for d in ep["end"]],
            "REC": ep["rec"].to_numpy(),
        }
    )
    return header, episodes


def returns(folder: Path, *, first_return: int = 2018, years: int = 6, **kw) -> SSDA903Data:
    """Write the returns one folder per collection year from ``first_return``
    (the year ending 31 March ``first_return + 1``) and read them back."""
    header, episodes = simulate(first_return=first_return, years=years, **kw)
    write_ssda903(
        header, episodes, folder, by_collection_year=True, first_year_end=first_return + 1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_ssda903(folder)
