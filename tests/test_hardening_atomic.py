"""Outputs appear whole or not at all, even when the writing process is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sctforecast import ConfigError, _atomic
from sctforecast._io import atomic_directory, atomic_file, remove_leftovers

ROOT = Path(__file__).resolve().parent.parent


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_remove_leftovers_touches_only_dead_processes_temporaries(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    (tmp_path / f".out.sctforecast-tmp-{dead}-abc_1").mkdir()
    (tmp_path / f".out.sctforecast-tmp-{dead}-abc_1" / "half.csv").write_text("x")
    (tmp_path / f".out.sctforecast-tmp-{dead}-f00").write_text("half a file")
    keep = [
        f".out.sctforecast-tmp-{alive}-abc",  # a process still writing
        f".out.sctforecast-tmp-{os.getpid()}-abc",  # this process
        f".out.sctforecast-tmp-{dead}-abc.csv",  # not the pattern
        f".other.sctforecast-tmp-{dead}-abc",  # another target
        f"out.sctforecast-tmp-{dead}-abc",  # not hidden: not ours
        "out",
    ]
    for name in keep:
        (tmp_path / name).mkdir()
    removed = remove_leftovers(tmp_path / "out")
    assert sorted(p.name for p in removed) == sorted(
        [f".out.sctforecast-tmp-{dead}-abc_1", f".out.sctforecast-tmp-{dead}-f00"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    assert remove_leftovers(tmp_path / "out") == []  # nothing left to do
    assert remove_leftovers(tmp_path / "missing" / "out") == []


def test_a_previous_output_moved_aside_is_put_back(tmp_path):
    old = tmp_path / f".out.sctforecast-tmp-{_dead_pid()}-old"
    old.mkdir()
    (old / "report.html").write_text("previous")
    remove_leftovers(tmp_path / "out")
    assert (tmp_path / "out" / "report.html").read_text() == "previous" and not old.exists()


@pytest.mark.parametrize("swap_in_one_step", [True, False])
def test_atomic_directory_replaces_whole_or_not_at_all(tmp_path, monkeypatch, swap_in_one_step):
    if not swap_in_one_step:
        monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("stopped while writing")
    assert _tree(out) == {"old.txt": b"old"}
    with atomic_directory(out) as tmp:
        assert tmp.name.startswith(f".out.sctforecast-tmp-{os.getpid()}-")
        (tmp / "new.txt").write_text("new")
    assert _tree(out) == {"new.txt": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_paths_that_cannot_be_used_are_config_errors(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"file: exists and is a file, but a folder"):
        with atomic_directory(tmp_path / "file"):
            pass
    with pytest.raises(ConfigError, match=r"cannot create the output folder"):
        with atomic_directory(tmp_path / "file" / "out"):
            pass
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError, match=r"folder: exists and is a folder, but a file"):
        with atomic_file(tmp_path / "folder"):
            pass


# --- killed with SIGKILL while writing ----------------------------------------------------------
def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sctforecast", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_while_writing(args: list[str], cwd: Path, timeout: float) -> Path:
    """Start the command, SIGKILL it once files appear in its temporary output folder; return
    that folder."""
    proc = _start(args, cwd)
    deadline = time.monotonic() + timeout
    prefix = f".out.sctforecast-tmp-{proc.pid}-"
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            found = [p for p in cwd.iterdir() if p.name.startswith(prefix)]
            if found and any(found[0].iterdir()):  # the first files are being written
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return found[0]
            time.sleep(0.002)
        pytest.fail(f"no temporary folder seen (exit {proc.poll()}): {proc.stderr.read()[-500:]}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _run_ok(args: list[str], cwd: Path, timeout: float) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "sctforecast", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert res.returncode == 0, res.stderr


def _check_kill_and_rerun(killed: list[str], cwd: Path, timeout: float) -> None:
    """A projection writes the previous output; ``killed`` is SIGKILLed while writing over it;
    a second projection then replaces it and removes what the killed process left."""
    project = ["project", "default", "--draws", "200", "--out", "out"]
    _run_ok([*project, "--seed", "1"], cwd, timeout)
    before = _tree(cwd / "out")
    leftover = _kill_while_writing(killed, cwd, timeout)
    # the previous output is whole and unchanged; the half-written one is only the temporary
    assert _tree(cwd / "out") == before
    assert leftover.exists() and any(leftover.iterdir())
    assert sorted(p.name for p in cwd.iterdir()) == sorted([leftover.name, "out"])
    # a rerun writes the new output and removes what the killed run left
    _run_ok([*project, "--seed", "2"], cwd, timeout)
    assert sorted(p.name for p in cwd.iterdir()) == ["out"]
    after = _tree(cwd / "out")
    assert after.keys() == before.keys() and after != before


def test_project_killed_while_writing_leaves_the_previous_output(tmp_path):
    killed = ["project", "default", "--draws", "200", "--seed", "3", "--out", "out"]
    _check_kill_and_rerun(killed, tmp_path, 120)


@pytest.mark.slow
def test_run_killed_while_writing_leaves_the_previous_output(tmp_path):
    _check_kill_and_rerun(["run", "--draws", "100", "--out", "out"], tmp_path, 600)


def test_outputs_get_ordinary_permissions_not_owner_only(tmp_path):
    """A written folder and file are readable by others as the umask allows
    (temporary siblings start owner-only)."""
    import os

    from sctforecast._io import atomic_directory, atomic_file

    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "out") as d:
            (d / "a.csv").write_text("x\n")
        with atomic_file(tmp_path / "b.csv") as f:
            f.write_text("y\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o644
