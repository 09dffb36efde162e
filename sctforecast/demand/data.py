"""Care-flow data: entries, exits and children in care by period (year or month)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear

__all__ = ["CareFlowData"]


@dataclass(frozen=True)
class CareFlowData:
    """Counts for ``T`` periods: entries and exits in each period, children in
    care at the end of each period, and the stock at the start of the first.

    ``freq`` is ``"year"`` (financial years, labels "2023/24") or ``"month"``
    (labels "2024-03").  ``population`` is the child population aged 0-17
    (one number per period).
    """

    periods: tuple[str, ...]
    entries: np.ndarray
    exits: np.ndarray
    stock: np.ndarray  # length T + 1: opening, then end of each period
    population: np.ndarray
    freq: str = "year"
    source: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        T = len(self.periods)
        if self.freq not in ("year", "month"):
            problems.append(f"freq must be 'year' or 'month', not {self.freq!r}")
        if T < 3:
            problems.append(
                f"{T} period(s) of flows: a forecast needs at least 3 (a single year cannot show a trend)"
            )
        for name, arr, n in (
            ("entries", self.entries, T),
            ("exits", self.exits, T),
            ("stock", self.stock, T + 1),
            ("population", self.population, T),
        ):
            a = np.asarray(arr, dtype=float)
            if a.shape != (n,):
                problems.append(f"{name} has {a.size} values, expected {n}")
                continue
            if np.isnan(a).any():
                idx = [
                    self.periods[i] if i < T else "end" for i in np.flatnonzero(np.isnan(a))[:10]
                ]
                problems.append(f"{name} is missing for {', '.join(map(str, idx))}")
            if (a < 0).any():
                idx = np.flatnonzero(a < 0)[:10]
                problems.append(f"{name} is negative at position(s) {', '.join(map(str, idx))}")
            if name != "population" and not np.allclose(a[~np.isnan(a)], np.round(a[~np.isnan(a)])):
                problems.append(f"{name} must be whole counts")
        if not problems:
            problems += _gaps(self.periods, self.freq)
        if problems:
            raise DataValidationError(problems, where=self.source or "care-flow data")

    @property
    def T(self) -> int:
        return len(self.periods)

    @property
    def gap(self) -> np.ndarray:
        """Published stock minus the flow-implied stock, per period."""
        s = np.asarray(self.stock, dtype=float)
        return s[1:] - (s[:-1] + self.entries - self.exits)

    @classmethod
    def sandwell(cls) -> CareFlowData:
        """The embedded yearly series: 31 March stocks 2018-2024, flows 2018/19-2023/24 (004)."""
        from sctforecast.datasets import load_sandwell

        d = load_sandwell()
        return cls.from_frames(
            d.care_flows,
            d.children_in_care,
            population=d.child_population,
            source="embedded Sandwell series (004 Section (f))",
        )

    @classmethod
    def from_frames(
        cls,
        flows: pd.DataFrame,
        stocks: pd.DataFrame,
        *,
        population: float | pd.Series,
        source: str = "care-flow frames",
    ) -> CareFlowData:
        """From yearly flows (financial_year, entries, exits) and 31 March stocks
        (date, children_in_care), the stock at the start of the first year included."""
        need_f = {"financial_year", "entries", "exits"}
        need_s = {"date", "children_in_care"}
        problems = []
        if not need_f <= set(flows.columns):
            problems.append(f"flows need columns {sorted(need_f)}; got {list(flows.columns)}")
        if not need_s <= set(stocks.columns):
            problems.append(f"stocks need columns {sorted(need_s)}; got {list(stocks.columns)}")
        if problems:
            raise DataValidationError(problems, where=source)
        f = flows.copy()
        f["fy"] = [FinancialYear.parse(v) for v in f["financial_year"]]
        f = f.sort_values("fy")
        s = stocks.copy()
        s["date"] = pd.to_datetime(s["date"])
        by_date = dict(
            zip(
                s["date"].dt.date,
                pd.to_numeric(s["children_in_care"], errors="coerce"),
                strict=True,
            )
        )
        stock = []
        missing = []
        for fy in [f["fy"].iloc[0] - 1, *f["fy"]]:
            v = by_date.get(fy.end)
            if v is None:
                missing.append(f"31 March {fy.end.year}")
            stock.append(np.nan if v is None else v)
        if missing:
            raise DataValidationError(
                f"children in care are missing at {', '.join(missing)}", where=source
            )
        T = len(f)
        pop = (
            np.full(T, float(population))
            if np.isscalar(population)
            else np.asarray(population, dtype=float)
        )
        return cls(
            periods=tuple(fy.label for fy in f["fy"]),
            entries=pd.to_numeric(f["entries"], errors="coerce").to_numpy(dtype=float),
            exits=pd.to_numeric(f["exits"], errors="coerce").to_numpy(dtype=float),
            stock=np.asarray(stock, dtype=float),
            population=pop,
            freq="year",
            source=source,
        )

    @classmethod
    def from_monthly_counts(
        cls, counts: pd.DataFrame, *, population: float, source: str = "monthly counts"
    ) -> CareFlowData:
        """From :func:`sctforecast.ssda903.monthly_counts` (month, entries, exits,
        stock_end): the first month's opening stock is its closing stock less
        its net flow."""
        need = {"month", "entries", "exits", "stock_end"}
        if not need <= set(counts.columns):
            raise DataValidationError(f"monthly counts need columns {sorted(need)}", where=source)
        c = counts.sort_values("month")
        e = c["entries"].to_numpy(dtype=float)
        x = c["exits"].to_numpy(dtype=float)
        s_end = c["stock_end"].to_numpy(dtype=float)
        opening = s_end[0] - e[0] + x[0]
        return cls(
            tuple(map(str, c["month"])),
            e,
            x,
            np.r_[opening, s_end],
            np.full(len(c), float(population)),
            freq="month",
            source=source,
        )

    def head(self, n: int) -> CareFlowData:
        """The first ``n`` periods (for backtests)."""
        return CareFlowData(
            self.periods[:n],
            self.entries[:n],
            self.exits[:n],
            self.stock[: n + 1],
            self.population[:n],
            self.freq,
            self.source,
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "period": self.periods,
                "entries": self.entries,
                "exits": self.exits,
                "stock_start": self.stock[:-1],
                "stock_end": self.stock[1:],
                "gap": self.gap,
                "population": self.population,
            }
        )


def _gaps(periods: tuple[str, ...], freq: str) -> list[str]:
    try:
        if freq == "year":
            ys = [FinancialYear.parse(p).start_year for p in periods]
        else:
            ys = [pd.Period(p, freq="M").ordinal for p in periods]
    except Exception as err:  # noqa: BLE001 - reported as a data problem
        return [f"periods are not {freq} labels: {err}"]
    out = []
    for a, b, pa, pb in zip(ys, ys[1:], periods, periods[1:], strict=False):
        if b - a != 1:
            out.append(
                f"the series has a gap or is out of order between {pa} and {pb}; give consecutive periods"
            )
    return out
