"""A second authority through ``sctforecast run --ledger --ssda903 --profile --scenario``:
its outputs carry its own figures and none of the embedded authority's."""

import warnings

import numpy as np
import pandas as pd
import pytest
from authority_b import NAME, POPULATION, embedded_figures_in, make_authority
from openpyxl import load_workbook

from sctforecast import DataQualityWarning
from sctforecast.cli import main
from sctforecast.pipeline import RUN_OUTPUT_FILES, RunInputs, run
from sctforecast.ssda903 import monthly_counts, read_ssda903


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return make_authority(tmp_path_factory.mktemp("northfield"))


@pytest.fixture(scope="module")
def cli_run(authority, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    code = main(
        [
            "run",
            "--ledger", str(authority["ledger"]),
            "--ssda903", str(authority["ssda903"]),
            "--profile", str(authority["profile"]),
            "--scenario", str(authority["scenario"]),
            "--out", str(out),
            "--draws", "200",
            "--seed", "3",
        ]
    )  # fmt: skip
    assert code == 0
    return out


@pytest.fixture(scope="module")
def result(authority):
    inputs = RunInputs.resolve(
        ledger=authority["ledger"],
        ssda903=authority["ssda903"],
        profile=authority["profile"],
        scenario=authority["scenario"],
        draws=200,
        random_seed=3,
    )
    return run(inputs)


def _workbook_text(path):
    cells = []
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, int | float) and not isinstance(v, bool):
                    cells += [str(v), f"{v:,.0f}"]
                elif v is not None:
                    cells.append(str(v))
    return "\n".join(cells)


def test_no_embedded_figure_in_any_output(cli_run):
    assert sorted(p.name for p in cli_run.iterdir()) == sorted(RUN_OUTPUT_FILES)
    scanned = 0
    for path in sorted(cli_run.iterdir()):
        if path.suffix in (".csv", ".html"):
            text = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            text = _workbook_text(path)
        else:
            continue
        scanned += 1
        assert embedded_figures_in(text) == [], path.name
    assert scanned == len(RUN_OUTPUT_FILES) - 5  # every file but the five charts
    html = (cli_run / "report.html").read_text(encoding="utf-8")
    assert NAME in html and "41,250" in html


def test_the_scan_would_find_the_embedded_figures():
    """The scan is not vacuous: it finds the embedded authority's figures."""
    assert embedded_figures_in("Placements 48,565,330; children 808.") == ["808", "48,565,330"]
    assert embedded_figures_in("1,808 and 808.5 and 8080") == []
    assert embedded_figures_in("Sandwell Children's Trust") == ["Sandwell"]


def test_outturn_and_costs_are_its_own(cli_run):
    summary = pd.read_csv(cli_run / "mtfp_summary.csv", index_col=0)
    assert summary.loc["Total income", "2023/24"] == 34_600_000
    assert summary.loc["Placements", "2023/24"] == 15_650_000
    assert summary.loc["Closing cumulative deficit", "2023/24"] == 1_750_000
    units = pd.read_csv(cli_run / "unit_costs.csv")
    assert units["calibrated_cost_pence"].sum() == pytest.approx(1_565_000_000, abs=100)
    recon = pd.read_csv(cli_run / "reconciliation.csv")
    assert len(recon) == 4 and (recon["status"] == "ok").all()


def test_profile_comes_from_its_returns(result, authority):
    p = result.profile
    assert p.name == NAME and p.child_population == POPULATION
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        returns = read_ssda903(authority["ssda903"])
    stock = monthly_counts(returns, start="2024-03", end="2024-03")
    assert p.children_in_care == stock["stock_end"].iloc[0]
    assert 200 < p.children_in_care < 500  # its own size, not the embedded 808
    assert result.table["contract_sum_pence"].iloc[0] == 3_340_000_000


def test_staffing_follows_its_own_children(result):
    """Staffing moves with children in care against the authority's own baseline
    count: (forecast - baseline children) / children per worker x cost per worker."""
    scen = result.scenario
    y = scen.projected_years[0]
    staffing = result.projection.line("staffing", y).astype(float) / 100
    base = 15_200_000 * (1 + scen.pay_award[y])
    cic = result.demand.children_in_care_draws([y])[:, 0]
    per_worker = (
        scen.cost_per_social_worker_pence / 100 * (1 + scen.agency_share * scen.agency_premium)
    )
    own = (cic.mean() - result.profile.children_in_care) / 15 * per_worker * (1 + scen.pay_award[y])
    embedded = (cic.mean() - 805) / 15 * per_worker * (1 + scen.pay_award[y])
    extra = staffing.mean() - base
    assert abs(extra - own) < 250_000, (extra, own)
    assert abs(extra - embedded) > 1_000_000, (extra, embedded)
    assert np.corrcoef(staffing, cic)[0, 1] > 0.99


def test_strict_exits_1_only_when_its_outturn_does_not_reconcile(authority, tmp_path, capsys):
    bad = tmp_path / "ledger.csv"
    bad.write_text(authority["ledger"].read_text().replace('"550,000"', '"551,000"'))
    args = [
        "run",
        "--ledger", str(bad),
        "--ssda903", str(authority["ssda903"]),
        "--profile", str(authority["profile"]),
        "--scenario", str(authority["scenario"]),
        "--draws", "100",
    ]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--strict", "--out", str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "1 of 4 checks do not reconcile" in out
    assert out.index("MTFP answers") < out.index("Outturn reconciliation")


def test_run_main_job_is_resolve_run_write(authority, tmp_path):
    from sctforecast.pipeline import run_main_job

    out = tmp_path / "out"
    result = run_main_job(
        out,
        ledger=authority["ledger"],
        ssda903=authority["ssda903"],
        profile=authority["profile"],
        scenario=authority["scenario"],
        draws=100,
        random_seed=1,
    )
    assert result.projection.n_draws == 100
    saved = pd.read_csv(out / "mtfp_answers.csv")
    assert saved["p_breakeven"].tolist() == result.table["p_breakeven"].tolist()
