"""The result of an MTFP projection: draws of every line, and the answers analysts ask for."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.errors import ConfigError
from sctforecast.money import round_to_total, to_pence
from sctforecast.mtfp.answers import breakeven_table, projection_text
from sctforecast.periods import FinancialYear

__all__ = [
    "MTFPProjection",
    "deficit_bridge",
    "INCOME_LINES",
    "EXPENDITURE_LINES",
    "TOTAL_LINES",
    "SUMMARY_COLUMNS",
]

INCOME_LINES = ("contract_sum", "third_party_income", "additional_council_funding")
EXPENDITURE_LINES = ("staffing", "placements", "overheads", "pressures", "savings")
TOTAL_LINES = (
    "total_income",
    "total_expenditure",
    "in_year_deficit",
    "opening_cumulative_deficit",
    "closing_cumulative_deficit",
)
SUMMARY_COLUMNS = (
    "financial_year",
    "line",
    "kind",
    "mean_pence",
    "median_pence",
    "lower_pence",
    "upper_pence",
    "ci_prob",
)
LINE_LABELS = {
    "contract_sum": "Contract Sum",
    "third_party_income": "Third-party income",
    "additional_council_funding": "Additional Council funding",
    "staffing": "Staffing",
    "placements": "Placements",
    "overheads": "Overheads",
    "pressures": "Pressures",
    "savings": "Savings delivered",
    "total_income": "Total income",
    "total_expenditure": "Total expenditure",
    "in_year_deficit": "In-year deficit",
    "opening_cumulative_deficit": "Opening cumulative deficit",
    "closing_cumulative_deficit": "Closing cumulative deficit",
}


def _kind(line: str) -> str:
    return (
        "income"
        if line in INCOME_LINES
        else "expenditure"
        if line in EXPENDITURE_LINES
        else "total"
    )


@dataclass(frozen=True)
class MTFPProjection:
    """Draws of every MTFP line (integer pence, dims draw x financial_year).

    ``contract_sum_assumptions`` says, per year, what the stated Contract Sum
    is and where it comes from; ``calibration`` is the cost calibration the
    projector made (``None`` when a cost model was given or not needed).
    """

    draws: xr.Dataset
    scenario: object
    baseline_origin: str = ""
    profile_name: str = ""
    contract_sum_assumptions: tuple[str, ...] = ()
    calibration: object | None = field(default=None, repr=False)

    @property
    def years(self) -> list[str]:
        return [str(y) for y in self.draws["financial_year"].values]

    @property
    def n_draws(self) -> int:
        return int(self.draws.sizes["draw"])

    def _year(self, year: FinancialYear | str | int) -> str:
        label = FinancialYear.parse(year).label
        if label not in self.years:
            raise ConfigError(
                f"{label} is not a year of this projection ({self.years[0]} to {self.years[-1]})"
            )
        return label

    def line(self, name: str, year: FinancialYear | str | int) -> np.ndarray:
        """All draws of one line in one year (pence)."""
        return self.draws[name].sel(financial_year=self._year(year)).values

    # --- tables ---------------------------------------------------------------------------
    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Mean, median and central ``ci_prob`` interval of every line by year (pence)."""
        lo, hi = interval_bounds(ci_prob)
        rows = []
        for name in (*INCOME_LINES, *EXPENDITURE_LINES, *TOTAL_LINES):
            v = self.draws[name].values.astype(np.float64)
            mean, med = v.mean(axis=0), np.median(v, axis=0)
            ql, qh = np.quantile(v, [lo, hi], axis=0)
            for j, y in enumerate(self.years):
                rows.append((y, name, _kind(name), mean[j], med[j], ql[j], qh[j], ci_prob))
        t = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
        for c in ("mean_pence", "median_pence", "lower_pence", "upper_pence"):
            t[c] = to_pence(t[c].to_numpy() / 100)
        return t

    def footed_means(self) -> pd.DataFrame:
        """Mean of every line by year, rounded to whole pounds so that the table foots.

        Income and expenditure lines are rounded by largest remainder to their
        rounded totals; the deficit is shown total expenditure less total
        income; closing is opening plus deficit and becomes next year's opening.
        Rows are lines, columns years, values whole pounds (int).
        """
        out: dict[str, dict[str, int]] = {}
        prev_close: int | None = None
        for y in self.years:
            col: dict[str, int] = {}
            sel = self.draws.sel(financial_year=y)
            for group, total in (
                (INCOME_LINES, "total_income"),
                (EXPENDITURE_LINES, "total_expenditure"),
            ):
                means = [float(sel[k].values.mean()) / 100 for k in group]
                r = round_to_total(means)
                col.update({k: int(v) for k, v in zip(group, r, strict=True)})
                col[total] = int(r.sum())
            col["in_year_deficit"] = col["total_expenditure"] - col["total_income"]
            if prev_close is None:
                prev_close = int(
                    round_to_total([float(sel["opening_cumulative_deficit"].values.mean()) / 100])[
                        0
                    ]
                )
            col["opening_cumulative_deficit"] = prev_close
            col["closing_cumulative_deficit"] = prev_close + col["in_year_deficit"]
            prev_close = col["closing_cumulative_deficit"]
            out[y] = col
        t = pd.DataFrame(out)
        t.index = [LINE_LABELS[i] for i in t.index]
        return t.loc[[LINE_LABELS[k] for k in (*INCOME_LINES, *EXPENDITURE_LINES, *TOTAL_LINES)]]

    # --- questions ------------------------------------------------------------------------
    def probability_of_breakeven(
        self, year: FinancialYear | str | int | None = None
    ) -> float | pd.Series:
        """P(in-year deficit <= 0): for one year, or a Series by year."""
        if year is None:
            return pd.Series(
                {y: self.probability_of_breakeven(y) for y in self.years}, name="p_breakeven"
            )
        return float(np.mean(self.line("in_year_deficit", year) <= 0))

    def probability_cumulative_deficit_exceeds(
        self, threshold: int | float | str, year: FinancialYear | str | int | None = None
    ) -> float | pd.Series:
        """P(closing cumulative deficit > threshold pounds)."""
        t = to_pence(threshold)
        if year is None:
            return pd.Series(
                {y: self.probability_cumulative_deficit_exceeds(threshold, y) for y in self.years},
                name="p_exceeds",
            )
        return float(np.mean(self.line("closing_cumulative_deficit", year) > t))

    def required_savings(
        self,
        year: FinancialYear | str | int,
        confidence: float = 0.5,
        *,
        delivery_probability: float = 1.0,
        random_seed: int = 0,
        tolerance: int | float = 1,
    ) -> int:
        """Extra savings (pence) needed in ``year`` to break even with ``confidence``.

        A saving of ``s`` pounds delivered with ``delivery_probability`` (one
        Bernoulli draw per path, common random numbers) lowers the in-year
        deficit of the paths where it lands.  The smallest such ``s`` with
        P(deficit - s x delivered <= 0) >= confidence is found by bisection to
        within ``tolerance`` pounds (default £1) and rounded up to the penny.
        Raises :class:`ConfigError` when no saving can reach the confidence
        (delivery_probability too low).
        """
        if not 0 < confidence < 1:
            raise ConfigError(f"confidence must be between 0 and 1, got {confidence}")
        if not 0 < delivery_probability <= 1:
            raise ConfigError(f"delivery_probability must be in (0, 1], got {delivery_probability}")
        d = self.line("in_year_deficit", year).astype(np.float64)
        delivered = np.random.default_rng(random_seed).random(d.size) < delivery_probability
        if delivery_probability == 1.0:
            delivered[:] = True
        reach = float(np.mean((d <= 0) | delivered))
        if reach < confidence:
            raise ConfigError(
                f"no saving reaches {confidence:.0%} confidence of breakeven in {self._year(year)}: with "
                f"delivery probability {delivery_probability:.0%} at most {reach:.1%} of paths can break even"
            )

        def p(s: float) -> float:
            return float(np.mean(d - s * delivered <= 0))

        lo, hi = 0.0, max(float(d.max()), 0.0) + 100.0
        if p(lo) >= confidence:
            return 0
        tol = float(tolerance) * 100
        while hi - lo > tol:
            mid = (lo + hi) / 2
            if p(mid) >= confidence:
                hi = mid
            else:
                lo = mid
        return int(np.ceil(hi))

    def compare(self, other: MTFPProjection, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Side by side by year: mean deficit and breakeven probability of each, and the difference."""
        rows = []
        for y in self.years:
            if y not in other.years:
                continue
            a = self.line("in_year_deficit", y)
            b = other.line("in_year_deficit", y)
            ca = self.line("closing_cumulative_deficit", y)
            cb = other.line("closing_cumulative_deficit", y)
            rows.append(
                {
                    "financial_year": y,
                    "deficit_a_pence": to_pence(float(a.mean()) / 100),
                    "deficit_b_pence": to_pence(float(b.mean()) / 100),
                    "difference_pence": to_pence(float(b.mean() - a.mean()) / 100),
                    "p_breakeven_a": float(np.mean(a <= 0)),
                    "p_breakeven_b": float(np.mean(b <= 0)),
                    "closing_a_pence": to_pence(float(ca.mean()) / 100),
                    "closing_b_pence": to_pence(float(cb.mean()) / 100),
                }
            )
        return pd.DataFrame(rows)

    def bridge_to(self, other: MTFPProjection, year: FinancialYear | str | int) -> pd.DataFrame:
        """Line by line, how the mean in-year deficit of ``year`` moves from this
        scenario to ``other`` (see :func:`deficit_bridge`)."""
        y = self._year(year)
        return deficit_bridge(
            (self, y, f"deficit {y}: {getattr(self.scenario, 'name', 'A')}"),
            (other, y, f"deficit {y}: {getattr(other.scenario, 'name', 'B')}"),
        )

    def bridge_years(
        self, year_a: FinancialYear | str | int, year_b: FinancialYear | str | int
    ) -> pd.DataFrame:
        """Line by line, how the mean in-year deficit moves from ``year_a`` to ``year_b``."""
        a, b = self._year(year_a), self._year(year_b)
        return deficit_bridge((self, a, f"deficit {a}"), (self, b, f"deficit {b}"))

    def breakeven(self, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The answers by financial year: the stated Contract Sum and its assumption,
        P(breakeven) under it, the Contract Sum needed to break even in-year and the
        savings needed instead (mean and central ``ci_prob`` interval over the paths),
        and the Contract Sum that would also clear the cumulative deficit.  Columns
        :data:`~sctforecast.mtfp.answers.BREAKEVEN_COLUMNS`, money in pence; see
        :mod:`sctforecast.mtfp.answers` for the definitions."""
        return breakeven_table(self, ci_prob)

    @property
    def text(self) -> str:
        """The answers in words, each deficit beside its Contract Sum assumption."""
        return projection_text(self)

    def __repr__(self) -> str:
        name = getattr(self.scenario, "name", "")
        return (
            f"<MTFPProjection {name!r}: {self.years[0]}..{self.years[-1]}, {self.n_draws:,} paths>"
        )


def deficit_bridge(
    a: tuple[MTFPProjection, str, str], b: tuple[MTFPProjection, str, str]
) -> pd.DataFrame:
    """Steps from the mean in-year deficit of (projection, year) ``a`` to that of ``b``.

    Income lines enter with a minus sign (more income, less deficit).  Amounts
    are whole pounds rounded by largest remainder, so the start plus the steps
    add to the end exactly.
    """
    pa, ya, la = a
    pb, yb, lb = b
    steps = []
    for k in (*INCOME_LINES, *EXPENDITURE_LINES):
        sign = -1.0 if k in INCOME_LINES else 1.0
        ma = float(pa.draws[k].sel(financial_year=ya).values.mean())
        mb = float(pb.draws[k].sel(financial_year=yb).values.mean())
        steps.append(sign * (mb - ma) / 100)
    start = float(pa.line("in_year_deficit", ya).mean()) / 100
    r = round_to_total([start, *steps])
    rows = [{"step": la, "amount": int(r[0]), "role": "start"}]
    rows += [
        {"step": LINE_LABELS[k], "amount": int(v), "role": "step"}
        for k, v in zip((*INCOME_LINES, *EXPENDITURE_LINES), r[1:], strict=True)
    ]
    rows.append({"step": lb, "amount": int(r.sum()), "role": "end"})
    return pd.DataFrame(rows)
