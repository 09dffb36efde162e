"""A pytest file an analyst keeps beside the ledger: the outturn must reconcile.

Run: pytest examples/test_outturn_example.py
"""

import pytest

from sctforecast.datasets import load_outturn
from sctforecast.testing import assert_line_equals, assert_outturn_reconciles


def test_lines_match_the_annual_review():
    """Sandwell Children's Trust Annual Review 2023-2024, Section (e)."""
    outturn = load_outturn()
    assert_line_equals(outturn, "2023/24", "Placements", 48_565_330, cited="004 Section (e)")
    assert_line_equals(outturn, "2023/24", "Staffing", 32_434_958, cited="004 Section (e)")


def test_outturn_reconciles_except_the_known_typo():
    # the Year End Position paragraph states income £49 above its own lines
    report = assert_outturn_reconciles(
        load_outturn(), ignore_sources=["004 Section (e), Year End Position"]
    )
    assert len(report.findings) == 1


def test_the_typo_is_caught():
    with pytest.raises(AssertionError, match="difference 49"):
        assert_outturn_reconciles(load_outturn())
