"""Reading tables from CSV and Excel, and writing output folders atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from sctforecast.errors import DataValidationError

__all__ = ["read_table", "atomic_directory", "atomic_file"]

_EXCEL = {".xlsx", ".xlsm"}


def read_table(path: str | os.PathLike[str], *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or an Excel sheet as text cells (numbers from Excel stay numbers).

    Every cell of a CSV is read as text so that amounts are parsed by the
    library's own money rules, never guessed by pandas.  Raises
    :class:`DataValidationError` naming the file for a missing, empty or
    unreadable file, a file that is not a spreadsheet, or a missing sheet.
    """
    p = Path(path)
    if not p.exists():
        raise DataValidationError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise DataValidationError(f"{p}: is a folder, expected a .csv or .xlsx file")
    if p.stat().st_size == 0:
        raise DataValidationError(f"{p}: the file is empty; export the ledger again")
    suffix = p.suffix.lower()
    if suffix in _EXCEL:
        return _read_excel(p, sheet)
    if suffix == ".xls":
        raise DataValidationError(
            f"{p}: old .xls workbooks are not read; save it as .xlsx (Excel workbook) or .csv"
        )
    if sheet is not None:
        raise DataValidationError(f"{p}: a sheet ({sheet!r}) was named but the file is not .xlsx")
    if suffix not in {".csv", ".txt"}:
        raise DataValidationError(f"{p}: unknown file type {suffix!r}; give a .csv or .xlsx file")
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except UnicodeDecodeError as err:
        raise DataValidationError(
            f"{p}: is not a text CSV file (cannot decode it as UTF-8); "
            "export the sheet as 'CSV UTF-8'"
        ) from err
    except pd.errors.EmptyDataError as err:
        raise DataValidationError(f"{p}: the file has no header row or data") from err
    except pd.errors.ParserError as err:
        raise DataValidationError(f"{p}: could not be read as CSV ({err})") from err
    if frame.empty:
        raise DataValidationError(f"{p}: has a header but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_excel(p: Path, sheet: str | None) -> pd.DataFrame:
    if not zipfile.is_zipfile(p):
        raise DataValidationError(
            f"{p}: is not an Excel workbook (an .xlsx file is a zip archive and this is not); "
            "open it in Excel and save it as .xlsx, or export it as CSV"
        )
    try:
        book = pd.ExcelFile(p, engine="openpyxl")
    except Exception as err:  # openpyxl raises several unrelated types for broken files
        raise DataValidationError(f"{p}: could not be opened as an Excel workbook ({err})") from err
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise DataValidationError(
                f"{p}: has no sheet {sheet!r}; its sheets are {', '.join(repr(n) for n in names)}"
            )
        frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
    frame = frame.dropna(how="all")
    if frame.empty:
        raise DataValidationError(f"{p}, sheet {sheet!r}: the sheet has no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["sheet"] = sheet
    return frame


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place at the end.

    On any error the temporary folder is removed and ``target`` is untouched:
    no half-written output.  An existing ``target`` is replaced only after the
    new one is complete.
    """
    final = Path(target).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Write to a temporary file beside ``target`` and rename it on success."""
    final = Path(target).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)
