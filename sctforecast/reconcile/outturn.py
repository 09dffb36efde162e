"""Outturn reconciliation: every identity checked, every difference a finding."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from sctforecast.errors import DataQualityWarning, ReconciliationError
from sctforecast.ledger import Ledger
from sctforecast.money import format_money
from sctforecast.periods import FinancialYear

__all__ = ["reconcile_outturn", "ReconciliationReport", "FINDING_COLUMNS"]

FINDING_COLUMNS = (
    "financial_year",
    "check",
    "expected_pence",
    "actual_pence",
    "difference_pence",
    "status",
    "source",
)

_CHECK_TEXT = {
    "total_income": "total income",
    "total_expenditure": "total expenditure",
    "in_year_deficit": "in-year deficit",
    "closing_cumulative_deficit": "closing cumulative deficit",
    "continuity": "opening cumulative deficit",
}


@dataclass(frozen=True)
class ReconciliationReport:
    """Every check of a reconciliation, with the ones that failed as findings.

    ``table`` has one row a check (:data:`FINDING_COLUMNS`); ``expected`` is
    what the lines imply, ``actual`` what the source states, ``difference`` is
    actual minus expected.  ``computed`` holds the totals the lines imply,
    one row a year.
    """

    table: pd.DataFrame
    computed: pd.DataFrame
    origin: str
    tolerance_pence: int = 0

    @property
    def ok(self) -> bool:
        """True when every check is within tolerance."""
        return bool((self.table["status"] == "ok").all())

    @property
    def findings(self) -> pd.DataFrame:
        """The checks that failed."""
        return self.table[self.table["status"] != "ok"].reset_index(drop=True)

    @property
    def text(self) -> str:
        """A plain-English summary, one sentence per finding."""
        n = len(self.table)
        if self.ok:
            years = ", ".join(self.computed["financial_year"])
            return f"{self.origin}: all {n} checks reconcile ({years})."
        lines = [f"{self.origin}: {len(self.findings)} of {n} checks do not reconcile."]
        for r in self.findings.itertuples(index=False):
            what = _CHECK_TEXT.get(r.check, r.check)
            if r.check == "continuity":
                lines.append(
                    f"- {r.financial_year}: {what} is {format_money(r.actual_pence)} but the "
                    f"previous year closed at {format_money(r.expected_pence)} (difference "
                    f"{format_money(r.difference_pence)}). Check the carried-forward balance."
                )
            else:
                lines.append(
                    f"- {what} {r.financial_year}: lines give {format_money(r.expected_pence)} "
                    f"but the stated total is {format_money(r.actual_pence)} (difference "
                    f"{format_money(r.difference_pence)}; source: {r.source or 'not given'}). "
                    "Check the source."
                )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The checks with amounts as pounds text as well as pence."""
        t = self.table.copy()
        for c in ("expected", "actual", "difference"):
            t[c] = [format_money(v) for v in t[f"{c}_pence"]]
        return t

    def __repr__(self) -> str:
        state = "reconciles" if self.ok else f"{len(self.findings)} finding(s)"
        return f"<ReconciliationReport {self.origin}: {len(self.table)} checks, {state}>"


def reconcile_outturn(
    ledger: Ledger,
    *,
    strict: bool = False,
    tolerance_pence: int = 0,
    warn: bool = True,
) -> ReconciliationReport:
    """Check every identity of an outturn ledger.

    For each year: income lines sum to each stated total income; expenditure
    lines to each stated total expenditure; expenditure minus income is the
    stated in-year deficit; opening cumulative deficit plus the in-year deficit
    is the stated closing cumulative deficit.  Across years: a year's stated
    opening equals the previous year's closing (stated, or implied).

    Parameters
    ----------
    ledger
        The outturn, e.g. from :func:`sctforecast.read_ledger` or
        :func:`sctforecast.datasets.load_outturn`.
    strict
        Raise one :class:`ReconciliationError` listing all findings instead
        of returning a report with them.
    tolerance_pence
        Differences of at most this many pence count as reconciled (default 0:
        to the penny).
    warn
        Issue a :class:`DataQualityWarning` when findings are returned.
    """
    rows: list[dict[str, object]] = []
    computed: list[dict[str, object]] = []
    prev_close: int | None = None
    prev_year: FinancialYear | None = None

    def add(fy: FinancialYear, check: str, expected: int, actual: int, source: str) -> None:
        diff = actual - expected
        rows.append(
            {
                "financial_year": fy.label,
                "check": check,
                "expected_pence": int(expected),
                "actual_pence": int(actual),
                "difference_pence": int(diff),
                "status": "ok" if abs(diff) <= tolerance_pence else "mismatch",
                "source": source,
            }
        )

    for fy in ledger.years:
        income = ledger.total(fy, "income")
        expenditure = ledger.total(fy, "expenditure")
        deficit = expenditure - income
        for kind, value in (
            ("total_income", income),
            ("total_expenditure", expenditure),
            ("in_year_deficit", deficit),
        ):
            for r in ledger.stated(fy, kind).itertuples(index=False):
                add(fy, kind, value, int(r.amount_pence), r.source)
        openings = ledger.stated(fy, "opening_cumulative_deficit")
        opening = int(openings["amount_pence"].iloc[0]) if len(openings) else None
        if len(openings) and prev_close is not None and prev_year == fy - 1:
            for r in openings.itertuples(index=False):
                add(fy, "continuity", prev_close, int(r.amount_pence), r.source)
        if opening is None and prev_close is not None and prev_year == fy - 1:
            opening = prev_close
        closing = opening + deficit if opening is not None else None
        if closing is not None:
            for r in ledger.stated(fy, "closing_cumulative_deficit").itertuples(index=False):
                add(fy, "closing_cumulative_deficit", closing, int(r.amount_pence), r.source)
        computed.append(
            {
                "financial_year": fy.label,
                "total_income_pence": income,
                "total_expenditure_pence": expenditure,
                "in_year_deficit_pence": deficit,
                "opening_cumulative_deficit_pence": opening,
                "closing_cumulative_deficit_pence": closing,
            }
        )
        prev_close, prev_year = closing, fy
    table = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    report = ReconciliationReport(
        table=table,
        computed=pd.DataFrame(computed),
        origin=ledger.origin,
        tolerance_pence=tolerance_pence,
    )
    if not report.ok:
        if strict:
            raise ReconciliationError(report)
        if warn:
            warnings.warn(report.text, DataQualityWarning, stacklevel=2)
    return report
