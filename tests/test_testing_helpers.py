"""The assertion helpers analysts call from their own test suites, including the
cases where there is nothing to check (a helper that cannot fail proves nothing)."""

import pandas as pd
import pytest

from sctforecast import Ledger
from sctforecast.datasets import load_outturn
from sctforecast.testing import assert_outturn_reconciles


def _ledger(rows):
    return Ledger.from_frame(
        pd.DataFrame(rows, columns=["financial_year", "line", "kind", "amount", "source"]),
        origin="test ledger",
    )


LINES = [
    ("2023/24", "Grant", "income", "100", "budget book"),
    ("2023/24", "Staff", "expenditure", "120", "budget book"),
]


def test_a_ledger_with_no_stated_totals_fails_with_how_to_add_them():
    with pytest.raises(AssertionError) as err:
        assert_outturn_reconciles(_ledger(LINES))
    msg = str(err.value)
    assert "nothing could be checked in test ledger" in msg
    assert "0 checks were made" in msg
    assert "total_income" in msg and "docs/ledgers.md" in msg


def test_stated_totals_that_agree_pass_and_one_that_disagrees_fails():
    good = [
        *LINES,
        ("2023/24", "Total income", "total_income", "100", "accounts"),
        ("2023/24", "Deficit", "in_year_deficit", "20", "accounts"),
    ]
    report = assert_outturn_reconciles(_ledger(good))
    assert len(report.table) == 2 and report.ok
    bad = [*LINES, ("2023/24", "Deficit", "in_year_deficit", "21", "accounts")]
    with pytest.raises(AssertionError, match=r"in-year deficit 2023/24: lines give 20 .* 21"):
        assert_outturn_reconciles(_ledger(bad))


def test_only_ignored_sources_checked_is_nothing_checked():
    rows = [*LINES, ("2023/24", "Deficit", "in_year_deficit", "99", "a typo")]
    with pytest.raises(AssertionError, match="every stated total comes from an ignored source"):
        assert_outturn_reconciles(_ledger(rows), ignore_sources=["a typo"])


def test_a_year_with_no_checks_or_not_in_the_ledger_fails():
    rows = [
        *LINES,
        ("2023/24", "Total income", "total_income", "100", "accounts"),
        ("2024/25", "Grant", "income", "100", "budget book"),
        ("2024/25", "Staff", "expenditure", "100", "budget book"),
    ]
    assert_outturn_reconciles(_ledger(rows), years=["2023/24"])
    with pytest.raises(AssertionError, match="nothing could be checked"):
        assert_outturn_reconciles(_ledger(rows), years=["2024/25"])
    with pytest.raises(AssertionError, match="holds no 2026/27"):
        assert_outturn_reconciles(_ledger(rows), years=["2026/27"])


def test_the_embedded_outturn_still_checks_six_totals():
    """004 Section (e): six stated totals, one of them the £49 typo."""
    report = assert_outturn_reconciles(
        load_outturn(), ignore_sources=["004 Section (e), Year End Position"]
    )
    assert len(report.table) == 6 and len(report.findings) == 1
