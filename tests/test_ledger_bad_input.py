"""One fixture per failure mode; each asserts the error type and the message."""

import pandas as pd
import pytest
from openpyxl import Workbook

from sctforecast import DataValidationError, Ledger, read_ledger

GOOD = """financial_year,line,kind,amount,source
2023/24,Contract Sum,income,"74,475,000",004
2023/24,Placements,expenditure,"48,565,330",004
"""


def write(tmp_path, text, name="ledger.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_csv(tmp_path):
    ledger = read_ledger(write(tmp_path, GOOD))
    assert ledger.total("2023/24", "income") == 74_475_000_00
    assert ledger.in_year_deficit("2023/24") == (48_565_330 - 74_475_000) * 100


def test_duplicated_line(tmp_path):
    text = GOOD + '2023/24,Placements,expenditure,"1,000",004\n'
    with pytest.raises(
        DataValidationError, match=r"ledger.csv.*'Placements' appears more than once \(rows 3, 4\)"
    ):
        read_ledger(write(tmp_path, text))


def test_missing_lines(tmp_path):
    text = "financial_year,line,kind,amount\n2023/24,Contract Sum,income,100\n"
    with pytest.raises(DataValidationError, match="2023/24: no expenditure lines"):
        read_ledger(write(tmp_path, text))
    with pytest.raises(DataValidationError, match="required line 'Overheads' is missing"):
        read_ledger(write(tmp_path, GOOD), required_lines=["Overheads"])


def test_blank_and_non_numeric_amounts_are_all_reported(tmp_path):
    text = GOOD + "2023/24,Overheads,expenditure,,004\n2023/24,Staffing,expenditure,lots,004\n"
    with pytest.raises(DataValidationError) as info:
        read_ledger(write(tmp_path, text))
    msg = str(info.value)
    assert "2 problems" in msg
    assert "row 4, column amount: blank amount" in msg
    assert "row 5, column amount: 'lots' is not an amount" in msg


def test_unknown_kind(tmp_path):
    text = GOOD + "2023/24,Grant,incom,5,004\n"
    with pytest.raises(
        DataValidationError, match="row 4, column kind: unknown kind 'incom'; use one of income"
    ):
        read_ledger(write(tmp_path, text))


def test_missing_year_between_years(tmp_path):
    text = GOOD + "2025/26,Contract Sum,income,1,x\n2025/26,Placements,expenditure,1,x\n"
    with pytest.raises(
        DataValidationError,
        match=r"financial year\(s\) 2024/25 missing between 2023/24 and 2025/26",
    ):
        read_ledger(write(tmp_path, text))


def test_bad_year(tmp_path):
    text = GOOD + "2023/25,Overheads,expenditure,1,x\n"
    with pytest.raises(DataValidationError, match="row 4, column financial_year"):
        read_ledger(write(tmp_path, text))


def test_wide_layout_and_years_out_of_order(tmp_path):
    ok = "line,kind,2022/23,2023/24\nContract Sum,income,1,2\nPlacements,expenditure,1,3\n"
    ledger = read_ledger(write(tmp_path, ok))
    assert [y.label for y in ledger.years] == ["2022/23", "2023/24"]
    assert ledger.total("2023/24", "expenditure") == 300
    bad = "line,kind,2023/24,2022/23\nContract Sum,income,1,2\nPlacements,expenditure,1,3\n"
    with pytest.raises(DataValidationError, match="year columns out of order: '2022/23'"):
        read_ledger(write(tmp_path, bad))
    gap = "line,kind,2021/22,2023/24\nContract Sum,income,1,2\nPlacements,expenditure,1,3\n"
    with pytest.raises(DataValidationError, match="skip from 2021/22 to 2023/24"):
        read_ledger(write(tmp_path, gap))


def test_expenditure_written_as_outflows(tmp_path):
    text = "financial_year,line,kind,amount\n2023/24,CS,income,100\n2023/24,A,expenditure,(5)\n2023/24,B,expenditure,(6)\n"
    with pytest.raises(DataValidationError, match="every expenditure line is negative"):
        read_ledger(write(tmp_path, text))


def test_missing_columns(tmp_path):
    with pytest.raises(DataValidationError, match="missing column"):
        read_ledger(write(tmp_path, "financial_year,line,amount\n2023/24,x,1\n"))


def test_empty_file(tmp_path):
    with pytest.raises(DataValidationError, match="ledger.csv: the file is empty"):
        read_ledger(write(tmp_path, ""))
    with pytest.raises(DataValidationError, match="header but no data rows"):
        read_ledger(write(tmp_path, "financial_year,line,kind,amount\n"))


def test_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="no such file"):
        read_ledger(tmp_path / "nope.csv")


def test_not_a_spreadsheet(tmp_path):
    p = tmp_path / "ledger.xlsx"
    p.write_text("this is not a workbook")
    with pytest.raises(DataValidationError, match="ledger.xlsx: is not an Excel workbook"):
        read_ledger(p)
    b = tmp_path / "binary.csv"
    b.write_bytes(b"\xff\xfe\x00\x81\x82garbage")
    with pytest.raises(DataValidationError, match="binary.csv: is not a text CSV"):
        read_ledger(b)


def _workbook(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Outturn"
    ws.append(["financial_year", "line", "kind", "amount"])
    ws.append(["2023/24", "Contract Sum", "income", 74475000])
    ws.append(["2023/24", "Placements", "expenditure", 48565330.5])
    p = tmp_path / "ledger.xlsx"
    wb.save(p)
    return p


def test_excel_sheet(tmp_path):
    p = _workbook(tmp_path)
    ledger = read_ledger(p, sheet="Outturn")
    assert ledger.total("2023/24", "expenditure") == 4_856_533_050
    assert "sheet 'Outturn'" in ledger.origin


def test_missing_sheet(tmp_path):
    p = _workbook(tmp_path)
    with pytest.raises(
        DataValidationError, match="has no sheet 'Budget'; its sheets are 'Outturn'"
    ):
        read_ledger(p, sheet="Budget")


def test_frame_without_rows():
    with pytest.raises(DataValidationError, match="no rows"):
        Ledger.from_frame(pd.DataFrame())
