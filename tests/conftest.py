import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("PYTENSOR_FLAGS", "")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_result_cache(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's own cache of saved results."""
    monkeypatch.setenv("SCTFORECAST_CACHE_DIR", str(tmp_path_factory.mktemp("result-cache")))
