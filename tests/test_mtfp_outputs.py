import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from sctforecast.cli import main
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.mtfp import Scenario, project
from sctforecast.reporting import OUTPUT_FILES, write_projection, write_workbook


@pytest.fixture(scope="module")
def projection():
    return project(
        load_outturn(), Scenario.builtin(), profile=sandwell_profile(), random_seed=4, draws=300
    )


def test_output_folder_and_workbook_read_back(projection, tmp_path):
    out = write_projection(projection, tmp_path / "mtfp")
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES)
    wb = load_workbook(out / "mtfp.xlsx")
    assert wb.sheetnames == ["Breakeven", "Summary", "Intervals", "Bridge", "Inputs"]
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
    head = [c.value for c in b[1]]
    assert head[:4] == [
        "financial_year",
        "p_breakeven",
        "contract_sum_pounds",
        "contract_sum_assumption",
    ]
    row = {c: v.value for c, v in zip(head, b[3], strict=True)}  # 2024/25
    assert row["contract_sum_pounds"] == 80_800_000
    assert row["contract_sum_assumption"] == "80,800,000 agreed (004 Section (e))"
    assert row["contract_sum_needed_lower_pounds"] <= row["contract_sum_needed_mean_pounds"]
    assert b.cell(row=3, column=5).number_format == "#,##0;(#,##0)"
    breakeven = pd.read_csv(out / "mtfp_breakeven.csv")
    assert breakeven["savings_needed_mean_pounds"].iloc[1] == pytest.approx(
        projection.breakeven()["savings_needed_mean_pence"].iloc[1] / 100
    )
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
    # the answers lead: Contract Sum needed and savings needed, before any deficit
    assert text.index("What breaks even: default") < text.index("MTFP projection: default")
    assert "Contract Sum" in text and "2024/25: 80,800,000 agreed (004 Section (e))" in text
    assert "flat cash after 2024/25" in text
    assert "4,253,670" in text  # the 2023/24 outturn deficit
    assert (out / "mtfp.xlsx").exists()


def test_cli_project_with_a_ledger_file(tmp_path, capsys):
    """--ledger replaces the scenario's embedded ledger; a changed Contract Sum line shows."""
    frame = load_outturn().to_frame()
    frame.loc[frame["line"] == "Contract Sum (basic)", "amount_pence"] = 75_000_000_00
    keep = ~frame["kind"].isin(["total_income", "in_year_deficit", "closing_cumulative_deficit"])
    frame = frame[keep].assign(amount=frame["amount_pence"] / 100)
    frame = frame[["financial_year", "line", "kind", "amount"]]
    path = tmp_path / "ledger.csv"
    frame.to_csv(path, index=False)
    assert (
        main(
            [
                "project",
                "default",
                "--ledger",
                str(path),
                "--draws",
                "50",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "75,000,000 outturn" in text and str(path) in text
    assert main(["project", "default", "--sheet", "X", "--out", str(tmp_path / "p")]) == 2
    assert "--sheet needs --ledger" in capsys.readouterr().err


def test_cli_scenario_show(tmp_path, capsys):
    child = tmp_path / "child.toml"
    child.write_text(
        'inherits = "default"\nname = "child"\n[[third_party_income]]\n'
        'name = "Home Office UASC grant"\nrule = "per_uasc_child_week"\nweekly_rate = 1_000\n'
    )
    assert main(["scenario", "show", str(child)]) == 0
    text = capsys.readouterr().out
    # the resolved scenario: the default's item kept, the child's appended
    assert 'name = "Third-party income (health, education, grants)"' in text
    assert 'name = "Home Office UASC grant"' in text
    assert "inherits" not in text.split("Assumptions of")[0]
    assert "Assumptions of child" in text and "contract_sum.amounts" in text
    assert main(["scenario", "show", "inflation_funded"]) == 0
    assert 'uplift = "cost_inflation"' in capsys.readouterr().out
    assert main(["scenario", "show", str(tmp_path / "nope.toml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def test_cli_project_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('inherits = "default"\n[contract_sum]\nupflit = 0.02\n')
    assert main(["project", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'upflit'; did you mean 'uplift'?" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert main(["project", "default", "--draws", "0", "--out", str(tmp_path / "o")]) == 2
