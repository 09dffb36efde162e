"""Turn children-in-care draws into placement-days by type for the cost model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from sctforecast.costs.taxonomy import PLACEMENT_TYPES, check_placement_types
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.periods import FinancialYear, month_index

__all__ = ["AggregateDemand", "default_mix"]


def default_mix() -> dict[str, float]:
    """Shares of children in care by placement type at 31 March 2024 (004), with
    the same gap-filling assumptions as the cost calibration
    (:data:`sctforecast.costs.ACTIVITY_ASSUMPTIONS`)."""
    from sctforecast.costs.published import sandwell_children_march_2024

    counts = sandwell_children_march_2024()
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


@dataclass(frozen=True)
class AggregateDemand:
    """Yearly forecast draws of children in care, split by a fixed placement mix.

    Implements :class:`sctforecast.mtfp.DemandDraws`.  A year's average children
    in care is the mean of its opening and closing stock.
    """

    draws: xr.Dataset
    stock_start: float
    mix: dict[str, float]

    def __post_init__(self) -> None:
        check_placement_types(list(self.mix), where="placement mix")
        total = sum(self.mix.values())
        if any(v < 0 for v in self.mix.values()) or abs(total - 1) > 1e-9:
            raise DataValidationError(
                f"placement mix shares must be non-negative and add to 1 (they add to {total})"
            )

    def _average(self) -> np.ndarray:
        s = self.draws["children_in_care"].values
        opening = np.concatenate([np.full((s.shape[0], 1), self.stock_start), s[:, :-1]], axis=1)
        return (opening + s) / 2

    def _index(self, years: list[FinancialYear]) -> list[int]:
        labels = [str(p) for p in self.draws["period"].values]
        missing = [y.label for y in years if y.label not in labels]
        if missing:
            raise ConfigError(
                f"the demand forecast covers {labels[0]} to {labels[-1]}, not {', '.join(missing)}; "
                "forecast a longer horizon"
            )
        return [labels.index(y.label) for y in years]

    def children_in_care_draws(self, years: list[FinancialYear]) -> np.ndarray:
        return self._average()[:, self._index(list(years))]

    def placement_days_draws(self, first_year: FinancialYear, n_years: int) -> xr.DataArray:
        years = [first_year + k for k in range(n_years)]
        avg = self._average()[:, self._index(years)]  # (draws, years)
        months = month_index(first_year, n_years)
        days = months.days_in_month.to_numpy(dtype=float)
        per_month = np.repeat(avg, 12, axis=1) * days[None, :]  # (draws, months)
        share = np.array([self.mix.get(t, 0.0) for t in PLACEMENT_TYPES])
        values = per_month[:, :, None] * share[None, None, :]
        return xr.DataArray(
            values,
            dims=("draw", "month", "placement_type"),
            coords={"month": [str(m) for m in months], "placement_type": list(PLACEMENT_TYPES)},
            name="placement_days",
        )
