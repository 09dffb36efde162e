"""Assertions for analysts' own test suites (as ``pandas.testing`` is for pandas).

Each helper raises ``AssertionError`` with a message that reads like a finance
review note: what does not agree, by how much, and where the figure came from.

    from sctforecast.testing import assert_outturn_reconciles

    def test_outturn_2023_24():
        assert_outturn_reconciles("ledgers/outturn_2023_24.xlsx", sheet="Outturn")
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

from sctforecast.errors import DataQualityWarning
from sctforecast.ledger import Ledger, read_ledger
from sctforecast.money import format_money, to_pence
from sctforecast.periods import FinancialYear
from sctforecast.reconcile.bridge import Bridge
from sctforecast.reconcile.outturn import ReconciliationReport, reconcile_outturn

__all__ = [
    "assert_outturn_reconciles",
    "assert_money_equal",
    "assert_line_equals",
    "assert_bridge_closes",
    "assert_table_foots",
]


def _ledger(source: Ledger | str | os.PathLike[str], sheet: str | None) -> Ledger:
    if isinstance(source, Ledger):
        return source
    return read_ledger(source, sheet=sheet)


def assert_outturn_reconciles(
    source: Ledger | str | os.PathLike[str],
    *,
    sheet: str | None = None,
    years: Iterable[FinancialYear | str | int] | None = None,
    tolerance: int | float | str = 0,
    ignore_sources: Iterable[str] = (),
) -> ReconciliationReport:
    """Assert that every identity of an outturn holds (to the penny by default).

    The lines are checked against the totals the ledger *states* (rows of kind
    ``total_income``, ``total_expenditure``, ``in_year_deficit``,
    ``closing_cumulative_deficit``, and an opening that follows the previous
    year's closing).  A ledger that states no totals for the years asked
    about has nothing to reconcile to, so the assertion fails rather than
    pass without checking anything; so does a year the ledger does not hold.

    ``ignore_sources`` lists sources whose stated totals are known to be wrong
    and are accepted as such (for example a typo in a narrative paragraph);
    they are still checked and reported, but do not fail the assertion, and
    do not count as checks made.  Returns the report so that a test can check
    more.
    """
    ledger = _ledger(source, sheet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        report = reconcile_outturn(ledger, tolerance_pence=to_pence(tolerance))
    checks = report.table
    if years is not None:
        wanted = [FinancialYear.parse(y) for y in years]
        absent = [y.label for y in wanted if y not in ledger.years]
        if absent:
            held = ", ".join(y.label for y in ledger.years)
            raise AssertionError(
                f"Review note: {ledger.origin} holds no {', '.join(absent)} (it holds {held}); "
                "nothing could be checked for that year. Check the years asked for, or the file."
            )
        checks = checks[checks["financial_year"].isin({y.label for y in wanted})]
    ignored = set(ignore_sources)
    counted = checks[~checks["source"].isin(ignored)]
    if counted.empty:
        raise AssertionError(_nothing_checked(ledger, checks, ignored))
    findings = counted[counted["status"] != "ok"]
    if len(findings):
        sub = ReconciliationReport(table=findings, computed=report.computed, origin=report.origin)
        raise AssertionError("Review note: the outturn does not reconcile.\n" + sub.text)
    return report


def _nothing_checked(ledger: Ledger, checks: object, ignored: set[str]) -> str:
    """The review note for an outturn with no stated totals to reconcile to."""
    if len(checks):  # type: ignore[arg-type]
        return (
            f"Review note: nothing was checked in {ledger.origin}: every stated total comes from "
            f"an ignored source ({', '.join(sorted(ignored))}). Remove a source from "
            "ignore_sources, or add totals from another source."
        )
    return (
        f"Review note: nothing could be checked in {ledger.origin}: it states no totals to "
        "reconcile the lines to, so 0 checks were made. Add the totals your source states as "
        "rows of kind total_income, total_expenditure, in_year_deficit or "
        "closing_cumulative_deficit (with opening_cumulative_deficit), e.g. "
        "'2023/24,Total income,total_income,12345678' (see docs/ledgers.md)."
    )


def assert_money_equal(
    actual: int | float | str,
    expected: int | float | str,
    *,
    what: str = "amount",
    source: str = "",
) -> None:
    """Assert two amounts in pounds (numbers, or text such as ``"£84,678,218"``) are
    equal to the penny, both read by :func:`~sctforecast.money.to_pence`."""
    a = to_pence(actual)
    e = to_pence(expected)
    if a != e:
        cited = f" (source: {source})" if source else ""
        raise AssertionError(
            f"Review note: {what} is {format_money(a, show_pence=True)} but should be "
            f"{format_money(e, show_pence=True)}{cited}; difference "
            f"{format_money(a - e, show_pence=True)}."
        )


def assert_line_equals(
    source: Ledger | str | os.PathLike[str],
    year: FinancialYear | str | int,
    line: str,
    expected: int | float | str,
    *,
    sheet: str | None = None,
    cited: str = "",
) -> None:
    """Assert one ledger line equals a published figure (pounds)."""
    ledger = _ledger(source, sheet)
    got = ledger.amount(year, line)
    want = to_pence(expected)
    if got != want:
        cite = f" as published in {cited}" if cited else ""
        raise AssertionError(
            f"Review note: {line} {FinancialYear.parse(year)} in {ledger.origin} is "
            f"{format_money(got)} but should be {format_money(want)}{cite}; difference "
            f"{format_money(got - want)}."
        )


def assert_bridge_closes(bridge: Bridge) -> None:
    """Assert that a variance bridge's drivers explain the variance within tolerance."""
    if not bridge.closes:
        raise AssertionError("Review note: " + bridge.text)


def assert_table_foots(lines: Iterable[int], total: int, *, what: str = "table") -> None:
    """Assert that displayed lines (pence) add up to the displayed total."""
    values = [int(v) for v in lines]
    s = sum(values)
    if s != int(total):
        raise AssertionError(
            f"Review note: the {what} does not foot: its {len(values)} lines add to "
            f"{format_money(s, show_pence=True)} but its total is "
            f"{format_money(int(total), show_pence=True)}."
        )
