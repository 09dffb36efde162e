"""Sandwell Children's Trust, the embedded default authority.

Its profile (children in care by placement type at 31 March 2024, the
placement activity of 2023/24 built from the published mix, the child
population and the comparators), with every assumption that fills a gap in
the published figures listed.  The engine never reads these: the pipeline
passes :func:`sandwell_profile` in when the user gives no data of their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.costs.activity import activity_from_counts
from sctforecast.datasets._published import load_sandwell
from sctforecast.periods import FinancialYear
from sctforecast.profile import AuthorityProfile

__all__ = [
    "ACTIVITY_ASSUMPTIONS",
    "UNSPLIT_SPLIT",
    "sandwell_activity_2023_24",
    "sandwell_children_march_2024",
    "sandwell_profile",
]

#: How the children the published mix does not split are shared between the
#: placement types they can be in (an assumption, see :data:`ACTIVITY_ASSUMPTIONS`).
UNSPLIT_SPLIT: dict[str, float] = {
    "placed_with_parents": 0.40,
    "adoption_placement": 0.15,
    "supported_accommodation": 0.30,
    "parent_and_child": 0.05,
    "other_settings": 0.10,
}

ACTIVITY_ASSUMPTIONS = pd.DataFrame(
    [
        (
            "foster_in_house / foster_kinship",
            "children with Trust carers (month ends March 2023 to March 2024) split 84:86 between "
            "mainstream and connected carers, the ratio of households at 31 March 2024",
            "assumption on 004 Section (f) figures",
        ),
        ("foster_ifa", "children with external foster carers (month ends)", "004 Section (f)"),
        (
            "residential_external",
            "49 (March 2023) to 68 (March 2024), the finance section's count, straight line between; "
            "none in-house (the Trust plans up to 9 local beds)",
            "assumption on 004 Section (e) figures",
        ),
        (
            "supported_accommodation_uasc",
            "UASC 15 (April 2023) to 42 (March 2024), straight line",
            "assumption on 004 Section (f) figures",
        ),
        (
            "placed_with_parents / adoption_placement / supported_accommodation / parent_and_child / "
            "other_settings",
            "the rest of the children in care (802 at March 2023 to 808 at March 2024, straight line) "
            "are not split by placement in the documents: about 118 a month, none of them in foster care, "
            "residential care or UASC supported accommodation (those are counted). They are split "
            + ", ".join(f"{share:.0%} {t}" for t, share in UNSPLIT_SPLIT.items())
            + ": by elimination the types the documents do not count, in rough proportion to how "
            "English authorities place children outside foster, residential and UASC care (placed with "
            "parents the largest group, then 16-17 supported accommodation). So they are costed at the "
            "typical cost of the types they could be in (about 360 a week on average at the default unit "
            "costs), not at zero. Replace with your own SSDA903 split where you have it",
            "assumption",
        ),
        (
            "all",
            "a month's children are the mean of its opening and closing month-end counts",
            "assumption",
        ),
    ],
    columns=["placement_type", "assumption", "source"],
)


def _line(a: float, b: float, n: int) -> np.ndarray:
    return np.linspace(a, b, n)


def _sandwell_month_ends() -> pd.DataFrame:
    """Children by placement type at each month end, March 2023 to March 2024."""
    d = load_sandwell()
    mix = d.placement_mix
    ends = pd.period_range("2023-03", "2024-03", freq="M")

    def series(name: str) -> np.ndarray:
        s = mix[mix["placement"] == name].set_index("month")["children"]
        return s.reindex(ends).to_numpy(dtype=float)

    trust = series("foster_trust_carers")
    external = series("foster_external")
    mainstream = d.fact("foster_households_mainstream")
    connected = d.fact("foster_households_connected")
    share = mainstream / (mainstream + connected)
    resid = _line(49, 68, 13)
    uasc = np.r_[15.0, _line(15, 42, 12)]  # 15 in April 2023; taken as the March 2023 level too
    stock = _line(802, 808, 13)
    counted = trust + external + resid + uasc
    unsplit = stock - counted
    return pd.DataFrame(
        {
            "foster_in_house": trust * share,
            "foster_kinship": trust * (1 - share),
            "foster_ifa": external,
            "residential_external": resid,
            "supported_accommodation_uasc": uasc,
            **{t: unsplit * f for t, f in UNSPLIT_SPLIT.items()},
        },
        index=ends,
    )


def sandwell_children_march_2024() -> dict[str, float]:
    """Children by placement type at 31 March 2024 (808 in all), with the
    gap-filling assumptions of :data:`ACTIVITY_ASSUMPTIONS`."""
    last = _sandwell_month_ends().iloc[-1]
    return {str(k): float(v) for k, v in last.items()}


def sandwell_activity_2023_24() -> xr.DataArray:
    """Placement-days by month and type for 2023/24 (see :data:`ACTIVITY_ASSUMPTIONS`)."""
    month_ends = _sandwell_month_ends()
    avg = (month_ends.iloc[:-1].to_numpy() + month_ends.iloc[1:].to_numpy()) / 2
    children = pd.DataFrame(
        avg, columns=month_ends.columns, index=pd.period_range("2023-04", periods=12, freq="M")
    )
    return activity_from_counts(children)


def sandwell_profile() -> AuthorityProfile:
    """The embedded default authority: Sandwell Children's Trust in 2023/24 (004).

    Children by placement type at 31 March 2024 and the 2023/24 activity
    follow :data:`ACTIVITY_ASSUMPTIONS`; the child population is 85,824 and
    the comparators are the published rates per 10,000 (004 Section (f)).
    """
    d = load_sandwell()
    comparators = {
        f"{r.measure}/{r.area}": float(r.value)
        for r in d.comparators.itertuples(index=False)
        if r.area in ("Statistical neighbours", "England", "West Midlands")
    }
    activity = sandwell_activity_2023_24().rename("placement_days")
    return AuthorityProfile(
        name="Sandwell Children's Trust",
        baseline_year=FinancialYear(2023),
        children=sandwell_children_march_2024(),
        activity=activity,
        child_population=float(d.child_population),
        comparators=comparators,
        assumptions=ACTIVITY_ASSUMPTIONS,
        source="Sandwell Children's Trust Annual Review 2023-2024 (004) and earlier reports",
    )
