"""The command line's error behaviour: the error first, typed errors only, exit codes.

Exit codes: 0 ok, 1 a reconciliation failed, 2 usage or input error, 3 an
internal error (a bug), 130 interrupted.
"""

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sctforecast import cli
from sctforecast.cli.tables import _progress
from sctforecast.errors import DataValidationError, ReconciliationError

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sctforecast", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def _assert_error_first(res: subprocess.CompletedProcess, command: str, *names: str) -> list[str]:
    """Exit 2, nothing on stdout, the error on stderr's first line, then only its problem list."""
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert lines[0].startswith(f"sctforecast {command}: error: "), lines[0]
    for name in names:
        assert name in lines[0]
    assert all(line.startswith("  - ") for line in lines[1:]), lines
    assert "Traceback" not in res.stderr
    return lines


def test_run_with_bad_ssda903_returns(tmp_path):
    bad = tmp_path / "BAD"
    bad.mkdir()
    (bad / "header.csv").write_text("CHILD,SEX,DOB\n1,1,31/02/2010\n2,2,01/01/2011\n")
    (bad / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"
        "1,01/04/2022,P,C2,N1,U1,PR1,,X1\n3,1 April,P,C2,N1,U1,PR1,,X1\n"
    )
    res = _cli("run", "--ssda903", "BAD", "--draws", "100", "--out", "out", cwd=tmp_path)
    lines = _assert_error_first(res, "run", "BAD")
    text = "\n".join(lines)
    assert "header.csv, column DOB" in text and "'31/02/2010'" in text
    assert "episodes.csv, column DECOM" in text and "row 3 ('1 April')" in text
    assert not (tmp_path / "out").exists()


def test_project_with_a_bad_scenario(tmp_path):
    (tmp_path / "BAD.toml").write_text(
        'inherits = "default"\nhorizn = 5\n[staffing]\npay_award = "x"\n'
    )
    lines = _assert_error_first(_cli("project", "BAD.toml", cwd=tmp_path), "project", "BAD.toml")
    assert "unknown key 'horizn'; did you mean 'horizon'?" in "\n".join(lines)
    (tmp_path / "DEEP.toml").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    _assert_error_first(_cli("project", "DEEP.toml", cwd=tmp_path), "project", "DEEP.toml")


def test_reconcile_with_a_bad_ledger(tmp_path):
    (tmp_path / "BAD.csv").write_text(
        "financial_year,line,kind,amount\n2023/24,CS,income,1000000000000000000\n"
        "2023/24,P,expenditure,4\n"
    )
    lines = _assert_error_first(_cli("reconcile", "BAD.csv", cwd=tmp_path), "reconcile", "BAD.csv")
    assert "row 2, column amount: '1000000000000000000' is beyond" in lines[0]


def test_progress_goes_to_stderr_and_is_cleared():
    from rich.console import Console

    progress = _progress(Console(width=150))
    assert progress.console.stderr and progress.live.transient
    assert progress.console.width == 150


# --- in process: how each kind of exception ends ----------------------------------------------
def _command_raising(monkeypatch, exc: BaseException, *, warn: bool = False, log: bool = False):
    def command(args, console):
        if warn:
            warnings.warn("a warning before the failure", UserWarning, stacklevel=1)
        if log:
            logging.getLogger("sctforecast.test").warning("a log message before the failure")
        console.print("some output")
        raise exc

    monkeypatch.setitem(cli._COMMANDS, "reconcile", command)


def test_an_unexpected_exception_is_one_bug_report_line(monkeypatch, capsys):
    _command_raising(monkeypatch, KeyError("boom\nsecond line"))
    assert cli.main(["reconcile", "x.csv"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "sctforecast reconcile: internal error: KeyError: 'boom\\nsecond line'; "
        "please report this with the command you ran\n"
    )


def test_debug_adds_the_traceback_after_the_first_line(monkeypatch, capsys):
    _command_raising(monkeypatch, ZeroDivisionError("division by zero"))
    assert cli.main(["--debug", "reconcile", "x.csv"]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("sctforecast reconcile: internal error: ZeroDivisionError")
    assert lines[1] == "Traceback (most recent call last):"
    _command_raising(monkeypatch, DataValidationError("x.csv: row 2: bad"))
    assert cli.main(["--debug", "reconcile", "x.csv"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "sctforecast reconcile: error: x.csv: row 2: bad"
    assert lines[1] == "Traceback (most recent call last):"


class _Report:
    text = "total income 2023/24: lines sum to 10 but the stated total is 11 (difference 1)."


@pytest.mark.parametrize(
    ("exc", "code", "first"),
    [
        (DataValidationError(["a", "b"], where="f.csv"), 2, "error: f.csv: 2 problems:"),
        (ReconciliationError(_Report()), 1, "error: total income 2023/24: lines sum to 10"),
        (PermissionError(13, "Permission denied", "/out"), 2, "error: Permission denied: /out;"),
        (OSError("no errno: a bug"), 3, "internal error: OSError: no errno: a bug;"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RecursionError("maximum recursion depth exceeded"), 3, "internal error: RecursionError"),
    ],
)
def test_exit_codes(monkeypatch, capsys, exc, code, first):
    _command_raising(monkeypatch, exc)
    assert cli.main(["reconcile", "x.csv"]) == code
    err = capsys.readouterr().err
    assert err.startswith(f"sctforecast reconcile: {first}"), err
    assert "Traceback" not in err


def test_warnings_and_logs_never_come_before_the_error(monkeypatch, capsys):
    _command_raising(monkeypatch, DataValidationError("f.csv: bad"), warn=True, log=True)
    assert cli.main(["reconcile", "x.csv"]) == 2
    assert capsys.readouterr().err == "sctforecast reconcile: error: f.csv: bad\n"


def test_warnings_and_logs_follow_the_output_of_a_command_that_succeeds(monkeypatch, capsys):
    def command(args, console):
        warnings.warn("check this", UserWarning, stacklevel=1)
        logging.getLogger("sctforecast.test").warning("and this")
        console.print("the result")
        return 0

    monkeypatch.setitem(cli._COMMANDS, "reconcile", command)
    assert cli.main(["reconcile", "x.csv"]) == 0
    out = capsys.readouterr()
    assert "the result" in out.out
    assert out.err == "and this\nsctforecast reconcile: warning: check this\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["project", "default", "--seed", "-1"], "--seed -1 is outside 0 to 4,294,967,295"),
        (["project", "default", "--draws", "10000000"], "--draws 10000000 is outside 1 to 100,000"),
        (["run", "--draws", "0"], "--draws 0 is outside 1 to 100,000"),
        (["run-many", "x", "--horizon", "0"], "--horizon 0 is outside 1 to 600"),
        (["run-many", "x", "--workers", "1000"], "--workers 1000 is outside 1 to 256"),
    ],
)
def test_whole_number_options_are_bounded_before_any_work(tmp_path, capsys, argv, message):
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sctforecast {argv[0]}: error: {message}; give a whole number")
    assert not (tmp_path / "out").exists()


def _screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: enough of VT100 for rich's live display (carriage
    return, new line, cursor up, erase line; colours and cursor visibility ignored)."""
    import re

    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
        elif token.startswith("\x1b["):
            if token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
            elif token == "\x1b[2K":
                lines[row] = ""
            continue
        else:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + 1 :]
            col += 1
        while len(lines) <= row:
            lines.append("")
    return [line.rstrip() for line in lines if line.strip()]


def test_on_a_terminal_the_spinner_is_replaced_by_the_error(tmp_path):
    import pty

    bad = tmp_path / "BAD"
    bad.mkdir()
    (bad / "header.csv").write_text("CHILD,SEX,DOB\n1,1,01/01/2010\n")
    (bad / "episodes.csv").write_text("CHILD,DECOM\n1,01/04/2022\n")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sctforecast", "run", "--ssda903", "BAD", "--out", "out"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "150"},
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out, _ = proc.communicate(timeout=300)
    raw = b"".join(chunks).decode("utf-8", errors="replace")
    assert proc.returncode == 2 and out == b""
    assert "reading SSDA903 returns from BAD" in raw  # the spinner was drawn on the terminal
    shown = _screen(raw)
    assert shown[0].startswith("sctforecast run: error: BAD/episodes.csv: missing column(s)"), shown
    assert all(line.startswith("  - ") for line in shown[1:]), shown
