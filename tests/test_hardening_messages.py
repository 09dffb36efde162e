"""Messages the fuzzing produced, improved: each names the file (and row, column or key where
there is one) and says how to fix it.  One fixture per failure mode."""

import io
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from sctforecast import DataQualityWarning, DataValidationError, read_ledger
from sctforecast.ssda903 import read_ssda903

LEDGER = "financial_year,line,kind,amount\n2023/24,CS,income,10\n2023/24,P,expenditure,4\n"


def _bytes(tmp_path, data: bytes, name="ledger.csv"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"ledger\.csv: the file is empty; check it is the right file$"),
        (
            "financial_year,line,kind,amount\n2023/24,Caf\u00e9,income,10\n".encode("cp1252"),
            r"ledger\.csv: is not a text CSV file in UTF-8 \(line 2 holds the byte 0xe9\); "
            r"save it as 'CSV UTF-8'",
        ),
        (
            LEDGER.encode("utf-16"),
            r"ledger\.csv: is not a text CSV file in UTF-8 \(it starts as UTF-16 text does\)",
        ),
        (
            b"line,kind,2023/24,2023/24\nCS,income,1,2\n",
            r"ledger\.csv: column\(s\) '2023/24' appear more than once in the header row; keep one",
        ),
        (
            b"line,kind, amount,amount\nCS,income,1,2\n",
            r"column\(s\) 'amount' appear more than once",
        ),
        (
            b"line,kind,2023/24\nCS,income,1,2\nP,expenditure,3,4\n",
            r"ledger\.csv: the data rows have more values than the header row has column names",
        ),
        (
            b"line,kind,2023/24\nCS,income,1\nP,expenditure,3,4,5\n",
            r"ledger\.csv: could not be read as CSV \(Error tokenizing data\. C error: Expected 3 "
            r"fields in line 3, saw 5\); check for commas inside values",
        ),
    ],
)
def test_csv_files_that_cannot_be_read_as_tables(tmp_path, data, message):
    with pytest.raises(DataValidationError, match=message) as info:
        read_ledger(_bytes(tmp_path, data))
    assert "\n" not in str(info.value)  # one line: nothing of the parser's own layout


def _workbook(cells) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Outturn"
    for row in cells:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_a_number_excel_cannot_hold(tmp_path):
    """The largest float is written with 16 digits and reads back as infinity."""
    data = _workbook([["line", "kind", "2023/24"], ["CS", "income", 1.7976931348623157e308]])
    with pytest.raises(
        DataValidationError,
        match=r"ledger\.xlsx, sheet 'Outturn': a cell holds a number Excel cannot hold .*"
        r"correct the cell and save it again",
    ):
        read_ledger(_bytes(tmp_path, data, "ledger.xlsx"))


def test_xlsx_whose_sheet_is_damaged(tmp_path):
    good = _workbook([["line", "kind", "2023/24"], ["CS", "income", 1]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # cut off mid-way
            dst.writestr(item, body)
    with pytest.raises(
        DataValidationError,
        match=r"ledger\.xlsx, sheet 'Outturn': could not be read \(.*\); open the workbook in "
        "Excel and save it again",
    ):
        read_ledger(_bytes(tmp_path, out.getvalue(), "ledger.xlsx"))


# --- SSDA903 --------------------------------------------------------------------------------
HEADER = "CHILD,SEX,DOB\n1,1,01/01/2000\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n1,01/04/2022,S,C2,N1,U4,PR1,,\n"


def _returns(tmp_path, header=HEADER, episodes=EPISODES):
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "header.csv").write_text(header)
    (folder / "episodes.csv").write_text(episodes)
    return folder


def test_one_problem_in_a_return_names_the_file_once(tmp_path):
    folder = _returns(tmp_path, episodes=EPISODES.replace(",REC", "").replace(",,\n", ",\n"))
    with pytest.raises(DataValidationError) as info:
        read_ssda903(folder)
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'episodes.csv'}: missing column(s) REC")
    assert msg.count(str(folder)) == 1


def test_several_problems_are_listed_under_the_folder(tmp_path):
    folder = _returns(tmp_path, header="CHILD,DOB\n1,01/01/2000\n", episodes="CHILD\n1\n")
    with pytest.raises(DataValidationError, match=rf"^{folder}: 2 problems:\n  - .*header\.csv"):
        read_ssda903(folder)


def test_an_episode_after_the_18th_birthday_names_file_row_and_fix(tmp_path):
    folder = _returns(tmp_path, episodes=EPISODES.replace("01/04/2022", "02/01/2018"))
    with pytest.raises(
        DataValidationError,
        match=r"start on or after the child's 18th birthday: child 1 2018-01-02 "
        r"\(returns/episodes\.csv:2\); correct DECOM or DOB",
    ):
        read_ssda903(folder)


def test_an_episode_starting_after_its_folders_year_is_not_closed_before_it_starts(tmp_path):
    """Found by fuzzing (before the reader read collection years from the dates): an open
    episode in folder 2022 starting after 31 March 2022, its child missing from folder 2023,
    was closed on 1 April 2022, before it started, and the overlap rule then raised 'end
    before they start' naming no file."""
    root = tmp_path / "returns"
    for year, child in (("2022", "1"), ("2023", "2")):
        (root / year).mkdir(parents=True)
        (root / year / "header.csv").write_text(f"CHILD,SEX,DOB\n{child},1,01/01/2010\n")
        (root / year / "episodes.csv").write_text(
            EPISODES.replace("1,01/04/2022", f"{child},01/06/2022")
        )
    with pytest.warns(DataQualityWarning, match="absent from|missing from"):
        data = read_ssda903(root)
    eps = data.episodes.set_index("child")
    assert eps.loc["1", "end"] > eps.loc["1", "start"]
    assert pd.isna(eps.loc["2", "end"])


def test_dates_outside_the_years_the_library_holds(tmp_path):
    """Found by fuzzing: a return dated 1 January 1900 reached FinancialYear(1899), whose
    error named no file."""
    folder = _returns(
        tmp_path,
        header="CHILD,SEX,DOB\n1,1,01/01/1900\n",
        episodes=EPISODES.replace("01/04/2022", "01/01/1900"),
    )
    with pytest.raises(
        DataValidationError,
        match=r"returns/header\.csv, column DOB: date\(s\) outside 1 April 1900 to 31 March 2201 "
        r"at row 2 \('01/01/1900'\); check the year",
    ):
        read_ssda903(folder)
