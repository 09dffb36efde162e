"""Ledgers and outturns: lines of income and expenditure by financial year.

A ledger is a tidy table, one row a line::

    financial_year  line                 kind         amount_pence  source
    2023/24         Contract Sum (basic) income       7447500000    004 Section (e)

``kind`` is one of :data:`LINE_KINDS` (income and expenditure lines) or
:data:`STATED_KINDS` (totals as a document states them, which reconciliation
checks against the lines).  Amounts are positive magnitudes: an expenditure
line of 100 is money spent; a deficit of 100 is a deficit.  A negative amount
on a line is a credit (a refund or a recharge netted off).

Files come in two layouts, both read by :func:`read_ledger`:

* long: columns ``financial_year, line, kind, amount`` (``source`` optional);
* wide: columns ``line, kind`` then one column per financial year
  (``2022/23, 2023/24, ...``) in order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.errors import DataValidationError
from sctforecast.money import format_money, parse_money, to_pence
from sctforecast.periods import FinancialYear

__all__ = ["Ledger", "read_ledger", "LINE_KINDS", "STATED_KINDS", "LEDGER_COLUMNS"]

LINE_KINDS = ("income", "expenditure")
STATED_KINDS = (
    "total_income",
    "total_expenditure",
    "in_year_deficit",
    "opening_cumulative_deficit",
    "closing_cumulative_deficit",
)
ALL_KINDS = LINE_KINDS + STATED_KINDS
LEDGER_COLUMNS = ("financial_year", "line", "kind", "amount_pence", "source", "row")
# Sums of lines stay exact in int64 pence: the absolute amounts may add up to 2**62 at most.
_MAX_SUM_PENCE = 2**62


@dataclass(frozen=True)
class Ledger:
    """Validated lines of a ledger or outturn (amounts in integer pence).

    Build one with :meth:`from_frame`, :meth:`from_records` or
    :func:`read_ledger`; the constructor expects an already tidy frame with
    :data:`LEDGER_COLUMNS`.
    """

    table: pd.DataFrame
    origin: str = "<frame>"
    _years: tuple[FinancialYear, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        years = tuple(sorted({FinancialYear.parse(y) for y in self.table["financial_year"]}))
        object.__setattr__(self, "_years", years)

    # --- construction ----------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        origin: str = "<frame>",
        sheet: str | None = None,
        required_lines: Iterable[str] = (),
    ) -> Ledger:
        """Validate a long or wide frame and return a :class:`Ledger`.

        Every problem in the frame is collected and raised once as a
        :class:`DataValidationError` naming ``origin`` (and ``sheet``), the
        row (as numbered in the file, header = row 1) and the column.
        """
        where = origin if sheet is None else f"{origin}, sheet {sheet!r}"
        if frame is None or len(frame) == 0:
            raise DataValidationError("the ledger has no rows", where=where)
        frame = frame.rename(columns=lambda c: str(c).strip())
        lower = {c.lower(): c for c in frame.columns}
        if "financial_year" in lower or "year" in lower:
            long = _long_from_long(frame, lower, where)
        else:
            long = _long_from_wide(frame, lower, where)
        return cls(_validate(long, where, tuple(required_lines)), origin=where)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]], **kwargs: object) -> Ledger:
        """Build from dicts with keys financial_year, line, kind, amount (pounds)."""
        return cls.from_frame(pd.DataFrame(list(records)), **kwargs)  # type: ignore[arg-type]

    # --- queries ---------------------------------------------------------
    @property
    def years(self) -> tuple[FinancialYear, ...]:
        """The financial years in the ledger, in order."""
        return self._years

    def lines(
        self, year: FinancialYear | str | int | None = None, kind: str | None = None
    ) -> pd.DataFrame:
        """Rows for one year and/or kind (a copy)."""
        t = self.table
        if year is not None:
            t = t[t["financial_year"] == FinancialYear.parse(year).label]
        if kind is not None:
            t = t[t["kind"] == kind]
        return t.copy()

    def total(self, year: FinancialYear | str | int, kind: str) -> int:
        """Sum of the lines of ``kind`` in ``year`` (pence)."""
        if kind not in LINE_KINDS:
            raise DataValidationError(f"total() sums line kinds {LINE_KINDS}, not {kind!r}")
        return int(self.lines(year, kind)["amount_pence"].sum())

    def amount(self, year: FinancialYear | str | int, line: str) -> int:
        """The amount of one named line (pence)."""
        rows = self.lines(year)
        rows = rows[rows["line"] == line]
        if rows.empty:
            known = ", ".join(repr(x) for x in self.lines(year)["line"])
            raise DataValidationError(
                f"{self.origin}: no line {line!r} in {FinancialYear.parse(year)}; lines are {known}"
            )
        return int(rows["amount_pence"].iloc[0])

    def stated(self, year: FinancialYear | str | int, kind: str) -> pd.DataFrame:
        """Stated totals of ``kind`` for ``year`` (there may be several sources)."""
        if kind not in STATED_KINDS:
            raise DataValidationError(f"stated() takes one of {STATED_KINDS}, not {kind!r}")
        return self.lines(year, kind)

    def in_year_deficit(self, year: FinancialYear | str | int) -> int:
        """Expenditure lines minus income lines (pence): positive is a deficit."""
        return self.total(year, "expenditure") - self.total(year, "income")

    def to_frame(self, *, pounds: bool = False) -> pd.DataFrame:
        """The tidy table; with ``pounds=True`` an ``amount`` column as exact text."""
        t = self.table.copy()
        if pounds:
            t["amount"] = [format_money(v, show_pence=True) for v in t["amount_pence"]]
        return t

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        years = ", ".join(y.label for y in self.years)
        return f"<Ledger {self.origin}: {len(self)} rows, years {years}>"


def read_ledger(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    required_lines: Sequence[str] = (),
) -> Ledger:
    """Read a ledger from a CSV or an Excel sheet (long or wide layout)."""
    frame = read_table(path, sheet=sheet)
    used_sheet = frame.attrs.get("sheet")
    return Ledger.from_frame(
        frame, origin=str(Path(path)), sheet=used_sheet, required_lines=required_lines
    )


# ---------------------------------------------------------------------------
def _missing_columns(lower: Mapping[str, str], needed: Sequence[str], where: str) -> None:
    missing = [c for c in needed if c not in lower]
    if missing:
        raise DataValidationError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(lower.values())}. "
            "A long ledger needs financial_year, line, kind, amount; a wide one needs "
            "line, kind and one column per financial year",
            where=where,
        )


def _long_from_long(frame: pd.DataFrame, lower: Mapping[str, str], where: str) -> pd.DataFrame:
    year_col = lower.get("financial_year") or lower["year"]
    _missing_columns(lower, ["line", "kind", "amount"], where)
    out = pd.DataFrame(
        {
            "financial_year": frame[year_col].to_numpy(dtype=object),
            "line": frame[lower["line"]].to_numpy(dtype=object),
            "kind": frame[lower["kind"]].to_numpy(dtype=object),
            "amount": frame[lower["amount"]].to_numpy(dtype=object),
            "source": (frame[lower["source"]].to_numpy(dtype=object) if "source" in lower else ""),
            "row": np.arange(len(frame)) + 2,
            "column": lower["amount"],
        }
    )
    return out


def _long_from_wide(frame: pd.DataFrame, lower: Mapping[str, str], where: str) -> pd.DataFrame:
    _missing_columns(lower, ["line", "kind"], where)
    year_cols: list[tuple[str, FinancialYear]] = []
    for c in frame.columns:
        if c.lower() in {"line", "kind", "source"}:
            continue
        try:
            year_cols.append((c, FinancialYear.parse(c)))
        except DataValidationError as err:
            raise DataValidationError(
                f"column {c!r} is neither line, kind, source nor a financial year such as '2023/24'",
                where=where,
            ) from err
    if not year_cols:
        _missing_columns(lower, ["financial_year", "amount"], where)
    years = [y for _, y in year_cols]
    problems = []
    for (c0, y0), (c1, y1) in zip(year_cols, year_cols[1:], strict=False):
        if y1 <= y0:
            problems.append(
                f"year columns out of order: {c1!r} ({y1}) comes after {c0!r} ({y0}); "
                "put the year columns in order, earliest first"
            )
        elif y1 - y0 != 1:
            problems.append(f"year columns skip from {y0} to {y1}; add the missing year(s)")
    if problems:
        raise DataValidationError(problems, where=where)
    parts = []
    for col, year in zip((c for c, _ in year_cols), years, strict=True):
        parts.append(
            pd.DataFrame(
                {
                    "financial_year": year.label,
                    "line": frame[lower["line"]].to_numpy(dtype=object),
                    "kind": frame[lower["kind"]].to_numpy(dtype=object),
                    "amount": frame[col].to_numpy(dtype=object),
                    "source": (
                        frame[lower["source"]].to_numpy(dtype=object) if "source" in lower else ""
                    ),
                    "row": np.arange(len(frame)) + 2,
                    "column": col,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _shown(v: object, width: int = 60) -> str:
    """``repr(v)`` cut to ``width`` characters, for messages about huge cells."""
    text = repr(v)
    return text if len(text) <= width else text[: width - 3] + "..."


def _blank(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and np.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _parse_amount(v: object, where: str) -> int:
    if isinstance(v, str):
        return parse_money(v, where=where)
    if isinstance(v, bool):
        raise DataValidationError(f"{where}: {v!r} is not an amount; enter the amount in pounds")
    if isinstance(v, int | float | np.integer | np.floating):
        return int(to_pence(v, where=where))
    raise DataValidationError(
        f"{where}: {_shown(v)} ({type(v).__name__}) is not an amount of money; "
        "enter the amount in pounds as a number"
    )


def _validate(long: pd.DataFrame, where: str, required_lines: tuple[str, ...]) -> pd.DataFrame:
    problems: list[str] = []
    years: list[str | None] = []
    amounts: list[int | None] = []
    kinds: list[str | None] = []
    lines: list[str | None] = []
    for rec in long.itertuples(index=False):
        at = f"row {rec.row}"
        # financial year
        if _blank(rec.financial_year):
            problems.append(f"{at}, column financial_year: blank; write the year as '2023/24'")
            years.append(None)
        else:
            try:
                years.append(FinancialYear.parse(str(rec.financial_year).strip()).label)
            except DataValidationError as err:
                problems.append(f"{at}, column financial_year: {err}")
                years.append(None)
        # line name
        if _blank(rec.line):
            problems.append(f"{at}, column line: blank line name; give every line a name")
            lines.append(None)
        else:
            lines.append(str(rec.line).strip())
        # kind
        kind = None if _blank(rec.kind) else str(rec.kind).strip().lower()
        if kind not in ALL_KINDS:
            problems.append(
                f"{at}, column kind: unknown kind {_shown(rec.kind)}; use one of {', '.join(ALL_KINDS)}"
            )
            kind = None
        kinds.append(kind)
        # amount
        if _blank(rec.amount):
            problems.append(f"{at}, column {rec.column}: blank amount; enter 0 if the line is nil")
            amounts.append(None)
        else:
            try:
                amounts.append(_parse_amount(rec.amount, f"{at}, column {rec.column}"))
            except DataValidationError as err:
                problems.append(str(err))
                amounts.append(None)
    tidy = pd.DataFrame(
        {
            "financial_year": years,
            "line": lines,
            "kind": kinds,
            "amount_pence": amounts,
            "source": ["" if _blank(s) else str(s).strip() for s in long["source"]],
            "row": long["row"].to_numpy(),
        }
    )
    ok = tidy.dropna(subset=["financial_year", "line", "kind"])
    # duplicated lines
    dup = ok[ok.duplicated(subset=["financial_year", "line"], keep=False)]
    for (fy, line), grp in dup.groupby(["financial_year", "line"], sort=True):
        rows = ", ".join(str(r) for r in grp["row"])
        problems.append(
            f"{fy}: line {_shown(line)} appears more than once (rows {rows}); merge or rename the rows"
        )
    # every year needs income and expenditure lines
    present = sorted({FinancialYear.parse(y) for y in ok["financial_year"]})
    for fy in present:
        kinds_here = set(ok.loc[ok["financial_year"] == fy.label, "kind"])
        for k in LINE_KINDS:
            if k not in kinds_here:
                problems.append(
                    f"{fy}: no {k} lines; every year needs income and expenditure lines"
                )
        names = set(ok.loc[ok["financial_year"] == fy.label, "line"])
        for req in required_lines:
            if req not in names:
                problems.append(f"{fy}: required line {req!r} is missing")
    # no gaps between years
    for a, b in zip(present, present[1:], strict=False):
        between = b.start_year - a.start_year
        if between != 1:
            gap = ", ".join(str(a + i) for i in range(1, between))
            problems.append(f"financial year(s) {gap} missing between {a} and {b}")
    # expenditure signed as outflows
    exp = ok[(ok["kind"] == "expenditure")].dropna(subset=["amount_pence"])
    for fy, grp in exp.groupby("financial_year"):
        if len(grp) > 1 and (grp["amount_pence"] < 0).all():
            problems.append(
                f"{fy}: every expenditure line is negative, as if written as outflows "
                "'(32,434,958)'; state expenditure as positive amounts (a negative line is a credit)"
            )
    # every line is within the money bounds; so must be what they add up to
    if sum(abs(a) for a in amounts if a is not None) > _MAX_SUM_PENCE:
        problems.append(
            f"the amounts add up to more than {format_money(_MAX_SUM_PENCE, symbol=True)}, beyond what "
            "the ledger can total exactly; check for amounts entered in pence or repeated rows"
        )
    if problems:
        raise DataValidationError(problems, where=where)
    tidy["amount_pence"] = tidy["amount_pence"].astype(np.int64)
    return tidy.sort_values(["financial_year", "row"], kind="stable").reset_index(drop=True)
