"""The documentation builds with warnings as errors (mkdocs --strict)."""

import importlib.util
import os
import subprocess
import sys

import pytest
from conftest import ROOT


def test_docs_build_strict(tmp_path):
    if importlib.util.find_spec("mkdocs") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "mkdocs is not installed: the README's test command installs the docs extra"
            )
        pytest.skip("mkdocs not installed (pip install -e '.[docs]')")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    ref = (tmp_path / "site" / "reference" / "index.html").read_text()
    for name in ("reconcile_outturn", "PlacementCostModel", "CareFlowModel", "project"):
        assert name in ref
