"""Hypothesis strategies shared by the test suite."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

# Amounts in pence: penny-level amounts and very large ones (up to £10bn).
pence = st.one_of(
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=10**12),
)
signed_pence = st.integers(min_value=-(10**12), max_value=10**12)
start_years = st.integers(min_value=2000, max_value=2040)


def _money_text(p: int) -> str:
    sign = "-" if p < 0 else ""
    p = abs(p)
    return f"{sign}{p // 100:,}.{p % 100:02d}"


@st.composite
def ledger_frames(draw: st.DrawFn, max_years: int = 4) -> pd.DataFrame:
    """A long ledger frame of 1..max_years consecutive years, amounts as text."""
    first = draw(start_years)
    n_years = draw(st.integers(1, max_years))
    rows = []
    for k in range(n_years):
        fy = f"{first + k}/{(first + k + 1) % 100:02d}"
        for kind in ("income", "expenditure"):
            n = draw(st.integers(1, 5))
            for i in range(n):
                rows.append(
                    {
                        "financial_year": fy,
                        "line": f"{kind} line {i}",
                        "kind": kind,
                        "amount": _money_text(draw(pence)),
                    }
                )
    if draw(st.booleans()):
        rows.append(
            {
                "financial_year": f"{first}/{(first + 1) % 100:02d}",
                "line": "Opening cumulative deficit",
                "kind": "opening_cumulative_deficit",
                "amount": _money_text(draw(signed_pence)),
            }
        )
    order = draw(st.permutations(range(len(rows))))
    return pd.DataFrame([rows[i] for i in order])


money_text = st.builds(_money_text, signed_pence)
