"""An authority profile: the facts about one authority that the engine needs.

The cost calibration, the MTFP's run rate and staffing, and the demand
models' placement mix and population offset all depend on who the authority
is: how many children it has in care, in which placements, out of how many
children.  Those facts are an *input*, an :class:`AuthorityProfile`, built
from the user's data (SSDA903 returns, a small CSV) or taken from the embedded
default (:func:`sctforecast.datasets.sandwell_profile`).  Nothing in
``costs/``, ``demand/`` or ``mtfp/`` reads an authority's figures any other way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import MONTH_DIM, TYPE_DIM
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types

__all__ = ["AuthorityProfile"]


@dataclass(frozen=True)
class AuthorityProfile:
    """The facts about one authority that the engine needs.

    Attributes
    ----------
    name
        The authority's name, as shown in outputs.
    baseline_year
        The financial year the facts describe (the MTFP's baseline year).
    children
        Children in care by placement type at the end of the baseline year
        (the run rate).  Fractions are allowed (an average, or a split by an
        assumed ratio).
    activity
        Placement-days by month and placement type in the baseline year
        (dims month, placement_type), the volume the placements line of the
        ledger paid for; the cost calibration uses it.
    child_population
        Children aged 0-17 in the authority (the demand models' offset and the
        rate per 10,000).
    comparators
        Published rates to compare with or to revert towards, e.g.
        ``{"children_in_care_per_10k/statistical_neighbours": 96.7}``.
    assumptions
        How gaps in the published or supplied figures were filled: rows of
        (placement_type, assumption, source).
    source
        Where the facts come from.
    """

    name: str
    baseline_year: FinancialYear
    children: Mapping[str, float]
    activity: xr.DataArray = field(repr=False)
    child_population: float
    comparators: Mapping[str, float] = field(default_factory=dict)
    assumptions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["placement_type", "assumption", "source"]),
        repr=False,
    )
    source: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        try:
            check_placement_types(list(self.children), where="children")
        except DataValidationError as err:
            problems += err.problems
        bad = {k: v for k, v in self.children.items() if not np.isfinite(v) or v < 0}
        if bad:
            problems.append(
                "children: counts must be finite and zero or more, got "
                + ", ".join(f"{k}={v}" for k, v in bad.items())
            )
        if sum(self.children.values()) <= 0:
            problems.append("children: no children in care at all; give at least one count")
        if not np.isfinite(self.child_population) or self.child_population <= 0:
            problems.append(
                f"child_population must be a positive number of children aged 0-17, "
                f"got {self.child_population!r}"
            )
        if set(self.activity.dims) != {MONTH_DIM, TYPE_DIM}:
            problems.append(
                f"activity must have dims ({MONTH_DIM}, {TYPE_DIM}), got {self.activity.dims}"
            )
        else:
            want = [str(m) for m in month_index(self.baseline_year, 1)]
            have = [str(m) for m in self.activity[MONTH_DIM].values]
            if have != want:
                problems.append(
                    f"activity must cover the twelve months of {self.baseline_year} "
                    f"({want[0]} to {want[-1]}), got {have[0] if have else '-'} to "
                    f"{have[-1] if have else '-'}"
                )
            if (self.activity.values < 0).any() or not np.isfinite(self.activity.values).all():
                problems.append("activity: placement-days must be finite and zero or more")
        if problems:
            raise DataValidationError(problems, where=f"authority profile {self.name!r}")

    # --- derived facts ------------------------------------------------------------------
    @property
    def children_in_care(self) -> float:
        """Children in care at the end of the baseline year."""
        return float(sum(self.children.values()))

    @property
    def mix(self) -> dict[str, float]:
        """Shares of children in care by placement type (every type, adding to 1)."""
        total = self.children_in_care
        return {t: float(self.children.get(t, 0.0)) / total for t in PLACEMENT_TYPES}

    @property
    def rate_per_10k(self) -> float:
        """Children in care per 10,000 children aged 0-17."""
        return self.children_in_care / self.child_population * 1e4

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        name: str,
        *,
        baseline_year: FinancialYear | str | int,
        children: Mapping[str, float],
        child_population: float,
        comparators: Mapping[str, float] | None = None,
        source: str = "",
    ) -> AuthorityProfile:
        """A profile from counts by placement type at the end of the baseline
        year, the activity taken as those counts held through the year (an
        assumption, recorded in :attr:`assumptions`)."""
        fy = FinancialYear.parse(baseline_year)
        months = month_index(fy, 1)
        days = months.days_in_month.to_numpy(dtype=float)
        counts = np.array([float(children.get(t, 0.0)) for t in PLACEMENT_TYPES])
        activity = xr.DataArray(
            days[:, None] * counts[None, :],
            dims=(MONTH_DIM, TYPE_DIM),
            coords={MONTH_DIM: [str(m) for m in months], TYPE_DIM: list(PLACEMENT_TYPES)},
            name="placement_days",
        )
        assumptions = pd.DataFrame(
            [("all", f"the children at 31 March {fy.end.year} held through {fy}", "assumption")],
            columns=["placement_type", "assumption", "source"],
        )
        return cls(
            name=name,
            baseline_year=fy,
            children=dict(children),
            activity=activity,
            child_population=float(child_population),
            comparators=dict(comparators or {}),
            assumptions=assumptions,
            source=source,
        )

    def __repr__(self) -> str:
        return (
            f"<AuthorityProfile {self.name!r} {self.baseline_year}: "
            f"{self.children_in_care:,.0f} children in care, {self.rate_per_10k:.1f} per 10,000>"
        )
