"""Financial years (1 April to 31 March) and month helpers.

``FinancialYear(2023)`` is "2023/24": 1 April 2023 to 31 March 2024.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

import pandas as pd

from sctforecast.errors import DataValidationError

__all__ = ["FinancialYear", "month_index", "financial_year_of"]

_SLASH = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[/\-\u2013]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)
_FY_SHORT = re.compile(r"^\s*FY\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)


@total_ordering
@dataclass(frozen=True, slots=True)
class FinancialYear:
    """An English public-sector financial year, April to March.

    Parameters
    ----------
    start_year
        The calendar year in which the financial year starts:
        ``FinancialYear(2023)`` runs 1 April 2023 to 31 March 2024.
    """

    start_year: int

    def __post_init__(self) -> None:
        if not isinstance(self.start_year, int) or isinstance(self.start_year, bool):
            raise DataValidationError(
                f"FinancialYear needs the integer start year, got {self.start_year!r}"
            )
        if not 1900 <= self.start_year <= 2200:
            raise DataValidationError(f"financial year start {self.start_year} is out of range")

    # --- parsing -------------------------------------------------------
    @classmethod
    def parse(cls, value: object) -> FinancialYear:
        """Read "2023/24", "2023-24", "2023/2024", "FY24" (the year ending
        March 2024), a ``FinancialYear`` or a start year as an int."""
        if isinstance(value, FinancialYear):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if not isinstance(value, str):
            raise DataValidationError(f"{value!r} is not a financial year; write it as '2023/24'")
        m = _SLASH.match(value)
        if m:
            start = int(m.group(1))
            end_text = m.group(2)
            end = int(end_text) if len(end_text) == 4 else (start // 100) * 100 + int(end_text)
            if len(end_text) == 2 and end < start:
                end += 100
            if end != start + 1:
                raise DataValidationError(
                    f"{value!r} is not a financial year: {start} must be followed by {start + 1}"
                )
            return cls(start)
        m = _FY_SHORT.match(value)
        if m:
            text = m.group(1)
            end = int(text) if len(text) == 4 else 2000 + int(text)
            return cls(end - 1)
        if value.strip().isdigit() and len(value.strip()) == 4:
            return cls(int(value.strip()))
        raise DataValidationError(
            f"{value!r} is not a financial year; write it as '2023/24', '2023-24' or 'FY24'"
        )

    @classmethod
    def containing(cls, date: dt.date | pd.Timestamp | str) -> FinancialYear:
        """The financial year that contains ``date``."""
        ts = pd.Timestamp(date)
        return cls(ts.year if ts.month >= 4 else ts.year - 1)

    # --- properties ----------------------------------------------------
    @property
    def label(self) -> str:
        """ "2023/24"."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        """The last day, 31 March."""
        return dt.date(self.start_year + 1, 3, 31)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> pd.PeriodIndex:
        """The twelve calendar months, April to March, as monthly periods."""
        return pd.period_range(f"{self.start_year}-04", periods=12, freq="M")

    # --- arithmetic ----------------------------------------------------
    def __add__(self, years: int) -> FinancialYear:
        if not isinstance(years, int):
            return NotImplemented
        return FinancialYear(self.start_year + years)

    def __sub__(self, other: object) -> FinancialYear | int:  # type: ignore[override]
        if isinstance(other, FinancialYear):
            return self.start_year - other.start_year
        if isinstance(other, int):
            return FinancialYear(self.start_year - other)
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FinancialYear):
            return NotImplemented
        return self.start_year < other.start_year

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"FinancialYear({self.start_year})  # {self.label}"


def financial_year_of(period: pd.Period | pd.Timestamp | dt.date) -> FinancialYear:
    """The financial year of a month (``pd.Period``) or a date."""
    if isinstance(period, pd.Period):
        period = period.to_timestamp()
    return FinancialYear.containing(period)


def month_index(first: FinancialYear, n_years: int) -> pd.PeriodIndex:
    """Monthly periods covering ``n_years`` financial years from ``first``."""
    return pd.period_range(f"{first.start_year}-04", periods=12 * n_years, freq="M")
