"""Same inputs and seed, same bytes: two processes write byte-identical CSVs.

The two processes run with different ``PYTHONHASHSEED`` so that nothing may
depend on the order of a set or a dict of strings.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _csvs(args: list[str], cwd: Path, out: str, hash_seed: str) -> dict[str, bytes]:
    res = subprocess.run(
        [sys.executable, "-m", "sctforecast", *args, "--out", out],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    files = sorted((cwd / out).glob("*.csv"))
    assert files
    return {f.name: f.read_bytes() for f in files}


def test_project_same_seed_same_bytes(tmp_path):
    args = ["project", "default", "--draws", "300", "--seed", "7"]
    a = _csvs(args, tmp_path, "a", "1")
    b = _csvs(args, tmp_path, "b", "2")
    assert a == b
    c = _csvs([*args[:-1], "8"], tmp_path, "c", "1")
    assert c.keys() == a.keys() and c["mtfp_intervals.csv"] != a["mtfp_intervals.csv"]


@pytest.mark.slow
def test_run_same_seed_same_bytes(tmp_path):
    args = ["run", "--draws", "100", "--seed", "11"]
    a = _csvs(args, tmp_path, "a", "1")
    b = _csvs(args, tmp_path, "b", "2")
    from sctforecast.reporting.run import RUN_OUTPUT_FILES

    assert sorted(a) == sorted(f for f in RUN_OUTPUT_FILES if f.endswith(".csv"))
    assert a == b
