"""The counts CSV: published entries, exits and children in care by period.

One row per period (a financial year, ``2018/19``, or a month, ``2023-04``)
with the children who entered and left care in the period and the children in
care at its end; the first row is the opening stock, with entries and exits
blank and the period before the first flows::

    period,entries,exits,children_in_care
    2017/18,,,880
    2018/19,420,390,910
    2019/20,405,400,915
    2020/21,380,395,900

Optional columns: ``population`` (children aged 0-17 in each period with
flows; the opening row's value, if given, is checked but not used) and
``source`` (free text, kept in the data's description).  Without a population
column, ``default_population`` is held over every period, as the embedded
series holds one published population.  Rows may come in any order.

:func:`read_counts_fields` collects every problem (missing column, a count that
is not a whole number, a negative or implausibly large count, mixed period
kinds, duplicate or missing periods, no opening row) and raises one
:class:`DataValidationError` naming the file, and for each problem the row
(the header is row 1) and the column.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear

__all__ = [
    "COUNTS_COLUMNS",
    "OPTIONAL_COUNTS_COLUMNS",
    "MAX_COUNT",
    "MAX_POPULATION",
    "read_counts_fields",
]

#: The columns every counts CSV has.
COUNTS_COLUMNS = ("period", "entries", "exits", "children_in_care")
#: Columns a counts CSV may have besides them.
OPTIONAL_COUNTS_COLUMNS = ("population", "source")
#: The largest count of children read (far above any authority's; larger is a typing slip).
MAX_COUNT = 1_000_000
#: The largest child population read.
MAX_POPULATION = 100_000_000

_YEAR = re.compile(r"\d{4}/(\d{2}|\d{4})")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_FLOWS = ("entries", "exits")


@dataclass(frozen=True)
class _Row:
    line: int  # the CSV row, header = 1
    kind: str  # "year" or "month"
    ordinal: int
    label: str
    values: dict[str, float | None]  # None: blank


def _shown(text: str, width: int = 40) -> str:
    """A cell as quoted in a message, cut for huge cells."""
    shown = repr(text)
    return shown if len(shown) <= width else shown[: width - 4] + "...'"


def _period(text: str, where: str, problems: list[str]) -> tuple[str, int, str] | None:
    """(kind, ordinal, label) of a period cell."""
    if _YEAR.fullmatch(text):
        try:
            fy = FinancialYear.parse(text)
        except DataValidationError as err:
            problems.append(f"{where}: {err}")
            return None
        return "year", fy.start_year, fy.label
    if _MONTH.fullmatch(text):
        month = pd.Period(text, freq="M")
        return "month", int(month.ordinal), str(month)
    problems.append(
        f"{where}: {_shown(text)} is not a period; write a financial year as 2018/19 "
        "or a month as 2023-04"
    )
    return None


def _number(text: str, where: str, problems: list[str], *, whole: bool, most: int) -> float | None:
    """A count (``whole``) or a population; ``None`` for a blank cell."""
    if not text:
        return None
    clean = text.replace(",", "")
    try:
        value = Decimal(clean)
        ok = value.is_finite()
    except InvalidOperation:
        ok = False
    kind = "a whole number of children" if whole else "a number of children"
    if not ok:
        problems.append(f"{where}: {_shown(text)} is not a number; write {kind}, such as 420")
        return None
    if value < 0:
        problems.append(f"{where}: {_shown(text)} is negative; counts are zero or more")
        return None
    if value > most:
        problems.append(
            f"{where}: {_shown(text)} is more than {most:,}; check the cell (a slip in typing?)"
        )
        return None
    if whole and value != value.to_integral_value():
        problems.append(
            f"{where}: {_shown(text)} is not a whole number; give a whole count of children"
        )
        return None
    if not whole and value == 0:
        problems.append(f"{where}: the population must be more than zero")
        return None
    return float(value)


def _read_rows(
    frame: pd.DataFrame, columns: dict[str, str], problems: list[str], bad_periods: list[str]
) -> list[_Row]:
    """Every row whose period can be read; problems of periods go to ``bad_periods``."""
    rows = []
    for line, record in enumerate(frame.to_dict("records"), start=2):
        cell = {name: str(record[col]).strip() for name, col in columns.items()}
        if not cell["period"]:
            bad_periods.append(
                f"row {line}, column period: blank; give the financial year or month"
            )
            continue
        period = _period(cell["period"], f"row {line}, column period", bad_periods)
        values: dict[str, float | None] = {}
        for name in ("entries", "exits", "children_in_care", "population"):
            if name in cell:
                where = f"row {line} ({cell['period']}), column {name}"
                whole = name != "population"
                most = MAX_COUNT if whole else MAX_POPULATION
                value = _number(cell[name], where, problems, whole=whole, most=most)
                # a cell that is not blank but bad is reported here, and is not "blank" below
                values[name] = float("nan") if value is None and cell[name] else value
        if period is not None:
            rows.append(_Row(line, *period, values))
    return rows


def _check_periods(rows: list[_Row], problems: list[str]) -> None:
    """One kind of period, each once, with none missing between the first and last."""
    if not rows:
        return
    kinds = {r.kind for r in rows}
    if len(kinds) > 1:
        first = rows[0]
        other = [r for r in rows if r.kind != first.kind]
        problems.append(
            f"column period mixes financial years and months: row {first.line} is a "
            f"{'financial year' if first.kind == 'year' else 'month'} ({first.label}) but row(s) "
            + ", ".join(f"{r.line} ({r.label})" for r in other[:10])
            + " are not; give every period the same way (one file per frequency)"
        )
        return
    seen: dict[int, _Row] = {}
    for r in rows:
        if r.ordinal in seen:
            problems.append(
                f"row {r.line}, column period: {r.label} is also row {seen[r.ordinal].line}; "
                "keep one row per period"
            )
        else:
            seen[r.ordinal] = r
    ordered = sorted(seen.values(), key=lambda r: r.ordinal)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.ordinal - a.ordinal > 1:
            missing = b.ordinal - a.ordinal - 1
            problems.append(
                f"rows {a.line} ({a.label}) and {b.line} ({b.label}), column period: "
                f"{missing} period(s) between them are missing; give a row for every period "
                "from the first to the last"
            )


def _check_flows(rows: list[_Row], problems: list[str]) -> None:
    """Only the opening row (the earliest period) leaves entries and exits blank;
    every row gives the children in care."""
    opening = rows[0]
    blank = [f for f in _FLOWS if opening.values[f] is None]
    if not blank:
        before = (
            FinancialYear(opening.ordinal - 1).label
            if opening.kind == "year"
            else str(pd.Period(opening.label, freq="M") - 1)
        )
        end = f"31 March {opening.ordinal}" if opening.kind == "year" else f"the end of {before}"
        problems.append(
            f"row {opening.line} ({opening.label}), columns entries and exits: the earliest period "
            f"has flows, so the opening stock is missing; add a row '{before},,,<children in care "
            f"at {end}>' (entries and exits blank) before it. The opening stock is not guessed"
        )
    elif len(blank) == 1:
        given = next(f for f in _FLOWS if f not in blank)
        problems.append(
            f"row {opening.line} ({opening.label}), column {blank[0]}: blank but {given} is "
            "given; the opening row (the earliest period) leaves both blank, the rows after it "
            "give both"
        )
    for r in rows[1:]:
        for f in _FLOWS:
            if r.values[f] is None:
                problems.append(
                    f"row {r.line} ({r.label}), column {f}: blank; only the opening row (the "
                    f"earliest period, {opening.label}) leaves entries and exits blank: give the count"
                )
    for r in rows:
        if r.values["children_in_care"] is None:
            problems.append(
                f"row {r.line} ({r.label}), column children_in_care: blank; give the children "
                "in care at the end of the period"
            )


def _population(
    rows: list[_Row], default: float | None, has_column: bool, problems: list[str]
) -> np.ndarray:
    flows = rows[1:]
    if has_column:
        for r in flows:
            if r.values["population"] is None:
                problems.append(
                    f"row {r.line} ({r.label}), column population: blank; give the children "
                    "aged 0-17 in every period with flows (or remove the column)"
                )
        return np.array([r.values["population"] or np.nan for r in flows], dtype=float)
    if default is None:
        problems.append(
            "no population column: add one (children aged 0-17 in each period), or pass "
            "default_population= to hold one population over every period"
        )
        return np.full(len(flows), np.nan)
    if not (isinstance(default, int | float) and np.isfinite(default) and default > 0):
        problems.append(f"default_population must be a positive number, got {default!r}")
        return np.full(len(flows), np.nan)
    return np.full(len(flows), float(default))


def read_counts_fields(
    path: str | os.PathLike[str],
    *,
    default_population: float | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Read and check a counts CSV (see the module docs): the arguments of
    :class:`~sctforecast.demand.data.CareFlowData` (built by
    :func:`~sctforecast.demand.data.read_counts_csv`, so that this module need
    not import the data class that reads through it).

    Parameters
    ----------
    path
        The file (``.csv``, or an ``.xlsx`` sheet laid out the same way).
    default_population
        Children aged 0-17, held over every period when the file has no
        ``population`` column (a file with the column uses its own values).
    source
        What the data are, for the model's outputs (default: the file's path
        and the distinct values of its ``source`` column).

    Raises
    ------
    DataValidationError
        Naming the file and, for each problem, the row and column, all at once.
    """
    where = str(path)
    frame = read_table(path)
    columns = {c.lower(): c for c in frame.columns}
    missing = [c for c in COUNTS_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in (*COUNTS_COLUMNS, *OPTIONAL_COUNTS_COLUMNS)]
    problems = []
    if missing:
        problems.append(
            f"missing column(s) {', '.join(missing)}; the header row must be "
            f"'{','.join(COUNTS_COLUMNS)}' (optionally with population and source), "
            f"got '{','.join(frame.columns)}'"
        )
    elif unknown:  # (the header shown above names them when columns are missing)
        problems.append(
            f"column(s) {', '.join(unknown)} are not read; remove or rename them "
            f"(columns: {', '.join((*COUNTS_COLUMNS, *OPTIONAL_COUNTS_COLUMNS))})"
        )
    if problems:
        raise DataValidationError(problems, where=where)
    used = {c: columns[c] for c in (*COUNTS_COLUMNS, "population") if c in columns}
    bad_periods: list[str] = []
    rows = _read_rows(frame, used, problems, bad_periods)
    _check_periods(rows, bad_periods)
    rows.sort(key=lambda r: r.ordinal)
    if bad_periods:  # which row opens the series is known only when every period is
        raise DataValidationError([*bad_periods, *problems], where=where)
    _check_flows(rows, problems)
    population = _population(rows, default_population, "population" in columns, problems)
    if not problems and len(rows) - 1 < 3:
        problems.append(
            f"{len(rows) - 1} period(s) with flows after the opening row; the model needs at "
            "least 3 (a trend cannot be seen in fewer)"
        )
    if problems:
        raise DataValidationError(problems, where=where)
    notes = sorted({str(v).strip() for v in frame.get(columns.get("source", ""), [])} - {""})
    text = source or "; ".join([f"counts CSV {Path(path).name}", *notes])
    return dict(
        periods=tuple(r.label for r in rows[1:]),
        entries=np.array([r.values["entries"] for r in rows[1:]], dtype=float),
        exits=np.array([r.values["exits"] for r in rows[1:]], dtype=float),
        stock=np.array([r.values["children_in_care"] for r in rows], dtype=float),
        population=population,
        freq=rows[0].kind,
        source=text,
    )
