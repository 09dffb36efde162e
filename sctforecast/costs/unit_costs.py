"""Weekly unit costs by placement type and financial year, with inflation."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear
from sctforecast.placements import CATEGORIES, CATEGORY_OF, PLACEMENT_TYPES

__all__ = ["UnitCostTable"]

_YearLike = FinancialYear | str | int


@dataclass(frozen=True)
class UnitCostTable:
    """Weekly unit cost of each placement type, in the prices of its own year,
    and inflation rates by category (or by placement type) and financial year.

    ``weekly`` columns: placement_type, weekly_cost (pounds), price_year
    ("2023/24"), basis ("published" or "assumption"), source, and the public
    range the weekly cost should lie in: low_weekly, high_weekly (pounds,
    blank when no public figure is known), range_price_year, range_source.
    :meth:`ranges` gives the ranges in any year's prices; the calibration
    reports implied costs beside them and warns when one lands outside.
    ``inflation`` columns: applies_to (a category or a placement type),
    financial_year, rate (0.03 is 3%: the change from the previous year to
    this one), basis, source.  A placement-type row overrides its category.
    """

    weekly: pd.DataFrame
    inflation: pd.DataFrame
    origin: str = "default"

    # --- construction ----------------------------------------------------
    @classmethod
    def default(cls) -> UnitCostTable:
        """The embedded public figures (each row names its source and year)."""
        return _default_table()

    @classmethod
    def from_csv(
        cls,
        unit_costs: str | os.PathLike[str],
        inflation: str | os.PathLike[str] | None = None,
        *,
        origin: str | None = None,
    ) -> UnitCostTable:
        """Read unit costs (and optionally inflation) from CSV or xlsx files."""
        w = read_table(unit_costs)
        infl = read_table(inflation) if inflation is not None else cls.default().inflation
        if "category" in infl.columns and "applies_to" not in infl.columns:
            infl = infl.rename(columns={"category": "applies_to"})
        return cls.from_frames(
            w, infl, origin=origin or str(Path(unit_costs)), where=str(unit_costs)
        )

    @classmethod
    def from_frames(
        cls,
        weekly: pd.DataFrame,
        inflation: pd.DataFrame,
        *,
        origin: str = "<frame>",
        where: str = "<frame>",
    ) -> UnitCostTable:
        """Validate and build; every problem is listed in one error."""
        problems: list[str] = []
        w = weekly.copy()
        for col in ("placement_type", "weekly_cost", "price_year"):
            if col not in w.columns:
                problems.append(
                    f"missing column {col!r} (need placement_type, weekly_cost, price_year)"
                )
        if problems:
            raise DataValidationError(problems, where=where)
        for c, default in (("basis", "given"), ("source", "")):
            if c not in w.columns:
                w[c] = default
        problems += _check_ranges(w)
        costs: list[float] = []
        years: list[str | None] = []
        for i, r in enumerate(w.itertuples(index=False), start=2):
            if r.placement_type not in PLACEMENT_TYPES:
                problems.append(
                    f"row {i}, column placement_type: unknown type {r.placement_type!r}"
                )
            value = pd.to_numeric(pd.Series([r.weekly_cost]), errors="coerce").iloc[0]
            if pd.isna(value):
                problems.append(
                    f"row {i}, column weekly_cost: {r.weekly_cost!r} is missing or not a number "
                    f"for {r.placement_type}; give a weekly cost in pounds"
                )
            elif value < 0:
                problems.append(
                    f"row {i}, column weekly_cost: negative cost {value} for {r.placement_type}"
                )
            costs.append(value)
            try:
                years.append(FinancialYear.parse(str(r.price_year)).label)
            except DataValidationError as err:
                problems.append(f"row {i}, column price_year: {err}")
                years.append(None)
        w["weekly_cost"] = np.asarray(costs, dtype=float)
        w["price_year"] = years
        dup = w[w["placement_type"].duplicated(keep=False)]["placement_type"].unique()
        for t in dup:
            problems.append(f"placement type {t!r} has more than one unit cost")
        missing = [t for t in PLACEMENT_TYPES if t not in set(w["placement_type"])]
        if missing:
            problems.append(
                f"no unit cost for {', '.join(missing)}; every placement type needs one (0 is allowed)"
            )
        inf = inflation.copy()
        for c, default in (("basis", "given"), ("source", "")):
            if c not in inf.columns:
                inf[c] = default
        rates: list[float] = []
        iyears: list[str | None] = []
        for i, r in enumerate(inf.itertuples(index=False), start=2):
            if r.applies_to not in CATEGORIES and r.applies_to not in PLACEMENT_TYPES:
                problems.append(
                    f"inflation row {i}: {r.applies_to!r} is neither a category nor a placement type"
                )
            value = pd.to_numeric(pd.Series([r.rate]), errors="coerce").iloc[0]
            if pd.isna(value) or value <= -1:
                problems.append(
                    f"inflation row {i}, column rate: {r.rate!r} is not a rate above -100%"
                )
            rates.append(value)
            try:
                iyears.append(FinancialYear.parse(str(r.financial_year)).label)
            except DataValidationError as err:
                problems.append(f"inflation row {i}, column financial_year: {err}")
                iyears.append(None)
        inf["rate"] = rates
        inf["financial_year"] = iyears
        if problems:
            raise DataValidationError(problems, where=where)
        w = w.set_index("placement_type").loc[list(PLACEMENT_TYPES)].reset_index()
        return cls(weekly=w, inflation=inf.reset_index(drop=True), origin=origin)

    # --- rates -------------------------------------------------------------
    def __post_init__(self) -> None:
        lookup = {
            (str(a), str(y)): float(r)
            for a, y, r in self.inflation[["applies_to", "financial_year", "rate"]].itertuples(
                index=False
            )
        }
        object.__setattr__(self, "_lookup", lookup)

    def _rate(self, placement_type: str, year: FinancialYear) -> float:
        label = year.label
        lookup: dict[tuple[str, str], float] = self._lookup  # type: ignore[attr-defined]
        for key in ((placement_type, label), (CATEGORY_OF[placement_type], label)):
            if key in lookup:
                return lookup[key]
        raise DataValidationError(
            f"no unit cost for {placement_type} in {label}: the inflation table has no rate for "
            f"{label} ({CATEGORY_OF[placement_type]}); add a row for that year to the inflation table"
        )

    def weekly_costs(self, years: Iterable[_YearLike]) -> pd.DataFrame:
        """Weekly cost (pounds) of each type in each year: rows types, columns year labels."""
        fys = [FinancialYear.parse(y) for y in years]
        values = np.empty((len(self.weekly), len(fys)))
        for i, r in enumerate(self.weekly.itertuples(index=False)):
            base = FinancialYear.parse(r.price_year)
            for j, y in enumerate(fys):
                values[i, j] = float(r.weekly_cost) * self._factor(r.placement_type, base, y)
        out = pd.DataFrame(
            values, index=list(self.weekly["placement_type"]), columns=[y.label for y in fys]
        )
        return out.reindex(list(PLACEMENT_TYPES))

    def ranges(self, year: _YearLike) -> pd.DataFrame:
        """The public range of each type's weekly cost in ``year``'s prices.

        Columns placement_type, low_weekly, high_weekly (pounds; NaN where no
        public figure is known), range_source.  A range stated in another
        year's prices is uprated (or deflated) with the inflation table, as
        the weekly costs are.
        """
        fy = FinancialYear.parse(year)
        rows = []
        for r in self.weekly.itertuples(index=False):
            lo, hi = float(r.low_weekly), float(r.high_weekly)
            factor = 1.0
            if np.isfinite(lo) and np.isfinite(hi):
                factor = self._factor(r.placement_type, FinancialYear.parse(r.range_price_year), fy)
            rows.append((r.placement_type, lo * factor, hi * factor, str(r.range_source)))
        return pd.DataFrame(
            rows, columns=["placement_type", "low_weekly", "high_weekly", "range_source"]
        )

    def _factor(self, placement_type: str, base: FinancialYear, year: FinancialYear) -> float:
        """Price index of ``year`` relative to ``base`` for one type."""
        factor = 1.0
        if year > base:
            for k in range(base.start_year + 1, year.start_year + 1):
                factor *= 1.0 + self._rate(placement_type, FinancialYear(k))
        elif year < base:
            for k in range(year.start_year + 1, base.start_year + 1):
                factor /= 1.0 + self._rate(placement_type, FinancialYear(k))
        return factor

    def daily_rates(self, months: pd.PeriodIndex) -> np.ndarray:
        """Daily cost (pounds) per month and type: shape (months, types).
        Prices change on 1 April (the financial year of each month)."""
        fy = [FinancialYear.containing(m.to_timestamp()) for m in months]
        uniq = sorted(set(fy))
        weekly = self.weekly_costs(uniq)
        cols = {y.label: i for i, y in enumerate(uniq)}
        arr = weekly.to_numpy(dtype=float).T / 7.0  # (years, types)
        return arr[[cols[y.label] for y in fy]]

    # --- derived tables --------------------------------------------------------
    def scaled(self, factors: Mapping[str, float] | float) -> UnitCostTable:
        """A new table with weekly costs multiplied by ``factors`` (per type, or one number)."""
        w = self.weekly.copy()
        if isinstance(factors, int | float):
            w["weekly_cost"] = w["weekly_cost"] * float(factors)
        else:
            unknown = [t for t in factors if t not in PLACEMENT_TYPES]
            if unknown:
                raise DataValidationError(f"scaled(): unknown placement type {unknown[0]!r}")
            f = w["placement_type"].map({t: float(v) for t, v in factors.items()}).fillna(1.0)
            w["weekly_cost"] = w["weekly_cost"].to_numpy(dtype=float) * f.to_numpy(dtype=float)
        return replace(self, weekly=w, origin=f"{self.origin} (scaled)")

    def with_inflation(
        self, rates: Mapping[_YearLike, float], *, source: str = "scenario"
    ) -> UnitCostTable:
        """A new table whose inflation in each year of ``rates`` is that one
        rate for every placement type (the table's own rows for those years,
        by category or by type, are dropped)."""
        labels = {FinancialYear.parse(y).label: float(r) for y, r in rates.items()}
        bad = {y: r for y, r in labels.items() if not np.isfinite(r) or r <= -1}
        if bad:
            raise DataValidationError(
                "with_inflation(): rates must be numbers above -100%, got "
                + ", ".join(f"{y}: {r}" for y, r in bad.items())
            )
        keep = self.inflation[~self.inflation["financial_year"].isin(labels)]
        new = pd.DataFrame(
            [(c, y, r, "given", source) for y, r in labels.items() for c in CATEGORIES],
            columns=["applies_to", "financial_year", "rate", "basis", "source"],
        )
        inflation = pd.concat([keep, new], ignore_index=True)
        return replace(self, inflation=inflation, origin=f"{self.origin} (inflation: {source})")

    def with_weekly(
        self, placement_type: str, weekly_cost: float, price_year: _YearLike, *, source: str
    ) -> UnitCostTable:
        """A new table with one type's weekly cost replaced."""
        if placement_type not in PLACEMENT_TYPES:
            raise DataValidationError(f"unknown placement type {placement_type!r}")
        if not np.isfinite(weekly_cost) or weekly_cost < 0:
            raise DataValidationError(
                f"weekly cost for {placement_type} must be a non-negative number"
            )
        w = self.weekly.copy()
        m = w["placement_type"] == placement_type
        w.loc[m, ["weekly_cost", "price_year", "basis", "source"]] = [
            float(weekly_cost),
            FinancialYear.parse(price_year).label,
            "given",
            source,
        ]
        return replace(self, weekly=w)


_RANGE_COLUMNS = ("low_weekly", "high_weekly", "range_price_year", "range_source")


def _check_ranges(w: pd.DataFrame) -> list[str]:
    """Normalise the optional public-range columns of a weekly table in place;
    return the problems found (a range needs both ends, low <= high, a year)."""
    problems: list[str] = []
    for c in _RANGE_COLUMNS:
        if c not in w.columns:
            w[c] = "" if c in ("range_price_year", "range_source") else np.nan
    lows = pd.to_numeric(w["low_weekly"].replace("", np.nan), errors="coerce")
    highs = pd.to_numeric(w["high_weekly"].replace("", np.nan), errors="coerce")
    years: list[str] = []
    for i, (t, lo, hi, ry, raw_lo, raw_hi, py) in enumerate(
        zip(
            w["placement_type"],
            lows,
            highs,
            w["range_price_year"].fillna(""),
            w["low_weekly"],
            w["high_weekly"],
            w["price_year"],
            strict=True,
        ),
        start=2,
    ):
        given = [not _blank(raw_lo), not _blank(raw_hi)]
        if any(given) and not all(given):
            problems.append(
                f"row {i}, {t}: a public range needs both low_weekly and high_weekly (or neither)"
            )
        elif all(given) and (pd.isna(lo) or pd.isna(hi) or lo < 0 or lo > hi):
            problems.append(
                f"row {i}, {t}: public range {raw_lo!r} to {raw_hi!r} is not two non-negative "
                "numbers with low <= high"
            )
        label = str(ry).strip() or str(py)
        try:
            years.append(FinancialYear.parse(label).label)
        except DataValidationError as err:
            problems.append(f"row {i}, column range_price_year: {err}")
            years.append("")
    w["low_weekly"] = lows.astype(float)
    w["high_weekly"] = highs.astype(float)
    w["range_price_year"] = years
    w["range_source"] = w["range_source"].fillna("").astype(str)
    return problems


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


@cache
def _default_table() -> UnitCostTable:
    # the embedded public figures ship inside the package; read them as package
    # files, without importing any authority's data
    data = resources.files("sctforecast") / "datasets" / "data"
    with (
        resources.as_file(data / "unit_costs.csv") as unit_costs,
        resources.as_file(data / "inflation.csv") as inflation,
    ):
        return UnitCostTable.from_csv(unit_costs, inflation, origin="default")
