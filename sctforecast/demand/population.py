"""The child population (aged 0-17) over the forecast: the entry rate's offset.

A projection is a set of mid-year values, ``year`` meaning the population at
30 June of that year (as the Office for National Statistics' mid-year
estimates and sub-national population projections are published).  The
population of a month is interpolated on a straight line between the mid-year
values either side of the middle of the month, and held at the first or last
value outside the years given.

File format (CSV, one row a year, any order)::

    year,population
    2024,86120
    2025,86410

An optional ``source`` column is kept.  Without a projection, the last known
population is held flat: a stated assumption, listed in the model's
``assumptions``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast.errors import DataValidationError

__all__ = ["PopulationProjection", "read_population_csv", "POPULATION_COLUMNS"]

POPULATION_COLUMNS = ("year", "population")


@dataclass(frozen=True, eq=False)
class PopulationProjection:
    """Children aged 0-17 at 30 June of each ``year``."""

    years: tuple[int, ...]
    population: np.ndarray
    source: str = ""
    flat: bool = False  # True: one known value held (the default assumption)

    def __post_init__(self) -> None:
        p = np.asarray(self.population, dtype=float)
        object.__setattr__(self, "population", p)
        problems = []
        if len(self.years) == 0 or p.shape != (len(self.years),):
            problems.append(
                f"{len(self.years)} year(s) and {p.size} population value(s): give one value a year"
            )
        elif list(self.years) != sorted(set(self.years)):
            problems.append("years must be increasing and given once each")
        if not (np.isfinite(p) & (p > 0)).all():
            problems.append("every population must be a positive number")
        if problems:
            raise DataValidationError(problems, where=self.source or "population projection")

    @classmethod
    def held_flat(cls, population: float, *, year: int, source: str = "") -> PopulationProjection:
        """The default: one known population held over the whole forecast."""
        return cls((int(year),), np.array([float(population)]), source=source, flat=True)

    def monthly(self, months: pd.PeriodIndex) -> np.ndarray:
        """The population in each month (linear between mid-years, flat outside)."""
        mid = np.array([pd.Period(f"{y}-06", freq="M").ordinal + 0.5 for y in self.years])
        t = np.array([m.ordinal for m in months], dtype=float) + 0.5
        return np.interp(t, mid, self.population)

    @property
    def text(self) -> str:
        """The assumption in words (for the model's ``assumptions`` table)."""
        if self.flat:
            return (
                f"child population held at {self.population[0]:,.0f} (the last known) over the forecast: "
                "no projection was given"
            )
        return (
            f"child population projection {self.years[0]} to {self.years[-1]} "
            f"({self.population[0]:,.0f} to {self.population[-1]:,.0f}), mid-year values interpolated "
            f"monthly and held at {self.population[-1]:,.0f} after mid-{self.years[-1]}"
        )

    def to_json_list(self) -> list[object]:
        return [list(self.years), self.population.tolist(), self.source, self.flat]

    @classmethod
    def from_json_list(cls, v: list) -> PopulationProjection:  # type: ignore[type-arg]
        return cls(tuple(int(y) for y in v[0]), np.array(v[1], float), v[2], bool(v[3]))


def read_population_csv(path: str | os.PathLike[str]) -> PopulationProjection:
    """Read a projection of the 0-17 population (``year,population``; see the
    module docs).  Every problem is collected and raised once as a
    :class:`DataValidationError` naming the file and row."""
    p = Path(path)
    where = str(p)
    if not p.exists():
        raise DataValidationError(
            f"no such file; give a CSV with columns {', '.join(POPULATION_COLUMNS)}", where=where
        )
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataValidationError(f"not a readable CSV ({err})", where=where) from err
    cols = [c.strip().lower() for c in frame.columns]
    frame.columns = cols
    missing = [c for c in POPULATION_COLUMNS if c not in cols]
    if missing:
        raise DataValidationError(
            f"missing column(s) {', '.join(missing)}; got {', '.join(cols) or 'none'}. "
            "Expected a header 'year,population' (year = mid-year, e.g. 2024 for 30 June 2024)",
            where=where,
        )
    problems, years, values = [], [], []
    for i, r in enumerate(frame.itertuples(index=False), start=2):  # row 1 is the header
        y_text, p_text = str(r.year).strip(), str(r.population).strip().replace(",", "")
        try:
            y = int(y_text)
            if not 1900 <= y <= 2200:
                raise ValueError
        except ValueError:
            problems.append(f"row {i}: year {y_text!r} is not a calendar year such as 2024")
            continue
        try:
            v = float(p_text)
            if not np.isfinite(v) or v <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"row {i} ({y}): population {p_text!r} is not a positive number")
            continue
        if y in years:
            problems.append(f"row {i}: year {y} is given twice; give one population a year")
            continue
        years.append(y)
        values.append(v)
    if not problems and not years:
        problems.append("no rows: give at least one year's population")
    if problems:
        raise DataValidationError(problems, where=where)
    order = np.argsort(years)
    src = "; ".join(sorted({s for s in frame.get("source", pd.Series(dtype=str)) if s})) or where
    return PopulationProjection(
        tuple(int(years[k]) for k in order), np.array(values)[order], source=src
    )
