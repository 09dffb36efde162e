"""Excel workbooks: numbers stored as numbers with a money format, an inputs sheet,
text never run as a formula, written atomically."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sctforecast._io import atomic_file

__all__ = ["write_workbook", "MONEY_FORMAT", "PENCE_FORMAT", "PERCENT_FORMAT"]

MONEY_FORMAT = "#,##0;(#,##0)"
PENCE_FORMAT = "#,##0.00;(#,##0.00)"
PERCENT_FORMAT = "0.0%"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _write_cell(ws, row: int, col: int, value: object, fmt: str | None) -> None:  # type: ignore[no-untyped-def]
    cell = ws.cell(row=row, column=col)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        cell.value = value
        if value.startswith(_FORMULA_START):
            # typed as a string: Excel shows it and never evaluates it
            cell.data_type = "s"
            cell.quotePrefix = True
        return
    if isinstance(value, bool):
        cell.value = value
        return
    if isinstance(value, int | float):
        cell.value = value
        if fmt:
            cell.number_format = fmt
        return
    cell.value = str(value)


def write_workbook(
    path: str | os.PathLike[str],
    sheets: Mapping[str, pd.DataFrame],
    *,
    formats: Mapping[str, Mapping[str, str]] | None = None,
    index: Mapping[str, bool] | None = None,
) -> Path:
    """Write one sheet per DataFrame, atomically (a temp file renamed on success).

    ``formats[sheet][column]`` is an Excel number format (e.g.
    :data:`MONEY_FORMAT`); columns whose names end in ``_pounds`` get the money
    format by default.  ``index[sheet]`` writes the frame's index as the first
    column.
    """
    formats = formats or {}
    index = index or {}
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        df = frame.reset_index() if index.get(name) else frame
        cols = [str(c) for c in df.columns]
        for j, c in enumerate(cols, start=1):
            _write_cell(ws, 1, j, c, None)
            ws.cell(row=1, column=j).font = Font(bold=True)
        fmt = {
            c: formats.get(name, {}).get(c, MONEY_FORMAT if c.endswith("_pounds") else None)
            for c in cols
        }
        default_fmt = formats.get(name, {}).get("*")
        values = df.to_numpy(dtype=object)
        for i in range(values.shape[0]):
            for j, c in enumerate(cols):
                _write_cell(ws, i + 2, j + 1, values[i, j], fmt[c] or default_fmt)
        for j, c in enumerate(cols, start=1):
            width = (
                max([len(c), *(len(str(v)) for v in values[:200, j - 1])])
                if len(values)
                else len(c)
            )
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 80)
        ws.freeze_panes = "B2"
    with atomic_file(path) as tmp:
        wb.save(tmp)
    return Path(path)
