"""CSV outputs store user text so that a spreadsheet shows it and never runs it.

The rule is the workbook's (reporting/workbook.py): text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return could run as a formula, so it
is written with a leading single quote; numbers are never touched.
"""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sctforecast._io import formula_safe, write_csv

ROOT = Path(__file__).resolve().parent.parent
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MARKS = ("=", "+", "-", "@")


def unsafe_fields(path: Path) -> list[str]:
    """Every field of a CSV file that a spreadsheet could run as a formula."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            field
            for row in csv.reader(fh)
            for field in row
            if field.startswith(TRIGGERS) and not NUMBER.fullmatch(field)
        ]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("+3e5", "+3e5"),
        ("Placements", "Placements"),
        ("a=b", "a=b"),
        ("", ""),
        (-12.5, -12.5),
        (7, 7),
        (None, None),
    ],
)
def test_formula_safe(value, stored):
    assert formula_safe(value) == stored


def test_write_csv_protects_cells_labels_and_index_but_not_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "=name": ["=evil", "plain", "-5", "@x"],
            "amount": [-1.5, 2.0, -3.0, 4.0],
            "mixed": ["+1+1", -7, None, "ok"],
            "cat": pd.Categorical(["-a", "b", "-a", "b"]),
        },
        index=pd.Index(["+row", "r2", "r3", "r4"], name="@line"),
    )
    out = write_csv(frame, tmp_path / "t.csv", index=True)
    assert unsafe_fields(out) == []
    back = pd.read_csv(out, index_col=0)
    assert back.index.name == "'@line" and list(back.index) == ["'+row", "r2", "r3", "r4"]
    assert list(back.columns) == ["'=name", "amount", "mixed", "cat"]
    assert list(back["'=name"]) == ["'=evil", "plain", "-5", "'@x"]
    assert list(back["amount"]) == [-1.5, 2.0, -3.0, 4.0]
    assert list(back["cat"]) == ["'-a", "b", "'-a", "b"]
    assert frame.loc["+row", "=name"] == "=evil"  # the caller's frame is not changed
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left


def test_write_csv_with_nothing_to_protect_writes_what_pandas_writes(tmp_path):
    frame = pd.DataFrame({"year": ["2023/24", "2024/25"], "amount": [1.25, -2.0]})
    write_csv(frame, tmp_path / "a.csv")
    frame.to_csv(tmp_path / "b.csv", index=False)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    empty = pd.DataFrame({"line": pd.Series([], dtype=object)})
    assert write_csv(empty, tmp_path / "e.csv").read_text() == "line\n"


def test_every_csv_writer_of_the_package_uses_write_csv():
    """``to_csv`` appears only in the helper and in the SSDA903 writer, which writes returns
    in the DfE layout for the reader to read back (codes and dates, no report text): a quote
    added there would change the values read back."""
    allowed = {"sctforecast/_io.py", "sctforecast/ssda903/writer.py"}
    callers = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "sctforecast").rglob("*.py")
        if ".to_csv(" in p.read_text(encoding="utf-8")
    }
    assert callers <= allowed, sorted(callers - allowed)


# --- the commands -----------------------------------------------------------------------------
EVIL_SCENARIO = """inherits = "default"
name = "=evil scenario"
description = "+description"

[contract_sum]
amounts_source = '=HYPERLINK("http://example.invalid","click")'

[overheads]
source = "@SUM(1+1)"

[[savings]]
name = "=1+1 saving"
amount = 1_000_000
first_year = "2024/25"
source = "-2+3"

[[pressures]]
name = "+pressure"
amount = 500_000
first_year = "2025/26"
source = "\\tTAB"
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sctforecast", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=600,
    )


def _assert_all_csvs_safe(out: Path, expected: int) -> None:
    files = sorted(out.glob("*.csv"))
    assert len(files) == expected
    for f in files:
        assert unsafe_fields(f) == [], f.name
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    assert "'=HYPERLINK(" in text and "'@SUM(1+1)" in text and "'-2+3" in text  # kept, as text


def test_project_writes_formula_safe_csvs(tmp_path):
    (tmp_path / "evil.toml").write_text(EVIL_SCENARIO, encoding="utf-8")
    res = _cli("project", "evil.toml", "--draws", "50", "--out", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    _assert_all_csvs_safe(tmp_path / "out", 4)


def _evil_ledger_and_scenario(folder: Path) -> None:
    from sctforecast.datasets import load_sandwell
    from sctforecast.mtfp import Scenario

    table = load_sandwell().outturn.to_frame(pounds=True)
    table = table[["financial_year", "line", "kind", "amount", "source"]]
    renamed = {line: MARKS[i % 4] + line for i, line in enumerate(table["line"])}
    table = table.assign(
        line=table["line"].map(renamed),
        source=[MARKS[i % 4] + "cmd|' /C calc'!A0" for i in range(len(table))],
    )
    table.to_csv(folder / "ledger.csv", index=False)  # an input written as a user would
    baseline = "\n".join(
        f"{k} = {json.dumps([renamed[x] for x in v])}"
        for k, v in Scenario.builtin("default").baseline_lines.items()
    )
    (folder / "evil.toml").write_text(
        EVIL_SCENARIO.replace("[contract_sum]", f"[baseline]\n{baseline}\n\n[contract_sum]"),
        encoding="utf-8",
    )


@pytest.mark.slow
def test_run_writes_formula_safe_csvs(tmp_path):
    _evil_ledger_and_scenario(tmp_path)
    res = _cli(
        "run",
        *("--ledger", "ledger.csv", "--profile", "sandwell", "--scenario", "evil.toml"),
        *("--draws", "100", "--out", "out"),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    from sctforecast.reporting.run import RUN_OUTPUT_FILES

    _assert_all_csvs_safe(tmp_path / "out", sum(f.endswith(".csv") for f in RUN_OUTPUT_FILES))
    recon = (tmp_path / "out" / "reconciliation.csv").read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in recon
