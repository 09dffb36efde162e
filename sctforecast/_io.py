"""Reading input files within stated bounds; writing outputs safely.

* :func:`read_table` reads a CSV or an Excel sheet (at most
  :data:`MAX_TABLE_BYTES`);
* :func:`read_toml` reads a TOML file (at most :data:`MAX_TOML_BYTES`, nested
  at most :data:`MAX_TOML_DEPTH` levels, numbers finite);
* :func:`write_csv` writes a table as CSV with user text stored so that a
  spreadsheet shows it and never runs it as a formula;
* :func:`atomic_directory` and :func:`atomic_file` build outputs beside their
  destination and move them into place only when complete (see
  :mod:`sctforecast._atomic`).

Every problem with an input is a :class:`DataValidationError` or a
:class:`ConfigError` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from sctforecast._atomic import atomic_directory, atomic_file, remove_leftovers
from sctforecast.errors import ConfigError, DataValidationError

__all__ = [
    "read_table",
    "read_toml",
    "write_csv",
    "formula_safe",
    "atomic_directory",
    "atomic_file",
    "remove_leftovers",
    "MAX_TABLE_BYTES",
    "MAX_TOML_BYTES",
    "MAX_TOML_DEPTH",
]

_EXCEL = {".xlsx", ".xlsm"}
#: The largest CSV or Excel file read: 200 MB.
MAX_TABLE_BYTES = 200 * 1024 * 1024
#: The largest TOML file read: 2 MB (a scenario is a few kilobytes).
MAX_TOML_BYTES = 2 * 1024 * 1024
#: The deepest nesting of tables and arrays accepted in a TOML file.
MAX_TOML_DEPTH = 20


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
    size = p.stat().st_size
    if size == 0:
        raise DataValidationError(f"{p}: the file is empty; check it is the right file")
    if size > MAX_TABLE_BYTES:
        raise DataValidationError(
            f"{p}: the file is {size / 1e6:,.0f} MB, more than the {MAX_TABLE_BYTES / 1e6:,.0f} MB "
            "read; check it is the right file, or split it"
        )
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
        raise DataValidationError(f"{p}: {_not_utf8(p)}; save it as 'CSV UTF-8'") from err
    except pd.errors.EmptyDataError as err:
        raise DataValidationError(f"{p}: the file has no header row or data") from err
    except pd.errors.ParserError as err:
        detail = " ".join(str(err).split())
        raise DataValidationError(
            f"{p}: could not be read as CSV ({detail}); check for commas inside values that "
            "are not in quotes"
        ) from err
    if frame.empty:
        raise DataValidationError(f"{p}: has a header but no data rows; check it is the right file")
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the extra first field as an index
        raise DataValidationError(
            f"{p}: the data rows have more values than the header row has column names; "
            "name every column, or check for commas inside values that are not in quotes"
        )
    return _clean_header(frame, str(p))


_MANGLED = re.compile(r"(?P<base>.*)\.(?P<n>[0-9]+)")


def _clean_header(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Strip column names; refuse a name given twice (pandas renames the second 'x.1')."""
    raw = [str(c) for c in frame.columns]
    names = [c.strip() for c in raw]
    repeated = sorted(
        {
            m.group("base").strip()
            for c in raw
            if (m := _MANGLED.fullmatch(c)) and m.group("base") in raw
        }
        | {c for c in names if names.count(c) > 1}
    )
    if repeated:
        raise DataValidationError(
            f"{where}: column(s) {', '.join(repr(c) for c in repeated)} appear more than once "
            "in the header row; keep one of each (or rename them)"
        )
    frame.columns = names
    return frame


def _not_utf8(p: Path) -> str:
    """Where a file stops being UTF-8 text (only read when decoding has failed)."""
    raw = p.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "is not a text CSV file in UTF-8 (it starts as UTF-16 text does)"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        return f"is not a text CSV file in UTF-8 (line {line} holds the byte {raw[err.start]:#04x})"
    return "is not a text CSV file in UTF-8"


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
        if not names:
            raise DataValidationError(f"{p}: the workbook has no sheets")
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise DataValidationError(
                f"{p}: has no sheet {sheet!r}; its sheets are {', '.join(repr(n) for n in names)}"
            )
        try:
            frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
        except (OverflowError, ValueError) as err:  # pandas' int(cell) of an inf or nan number
            raise DataValidationError(
                f"{p}, sheet {sheet!r}: a cell holds a number Excel cannot hold ({err}); "
                "open the workbook in Excel, correct the cell and save it again"
            ) from err
        except Exception as err:  # noqa: BLE001 - openpyxl parses sheets lazily: broken XML, zip
            raise DataValidationError(
                f"{p}, sheet {sheet!r}: could not be read ({type(err).__name__}: {err}); "
                "open the workbook in Excel and save it again, or export the sheet as CSV"
            ) from err
    frame = frame.dropna(how="all")
    if frame.empty:
        raise DataValidationError(
            f"{p}, sheet {sheet!r}: the sheet has no data rows; name the sheet that holds them"
        )
    frame = _clean_header(frame, f"{p}, sheet {sheet!r}")
    frame.attrs["sheet"] = sheet
    return frame


# --- TOML -------------------------------------------------------------------------------
def read_toml(path: str | os.PathLike[str], *, kind: str = "TOML") -> dict[str, Any]:
    """Read a TOML file into nested dicts, within bounds.

    ``kind`` names the file in messages (``"scenario"``: "no such scenario file").

    Raises :class:`ConfigError` naming the file when it is missing, a folder,
    larger than :data:`MAX_TOML_BYTES`, not UTF-8 text, not valid TOML (the
    message gives the line and column), nested deeper than
    :data:`MAX_TOML_DEPTH` tables and arrays, or holds a value that cannot be
    used (``nan``, ``inf``, an integer of thousands of digits).  A UTF-8 byte
    order mark, as some editors write, is allowed.
    """
    p = Path(path)
    try:
        if not p.exists():
            raise ConfigError(f"{p}: no such {kind} file; check the path")
        if p.is_dir():
            raise ConfigError(f"{p}: is a folder, expected a .toml file")
        size = p.stat().st_size
        if size > MAX_TOML_BYTES:
            raise ConfigError(
                f"{p}: the file is {size:,} bytes, more than the {MAX_TOML_BYTES:,} read; "
                "a scenario file is a few kilobytes: check it is the right file"
            )
        raw = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"{p}: cannot be read ({err.strerror or err}); check the path") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(
            f"{p}: is not UTF-8 text (line {line} holds the byte {raw[err.start]:#04x}); "
            "save the file as UTF-8"
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{p}: not valid TOML ({err}); check quoting and brackets") from err
    except RecursionError as err:
        raise ConfigError(
            f"{p}: arrays or inline tables are nested too deeply to read (at most "
            f"{MAX_TOML_DEPTH} levels are accepted); flatten the file"
        ) from err
    except ValueError as err:  # tomllib lets int() refuse numbers of over 4,300 digits
        raise ConfigError(f"{p}: holds a value that cannot be read ({err}); shorten it") from err
    _check_toml_values(data, p)
    return data


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key_path(keys: tuple[str | int, ...]) -> str:
    """``savings[0].amount`` as TOML spells it (keys that are not bare are quoted)."""
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
            continue
        name = k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False)
        out += f".{name}" if out else name
    return out or "(top level)"


def _check_toml_values(data: dict[str, Any], p: Path) -> None:
    """Nesting depth and finite numbers, walked without recursion."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    problems: list[str] = []
    while stack:
        node, keys = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            problems.append(
                f"key {_key_path(keys)} is {node}; write a finite number (nan and inf are not used)"
            )
        if not isinstance(node, dict | list):
            continue
        if len(keys) >= MAX_TOML_DEPTH:
            raise ConfigError(
                f"{p}: key {_key_path(keys[:4])}... is nested more than {MAX_TOML_DEPTH} tables "
                "or arrays deep; a scenario needs at most four levels: flatten the file"
            )
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((v, (*keys, k)) for k, v in items)
    if problems:
        raise ConfigError(sorted(problems), where=str(p))


# --- CSV -----------------------------------------------------------------------------------
# The same rule as the workbook (reporting/workbook.py): text starting with one of these
# can run as a formula when a spreadsheet opens the file.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def formula_safe(value: object) -> object:
    """``value`` as a spreadsheet must show it: text that could run as a formula gets a ``'``.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is prefixed with a single quote, which spreadsheets read as "this is
    text".  Numbers, and text that is a plain number such as ``"-12.5"``, are
    returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_labels(level) for level in index.levels])
    if index.dtype.kind in "OSU" or isinstance(index.dtype, pd.CategoricalDtype | pd.StringDtype):
        return pd.Index([formula_safe(v) for v in index], name=formula_safe(index.name))
    return index.rename(formula_safe(index.name))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write ``frame`` as UTF-8 CSV, atomically, with user text formula-safe.

    Every text cell, column name and (with ``index=True``) index label goes
    through :func:`formula_safe`; numbers are written as pandas writes them.
    This is the one CSV writer of the package.  Returns the path.
    """
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if dtype.kind in "OSU" or isinstance(dtype, pd.CategoricalDtype | pd.StringDtype):
            out[col] = out[col].astype(object).map(formula_safe)
    out.columns = _safe_labels(out.columns)
    if index:
        out.index = _safe_labels(out.index)
    with atomic_file(path) as tmp:
        out.to_csv(tmp, index=index, encoding="utf-8", lineterminator="\n")
    return Path(path)
