"""The main job end to end: output folder, workbook read back, report in a real browser."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from sctforecast.cli import main
from sctforecast.pipeline import HEADLINE_COLUMNS, RUN_OUTPUT_FILES, RunInputs, run


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = run(RunInputs.resolve(draws=600, random_seed=5))
    result.write(out)
    return out, result


@pytest.mark.slow
def test_run_writes_every_output(run_folder):
    out, result = run_folder
    assert sorted(os.listdir(out)) == sorted(RUN_OUTPUT_FILES)
    assert result.projection.n_draws == 600  # 2 chains x 300 draws
    s = pd.read_csv(out / "mtfp_summary.csv", index_col=0)
    assert s.loc["Total income", "2023/24"] == 84_678_218
    assert s.loc["Closing cumulative deficit", "2023/24"] == 11_230_962
    d = pd.read_csv(out / "demand_forecast.csv")
    assert {"children_in_care_31_march", "rate_per_10k_31_march"} <= set(d["measure"])
    answers = pd.read_csv(out / "mtfp_answers.csv")
    assert tuple(answers.columns) == HEADLINE_COLUMNS
    assert list(answers["financial_year"]) == [
        "2024/25",
        "2025/26",
        "2026/27",
        "2027/28",
        "2028/29",
    ]
    assert answers["contract_sum_pence"].iloc[0] == 8_080_000_000  # 004 Section (e)


@pytest.mark.slow
def test_the_summary_leads_with_the_mtfp_answers(run_folder):
    _, result = run_folder
    text = result.text.splitlines()
    assert text[1] == "MTFP answers:"
    first = text[2]
    assert first.startswith("- 2024/25: to break even the Contract Sum would need to be £")
    assert "stated Contract Sum (80,800,000 agreed (004 Section (e)))" in first
    assert "the probability of breakeven is" in first
    assert repr(result).startswith("<RunResult \"Sandwell Children's Trust\", scenario 'default'")


@pytest.mark.slow
def test_run_workbook_reads_back(run_folder):
    out, _ = run_folder
    wb = load_workbook(out / "sctforecast.xlsx")
    assert wb.sheetnames == [
        "MTFP answers",
        "MTFP summary",
        "MTFP intervals",
        "Breakeven",
        "Bridge",
        "Reconciliation",
        "Demand",
        "Rate comparators",
        "Unit costs",
        "Inputs",
    ]
    rows = {r[0].value: r for r in wb["MTFP summary"].iter_rows(min_row=2)}
    assert rows["In-year deficit"][1].value == 4_253_670
    assert rows["In-year deficit"][1].number_format == "#,##0;(#,##0)"
    rec = [[c.value for c in r] for r in wb["Reconciliation"].iter_rows()]
    assert any(r[rec[0].index("difference_pounds")] == 49 for r in rec[1:])
    answers = [[c.value for c in r] for r in wb["MTFP answers"].iter_rows()]
    cs = answers[0].index("contract_sum_pounds")
    assert answers[1][cs] == 80_800_000
    inputs = wb["Inputs"]
    assert inputs.max_row > 30
    sources = [r[3].value for r in inputs.iter_rows(min_row=2)]
    assert any(s and "004 Section (e)" in s for s in sources)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("Chromium is not installed (CI installs it)")


@pytest.mark.slow
def test_report_in_a_real_headless_browser(run_folder, tmp_path):
    out, _ = run_folder
    browser = _chromium()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
    ]
    url = (out / "report.html").resolve().as_uri()
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for figure in ("84,678,218", "88,931,888", "4,253,670", "11,230,962", "84,678,267"):
        assert figure in html, figure
    # the report leads with the MTFP answers
    assert html.index('id="answers"') < html.index('id="reconciliation"')
    assert 'id="contract-sum-needed"' in html and 'id="p-breakeven"' in html
    for section in (
        'id="answers"',
        'id="reconciliation"',
        'id="demand"',
        'id="mtfp"',
        'id="assumptions"',
        'id="costs"',
    ):
        assert section in html
    # every chart loaded in the browser (the page's own script counts them after load)
    from sctforecast.reporting.run import CHART_FILES

    n = len(CHART_FILES)
    assert f'data-images="{n}"' in html and f'data-images-loaded="{n}"' in html
    shot = tmp_path / "report.png"
    res = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,2000", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0 and shot.read_bytes()[:4] == b"\x89PNG"


def test_run_bad_inputs_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--ssda903", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err
    bad = tmp_path / "ledger.csv"
    bad.write_text("financial_year,line,kind,amount\n2023/24,CS,incom,1\n")
    assert main(["run", "--ledger", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown kind 'incom'" in err and "Traceback" not in err
    scen = tmp_path / "s.toml"
    scen.write_text('inherits = "default"\nhorizon = 40\n')
    assert main(["run", "--scenario", str(scen), "--out", str(out)]) == 2
    assert "horizon: 40" in capsys.readouterr().err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_run_help_lists_the_options():
    res = subprocess.run(
        [sys.executable, "-m", "sctforecast.cli", "run", "--help"], capture_output=True, text=True
    )
    for opt in (
        "--ledger",
        "--ssda903",
        "--profile",
        "--population",
        "--scenario",
        "--out",
        "--draws",
    ):
        assert opt in res.stdout


def test_run_with_a_ledger_whose_lines_the_scenario_does_not_map(tmp_path, capsys):
    ledger = tmp_path / "mine.csv"
    ledger.write_text(
        "financial_year,line,kind,amount\n2023/24,Block grant,income,100\n2023/24,Placements,expenditure,90\n"
        "2023/24,Opening,opening_cumulative_deficit,0\n"
    )
    out = tmp_path / "out"
    assert main(["run", "--ledger", str(ledger), "--profile", "sandwell", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'Block grant'" in err and "not mapped" in err
    assert not out.exists()
