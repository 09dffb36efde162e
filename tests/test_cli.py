import subprocess
import sys

from sctforecast.cli import main

GOOD = "financial_year,line,kind,amount\n2023/24,CS,income,10\n2023/24,P,expenditure,4\n2023/24,Total,total_income,10\n"
BAD = "financial_year,line,kind,amount\n2023/24,CS,income,10\n2023/24,P,expenditure,4\n2023/24,Total,total_income,11\n"


def test_reconcile_ok(tmp_path, capsys):
    p = tmp_path / "l.csv"
    p.write_text(GOOD)
    assert main(["reconcile", str(p)]) == 0
    assert "all 1 checks reconcile" in capsys.readouterr().out


def test_reconcile_mismatch_exits_1(tmp_path, capsys):
    p = tmp_path / "l.csv"
    p.write_text(BAD)
    assert main(["reconcile", str(p)]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "difference 1" in out


def test_reconcile_bad_input_exits_2_with_one_line(tmp_path, capsys):
    p = tmp_path / "l.xlsx"
    p.write_text("nope")
    assert main(["reconcile", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sctforecast reconcile: error:") and "Traceback" not in err


def test_usage_error_exits_2():
    assert main(["frobnicate"]) == 2


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "sctforecast.cli", "reconcile", "/nonexistent.csv"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "no such file" in out.stderr and "Traceback" not in out.stderr


def test_module_entry_points_run_registered_commands(tmp_path):
    for module in ("sctforecast", "sctforecast.cli"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                module,
                "project",
                "default",
                "--draws",
                "100",
                "--out",
                str(tmp_path / module),
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert (tmp_path / module / "mtfp.xlsx").exists()
