"""Care-flow data: every published count the aggregate model is fitted to.

The core is a series of flows by period (financial years or months) with the
children in care at each period end.  Every other published observation rides
along and enters the likelihood at its own date: children in care on other
days, rolling 12-month flows, month-end counts of children in foster care and
of unaccompanied asylum-seeking children (UASC) in care, and the comparator
rates the long-run levels are drawn towards.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sctforecast.demand.comparators import ComparatorRates
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear

__all__ = ["CareFlowData", "ComparatorRates", "read_counts_csv"]

#: Columns of the optional tables (besides ``source``, which is kept when given).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "stock_points": ("date", "children_in_care"),
    "rolling_flows": ("months_to", "entries", "exits"),
    "foster": ("month", "children"),
    "uasc": ("date", "children"),
}


def _table(name: str, frame: pd.DataFrame | None, problems: list[str]) -> pd.DataFrame | None:
    """An optional table with typed columns (dates, monthly periods, counts)."""
    if frame is None:
        return None
    cols = EXTRA_COLUMNS[name]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        problems.append(
            f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(cols)}"
        )
        return None
    out = frame[[*cols, *(["source"] if "source" in frame.columns else [])]].copy()
    out = out.reset_index(drop=True)
    key = cols[0]
    try:
        if key in ("date",):
            out[key] = pd.to_datetime(out[key]).dt.normalize()
        else:
            out[key] = pd.PeriodIndex([pd.Period(v, freq="M") for v in out[key]])
    except (ValueError, TypeError) as err:
        problems.append(
            f"{name}: column {key} is not a {'date' if key == 'date' else 'month'}: {err}"
        )
        return None
    for c in cols[1:]:
        v = pd.to_numeric(out[c], errors="coerce")
        for i in np.flatnonzero(v.isna() | (v < 0) | (v != np.round(v))):
            at = out[key].iloc[i]
            problems.append(
                f"{name} row {i + 1} ({at.date() if key == 'date' else at}): {c} must be a whole count "
                "of zero or more, "
                f"got {frame[c].iloc[i]!r}"
            )
        out[c] = v.astype(float)
    if out[key].duplicated().any():
        dup = out[key][out[key].duplicated()].iloc[0]
        problems.append(f"{name}: {dup} appears more than once; give one count a date")
    if "source" not in out.columns:
        out["source"] = ""
    return out.sort_values(key).reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class CareFlowData:
    """Counts for ``T`` periods: entries and exits in each period, children in
    care at the end of each period and at the start of the first.

    ``freq`` is ``"year"`` (financial years, labels "2023/24") or ``"month"``
    (labels "2024-03").  ``population`` is the child population aged 0-17
    (one number per period).  The optional tables are further published
    observations, each entering the likelihood at its date:

    ``stock_points``
        (date, children_in_care): children in care on other days.
    ``rolling_flows``
        (months_to, entries, exits): entries and exits in the 12 months to the
        end of ``months_to`` (e.g. "2022-07").
    ``foster``
        (month, children): children in foster care at month ends.
    ``uasc``
        (date, children): UASC in care; with two or more counts, UASC become
        their own stream of entries (see ``docs/demand.md``).
    ``comparators``
        the long-run rates the model reverts towards (a weakly informative
        prior centred on them); without them, on the series' own mean rates.
    """

    periods: tuple[str, ...]
    entries: np.ndarray
    exits: np.ndarray
    stock: np.ndarray  # length T + 1: opening, then end of each period
    population: np.ndarray
    freq: str = "year"
    source: str = ""
    stock_points: pd.DataFrame | None = field(default=None, repr=False)
    rolling_flows: pd.DataFrame | None = field(default=None, repr=False)
    foster: pd.DataFrame | None = field(default=None, repr=False)
    uasc: pd.DataFrame | None = field(default=None, repr=False)
    comparators: ComparatorRates | None = None

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
            object.__setattr__(self, name, a)
            if a.shape != (n,):
                problems.append(f"{name} has {a.size} values, expected {n}")
                continue
            if np.isnan(a).any():
                where = [
                    self.periods[i] if i < T else "end" for i in np.flatnonzero(np.isnan(a))[:10]
                ]
                problems.append(f"{name} is missing for {', '.join(map(str, where))}")
            if (a < 0).any():
                negative = np.flatnonzero(a < 0)[:10]
                problems.append(
                    f"{name} is negative at position(s) {', '.join(map(str, negative))}"
                )
            if name != "population" and not np.allclose(a[~np.isnan(a)], np.round(a[~np.isnan(a)])):
                problems.append(f"{name} must be whole counts")
        if not problems:
            problems += _gaps(self.periods, self.freq)
        for name in EXTRA_COLUMNS:
            object.__setattr__(self, name, _table(name, getattr(self, name), problems))
        if not problems:
            problems += self._outside_window()
        if problems:
            raise DataValidationError(problems, where=self.source or "care-flow data")

    # --- the window the flows cover ---------------------------------------------------
    @property
    def T(self) -> int:
        return len(self.periods)

    @property
    def months(self) -> pd.PeriodIndex:
        """Every month the flows cover, in order."""
        if self.freq == "year":
            first = FinancialYear.parse(self.periods[0])
            return pd.period_range(f"{first.start_year}-04", periods=12 * self.T, freq="M")
        return pd.period_range(self.periods[0], periods=self.T, freq="M")

    @property
    def start_date(self) -> dt.date:
        """The day the opening stock is counted: the last day before the first month."""
        return (self.months[0].start_time - pd.Timedelta(days=1)).date()

    @property
    def end_date(self) -> dt.date:
        """The last day the flows cover."""
        return self.months[-1].end_time.date()

    @property
    def gap(self) -> np.ndarray:
        """Published stock minus the stock implied by the previous published
        stock and the period's published flows."""
        s = np.asarray(self.stock, dtype=float)
        return s[1:] - (s[:-1] + self.entries - self.exits)

    @property
    def has_uasc_stream(self) -> bool:
        """UASC are modelled as their own stream (two or more UASC counts)."""
        return self.uasc is not None and len(self.uasc) >= 2

    def _outside_window(self) -> list[str]:
        lo, hi = pd.Timestamp(self.start_date), pd.Timestamp(self.end_date)
        first, last = self.months[0], self.months[-1]
        out = []
        for name, key in (("stock_points", "date"), ("uasc", "date")):
            t = getattr(self, name)
            if t is None:
                continue
            for i, d in enumerate(t[key]):
                if not lo <= d <= hi:
                    out.append(
                        f"{name} row {i + 1}: {d.date()} is outside the flows' window "
                        f"({lo.date()} to {hi.date()}); drop it or give flows that cover it"
                    )
        if self.foster is not None:
            for i, m in enumerate(self.foster["month"]):
                if not first - 1 <= m <= last:
                    out.append(
                        f"foster row {i + 1}: {m} is outside the flows' window ({first - 1} to {last})"
                    )
        if self.rolling_flows is not None:
            for i, m in enumerate(self.rolling_flows["months_to"]):
                if not first + 11 <= m <= last:
                    out.append(
                        f"rolling_flows row {i + 1}: the 12 months to {m} are not all inside the flows' "
                        f"window ({first} to {last})"
                    )
        return out

    # --- construction -----------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        flows: pd.DataFrame,
        stocks: pd.DataFrame,
        *,
        population: float | pd.Series | np.ndarray,
        source: str = "care-flow frames",
        **extras: Any,
    ) -> CareFlowData:
        """From yearly flows (financial_year, entries, exits) and 31 March stocks
        (date, children_in_care), the stock at the start of the first year
        included; ``extras`` are the optional tables and ``comparators``."""
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
        stock, missing = [], []
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
            np.full(T, float(population))  # type: ignore[arg-type]
            if np.isscalar(population)
            else np.asarray(population, float)
        )
        return cls(
            periods=tuple(fy.label for fy in f["fy"]),
            entries=pd.to_numeric(f["entries"], errors="coerce").to_numpy(dtype=float),
            exits=pd.to_numeric(f["exits"], errors="coerce").to_numpy(dtype=float),
            stock=np.asarray(stock, dtype=float),
            population=pop,
            freq="year",
            source=source,
            **extras,
        )

    @classmethod
    def from_monthly_counts(
        cls,
        counts: pd.DataFrame,
        *,
        population: float,
        source: str = "monthly counts",
        **extras: Any,
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
            **extras,
        )

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        *,
        default_population: float | None = None,
        source: str | None = None,
    ) -> CareFlowData:
        """From a counts CSV, ``period,entries,exits,children_in_care[,population]``
        with an opening row whose flows are blank: see
        :func:`read_counts_csv` (``docs/demand.md``)."""
        return read_counts_csv(path, default_population=default_population, source=source)

    def with_comparator_rates(self, rates: Mapping[str, float], *, owner: str) -> CareFlowData:
        """These data with the long-run rates formed from published comparator rates
        keyed ``"measure/area"`` (an authority profile's ``comparators``; see
        :meth:`ComparatorRates.from_rates`); no rates leave the data as they are
        (the model then centres on the series' own rates).  ``owner`` names where
        the rates come from in the data's account of them."""
        if not rates:
            return self
        found = ComparatorRates.from_rates(rates)
        return replace(self, comparators=replace(found, source=f"{owner}: {found.source}"))

    def head(self, n: int) -> CareFlowData:
        """The first ``n`` periods, with every other observation up to their end
        (for backtests: the data as they stood then)."""
        if not isinstance(n, int) or not 3 <= n <= self.T:
            raise DataValidationError(
                f"head(n) needs 3 <= n <= {self.T}, got {n!r}", where=self.source
            )
        per = 12 if self.freq == "year" else 1
        last = self.months[n * per - 1]
        end = pd.Timestamp(last.end_time.date())

        def cut(name: str) -> pd.DataFrame | None:
            t = getattr(self, name)
            if t is None:
                return None
            key = EXTRA_COLUMNS[name][0]
            keep = t[t[key] <= (end if key == "date" else last)]
            return keep if len(keep) else None

        extras: dict[str, Any] = {name: cut(name) for name in EXTRA_COLUMNS}
        return replace(
            self,
            periods=self.periods[:n],
            entries=self.entries[:n],
            exits=self.exits[:n],
            stock=self.stock[: n + 1],
            population=self.population[:n],
            **extras,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per period: flows, stocks at both ends, the gap and the population."""
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

    # --- serialisation (for saved models) ---------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-able content (dates as ISO strings)."""
        out: dict[str, Any] = {
            "periods": list(self.periods),
            "entries": self.entries.tolist(),
            "exits": self.exits.tolist(),
            "stock": self.stock.tolist(),
            "population": self.population.tolist(),
            "freq": self.freq,
            "source": self.source,
        }
        for name in EXTRA_COLUMNS:
            t = getattr(self, name)
            out[name] = None if t is None else t.astype(str).to_dict(orient="list")
        c = self.comparators
        out["comparators"] = None if c is None else [c.entry_rate_per_10k, c.exit_hazard, c.source]
        return out

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> CareFlowData:
        extras = {
            name: None if d.get(name) is None else pd.DataFrame(d[name]) for name in EXTRA_COLUMNS
        }
        comp = d.get("comparators")
        return cls(
            tuple(d["periods"]),
            np.array(d["entries"], float),
            np.array(d["exits"], float),
            np.array(d["stock"], float),
            np.array(d["population"], float),
            d["freq"],
            d["source"],
            comparators=None if comp is None else ComparatorRates(*comp),
            **extras,
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


def read_counts_csv(
    path: str | os.PathLike[str],
    *,
    default_population: float | None = None,
    source: str | None = None,
) -> CareFlowData:
    """Read a counts CSV, ``period,entries,exits,children_in_care[,population,source]``
    with an opening row whose flows are blank (:mod:`sctforecast.demand.counts_csv`,
    ``docs/demand.md``), into :class:`CareFlowData`.

    ``default_population`` (children aged 0-17) is held over every period when the
    file has no ``population`` column; ``source`` describes the data (default: the
    file's name and its ``source`` column).  Every problem is raised at once as a
    :class:`~sctforecast.errors.DataValidationError` naming the file, row and column.
    """
    from sctforecast.demand.counts_csv import read_counts_fields

    fields = read_counts_fields(path, default_population=default_population, source=source)
    return CareFlowData(**fields)
