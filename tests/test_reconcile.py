import pandas as pd
import pytest
from hypothesis import given, settings
from strategies import ledger_frames

from sctforecast import Ledger, reconcile_outturn, variance_bridge
from sctforecast.datasets import load_outturn
from sctforecast.money import parse_money
from sctforecast.testing import (
    assert_bridge_closes,
    assert_line_equals,
    assert_money_equal,
    assert_outturn_reconciles,
    assert_table_foots,
)


def _two_year_frame(closing_2023="11,230,962", opening_2024="11,230,962"):
    rows = [
        ("2023/24", "Contract Sum", "income", "74,475,000"),
        ("2023/24", "Staffing", "expenditure", "78,728,670"),
        ("2023/24", "Opening", "opening_cumulative_deficit", "6,977,292"),
        ("2023/24", "Closing", "closing_cumulative_deficit", closing_2023),
        ("2024/25", "Contract Sum", "income", "80,800,000"),
        ("2024/25", "Staffing", "expenditure", "80,800,000"),
        ("2024/25", "Opening", "opening_cumulative_deficit", opening_2024),
        ("2024/25", "Closing", "closing_cumulative_deficit", "11,230,962"),
    ]
    return pd.DataFrame(rows, columns=["financial_year", "line", "kind", "amount"])


def test_multi_year_continuity():
    report = reconcile_outturn(Ledger.from_frame(_two_year_frame()))
    assert report.ok, report.text
    assert set(report.table["check"]) == {"closing_cumulative_deficit", "continuity"}


def test_continuity_break_is_a_finding():
    with pytest.warns(Warning):
        report = reconcile_outturn(Ledger.from_frame(_two_year_frame(opening_2024="11,000,000")))
    checks = report.findings["check"].tolist()
    assert "continuity" in checks
    assert "previous year closed at 11,230,962" in report.text


def test_tolerance():
    report = reconcile_outturn(load_outturn(), tolerance_pence=49_00, warn=False)
    assert report.ok
    report = reconcile_outturn(load_outturn(), tolerance_pence=48_99, warn=False)
    assert not report.ok


@settings(max_examples=60, deadline=None)
@given(ledger_frames())
def test_identities_hold_for_arbitrary_ledgers(frame):
    ledger = Ledger.from_frame(frame)
    report = reconcile_outturn(ledger, warn=False)
    comp = report.computed
    for r in comp.itertuples(index=False):
        income = sum(
            parse_money(a)
            for a, k, y in zip(
                frame["amount"], frame["kind"], frame["financial_year"], strict=False
            )
            if k == "income" and y == r.financial_year
        )
        spend = sum(
            parse_money(a)
            for a, k, y in zip(
                frame["amount"], frame["kind"], frame["financial_year"], strict=False
            )
            if k == "expenditure" and y == r.financial_year
        )
        assert r.total_income_pence == income
        assert r.total_expenditure_pence == spend
        assert r.in_year_deficit_pence == spend - income
        if pd.notna(r.opening_cumulative_deficit_pence):
            assert (
                r.closing_cumulative_deficit_pence
                == r.opening_cumulative_deficit_pence + r.in_year_deficit_pence
            )
    # year t's closing is year t+1's opening
    closes = comp["closing_cumulative_deficit_pence"].tolist()
    opens = comp["opening_cumulative_deficit_pence"].tolist()
    for a, b in zip(closes, opens[1:], strict=False):
        assert a == b
    # stating the computed totals makes it reconcile; row order does not matter
    stated = frame.copy()
    extra = [
        {
            "financial_year": r.financial_year,
            "line": "Total income",
            "kind": "total_income",
            "amount": f"{r.total_income_pence / 100:.2f}",
        }
        for r in comp.itertuples()
    ]
    stated = pd.concat([stated, pd.DataFrame(extra)], ignore_index=True)
    r1 = reconcile_outturn(Ledger.from_frame(stated), warn=False)
    r2 = reconcile_outturn(Ledger.from_frame(stated.iloc[::-1].reset_index(drop=True)), warn=False)
    assert r1.ok
    pd.testing.assert_frame_equal(r1.computed, r2.computed)


def test_bridge_2023_24_worked_example():
    """004 Section (e) Year End Position: deficit 4,253,670 was 4,996,156 adverse to the
    MTFP aim; drivers c. £5m residential, £1.5m supported accommodation, -£1.5m savings."""
    b = variance_bridge(
        4_253_670 - 4_996_156,
        4_253_670,
        {"residential": "5m", "supported accommodation": "1.5m", "savings": "-1.5m"},
        tolerance=50_000,
        label="deficit",
    )
    assert b.variance_pence == 4_996_156_00
    assert b.explained_pence == 5_000_000_00
    assert b.unexplained_pence == -3_844_00
    assert b.closes
    assert_bridge_closes(b)
    t = b.table
    assert t["amount_pence"].iloc[1:-1].sum() == b.variance_pence  # drivers + remainder
    strict = variance_bridge(0, 4_996_156, {"residential": "5m"}, tolerance=0)
    assert not strict.closes
    with pytest.raises(AssertionError, match="does not close"):
        assert_bridge_closes(strict)


def test_assert_outturn_reconciles_reads_like_a_review_note():
    with pytest.raises(AssertionError, match=r"(?s)Review note.*84,678,267.*difference 49"):
        assert_outturn_reconciles(load_outturn())
    report = assert_outturn_reconciles(
        load_outturn(), ignore_sources=["004 Section (e), Year End Position"]
    )
    assert len(report.findings) == 1  # still reported


def test_other_assertions():
    assert_money_equal(84_678_218, "£84,678,218")
    with pytest.raises(
        AssertionError, match=r"84,678,267.00 but should be 84,678,218.00.*difference 49.00"
    ):
        assert_money_equal("84,678,267", 84_678_218, what="total income", source="004 Section (e)")
    assert_line_equals(load_outturn(), "2023/24", "Placements", 48_565_330, cited="004 Section (e)")
    with pytest.raises(AssertionError, match="Placements 2023/24"):
        assert_line_equals(load_outturn(), "2023/24", "Placements", 48_565_331)
    assert_table_foots([1, 2, 3], 6)
    with pytest.raises(AssertionError, match="does not foot"):
        assert_table_foots([1, 2, 3], 7)
