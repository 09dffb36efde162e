import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from sctforecast.cli import main
from sctforecast.mtfp import Scenario, project
from sctforecast.reporting import OUTPUT_FILES, write_projection, write_workbook


@pytest.fixture(scope="module")
def projection():
    return project(None, Scenario.builtin(), random_seed=4, draws=300)


def test_output_folder_and_workbook_read_back(projection, tmp_path):
    out = write_projection(projection, tmp_path / "mtfp")
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES)
    wb = load_workbook(out / "mtfp.xlsx")
    assert wb.sheetnames == ["Summary", "Intervals", "Breakeven", "Bridge", "Inputs"]
    ws = wb["Summary"]
    header = [c.value for c in ws[1]]
    assert header[0] == "line" and header[1] == "2023/24"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    ti = rows["Total income"][1]
    assert ti.value == 84_678_218 and isinstance(ti.value, int)
    assert ti.number_format == "#,##0;(#,##0)"
    assert rows["Closing cumulative deficit"][1].value == 11_230_962
    inputs = wb["Inputs"]
    assert inputs.max_row > 20
    assert [c.value for c in inputs[1]] == ["assumption", "value", "source"]
    b = wb["Breakeven"]
    assert b.cell(row=2, column=2).number_format == "0.0%"
    for f in ("cumulative_deficit_fan.png", "deficit_bridge.png"):
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(out / "mtfp_summary.csv", index_col=0)
    assert summary.loc["In-year deficit", "2023/24"] == 4_253_670


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "note": ["=SUM(A1:A9)", "+44 121", "-cut", "@risk", "plain"],
            "amount_pounds": [1, 2, 3, 4, 5],
        }
    )
    path = write_workbook(tmp_path / "w.xlsx", {"Inputs": frame})
    ws = load_workbook(path)["Inputs"]
    for i, text in enumerate(frame["note"], start=2):
        cell = ws.cell(row=i, column=1)
        assert cell.value == text
        assert cell.data_type == "s"  # a string, never a formula
    assert ws.cell(row=2, column=2).number_format == "#,##0;(#,##0)"


def test_an_error_leaves_no_half_written_output(projection, tmp_path, monkeypatch):
    target = tmp_path / "mtfp"
    write_projection(projection, target)
    before = sorted(os.listdir(target))

    import sctforecast.reporting.mtfp as outputs

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "save_figure", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_projection(projection, target)
    assert sorted(os.listdir(target)) == before  # the old folder is untouched
    assert [p for p in os.listdir(tmp_path) if p != "mtfp"] == []  # no temporary left behind
    with pytest.raises(RuntimeError):
        write_projection(projection, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_cli_project(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["project", "default", "--draws", "200", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "MTFP projection: default (200 paths)" in text and "4,253,670" in text
    assert (out / "mtfp.xlsx").exists()


def test_cli_project_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('inherits = "default"\n[contract_sum]\nupflit = 0.02\n')
    assert main(["project", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'upflit'; did you mean 'uplift'?" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert main(["project", "default", "--draws", "0", "--out", str(tmp_path / "o")]) == 2
