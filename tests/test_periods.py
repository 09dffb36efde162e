import datetime as dt

import pytest
from hypothesis import given
from strategies import start_years

from sctforecast import DataValidationError, FinancialYear


@pytest.mark.parametrize(
    "text", ["2023/24", "2023-24", "2023/2024", "FY24", "fy2024", "2023 - 24", 2023, "2023"]
)
def test_parse_forms(text):
    assert FinancialYear.parse(text) == FinancialYear(2023)


@pytest.mark.parametrize("bad", ["2023/25", "23/24", "next year", "", "2023/22", 3.5])
def test_parse_rejects(bad):
    with pytest.raises(DataValidationError, match="financial year"):
        FinancialYear.parse(bad)


def test_century_rollover():
    assert FinancialYear.parse("1999/00") == FinancialYear(1999)
    assert FinancialYear(1999).label == "1999/00"


def test_dates_and_arithmetic():
    fy = FinancialYear(2023)
    assert (fy.start, fy.end) == (dt.date(2023, 4, 1), dt.date(2024, 3, 31))
    assert fy.days == 366 and FinancialYear(2024).days == 365
    assert fy + 1 == FinancialYear(2024) and fy - 1 == FinancialYear(2022)
    assert FinancialYear(2026) - fy == 3
    assert str(fy.months()[0]) == "2023-04" and str(fy.months()[-1]) == "2024-03"
    assert FinancialYear.containing("2024-03-31") == fy
    assert FinancialYear.containing("2024-04-01") == FinancialYear(2024)


@given(start_years)
def test_label_round_trip(y):
    fy = FinancialYear(y)
    assert FinancialYear.parse(fy.label) == fy
    assert FinancialYear.containing(fy.start) == fy == FinancialYear.containing(fy.end)
