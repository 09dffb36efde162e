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

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import MONTH_DIM, TYPE_DIM
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import PLACEMENT_TYPES, check_placement_types
from sctforecast.profile_file import ProfileFacts, read_profile_csv

__all__ = ["AuthorityProfile", "EpisodeData", "ProfileFacts", "read_profile_csv"]

_ASSUMPTION_COLUMNS = ["placement_type", "assumption", "source"]


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

    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str], *, child_population: float | None = None
    ) -> AuthorityProfile:
        """A profile from a small CSV (or ``.xlsx``) of ``key,value[,source]`` rows.

        Keys: ``name``, ``baseline_year`` (e.g. ``2023/24``), ``child_population``
        (children aged 0-17), one row per placement type with children in care
        at the end of the baseline year (e.g. ``foster_ifa,95``; types left out
        have none), and optional ``comparator:<measure>/<area>`` rates.  See
        ``docs/main-job.md`` for an example.  ``child_population`` given here
        replaces the file's.  The activity is the year-end children held
        through the year (as :meth:`from_counts`), an assumption recorded in
        :attr:`assumptions` with the file's sources.

        Raises :class:`DataValidationError` naming the file, row and column of
        every problem (the header is row 1), all at once.
        """
        facts = read_profile_csv(path)
        facts.require(children=True, population=child_population is None)
        population = child_population if child_population is not None else facts.child_population
        profile = cls.from_counts(
            facts.name,  # type: ignore[arg-type]
            baseline_year=facts.baseline_year,  # type: ignore[arg-type]
            children=facts.children,
            child_population=float(population),  # type: ignore[arg-type]
            comparators=facts.comparators,
            source=f"profile file {facts.origin}",
        )
        rows = [*profile.assumptions.itertuples(index=False), *facts.source_rows()]
        if child_population is not None:
            rows.append(("child_population", f"{child_population:,.0f}", "given by the caller"))
        return replace(profile, assumptions=pd.DataFrame(rows, columns=_ASSUMPTION_COLUMNS))

    @classmethod
    def from_ssda903(
        cls,
        data: EpisodeData,
        baseline_year: FinancialYear | str | int,
        *,
        child_population: float,
        name: str | None = None,
        comparators: Mapping[str, float] | None = None,
        population_source: str = "given by the user",
    ) -> AuthorityProfile:
        """A profile from SSDA903 returns (:class:`sctforecast.ssda903.SSDA903Data`).

        Children by placement type are those whose episode is open at the end
        of 31 March of ``baseline_year`` (an episode ending that day has
        ended); the activity is every episode's days in each month of the
        year (an episode still open runs to the end of the returns), the rule
        of :func:`sctforecast.ssda903.placement_days`.  The returns must
        observe the whole baseline year.  ``name`` defaults to the returns'
        folder name.
        """
        fy = FinancialYear.parse(baseline_year)
        _check_covers(data, fy)
        months = month_index(fy, 1)
        episodes = data.episodes
        limit = pd.Timestamp(data.observed_to) + pd.Timedelta(days=1)
        children = _open_at(episodes, pd.Timestamp(fy.end), limit)
        source = f"SSDA903 returns {data.origin}"
        assumptions = pd.DataFrame(
            [
                (
                    "all",
                    f"children in care at 31 March {fy.end.year}: the "
                    f"{sum(children.values()):,.0f} episodes open at the end of that day",
                    source,
                ),
                (
                    "all",
                    f"placement-days of {fy}: each episode's days in each month "
                    f"(an open episode runs to {pd.Timestamp(data.observed_to).date()})",
                    source,
                ),
                ("child_population", f"{child_population:,.0f}", population_source),
            ],
            columns=_ASSUMPTION_COLUMNS,
        )
        return cls(
            name=name or os.path.basename(os.path.normpath(str(data.origin))),
            baseline_year=fy,
            children=children,
            activity=_episode_days(episodes, months, limit),
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


# --- SSDA903 episodes -------------------------------------------------------------------
class EpisodeData(Protocol):
    """What :meth:`AuthorityProfile.from_ssda903` reads from
    :class:`sctforecast.ssda903.SSDA903Data` (episodes with ``start``, ``end``
    and ``placement_type``; the window the returns observe)."""

    @property
    def episodes(self) -> pd.DataFrame: ...
    @property
    def observed_to(self) -> pd.Timestamp: ...
    @property
    def observed_from(self) -> pd.Timestamp | None: ...
    @property
    def origin(self) -> str: ...


def _check_covers(data: EpisodeData, fy: FinancialYear) -> None:
    problems = []
    first, last = pd.Timestamp(fy.start), pd.Timestamp(fy.end)
    if data.observed_from is not None and pd.Timestamp(data.observed_from) > first:
        problems.append(
            f"the returns start observing on {pd.Timestamp(data.observed_from).date()}, after the "
            f"start of the baseline year {fy} ({first.date()}); add the {fy} collection"
        )
    if pd.Timestamp(data.observed_to) < last:
        problems.append(
            f"the returns run to {pd.Timestamp(data.observed_to).date()}, before the end of the "
            f"baseline year {fy} ({last.date()}); add the {fy} collection or choose an earlier "
            "baseline year"
        )
    if problems:
        raise DataValidationError(problems, where=f"authority profile from {data.origin}")


def _open_at(episodes: pd.DataFrame, day: pd.Timestamp, limit: pd.Timestamp) -> dict[str, float]:
    """Children by placement type whose episode covers the end of ``day``."""
    end = episodes["end"].fillna(limit)
    open_ = episodes[(episodes["start"] <= day) & (end > day)]
    counts = open_["placement_type"].value_counts()
    return {t: float(counts.get(t, 0)) for t in PLACEMENT_TYPES}


def _episode_days(
    episodes: pd.DataFrame, months: pd.PeriodIndex, limit: pd.Timestamp
) -> xr.DataArray:
    """Placement-days (month, placement_type): each half-open episode's days in each month."""
    start = episodes["start"].to_numpy("datetime64[D]")
    end = episodes["end"].fillna(limit).to_numpy("datetime64[D]")
    m0 = np.array([m.start_time.date() for m in months], dtype="datetime64[D]")
    m1 = m0 + months.days_in_month.to_numpy().astype("timedelta64[D]")
    overlap = np.minimum(end[:, None], m1[None, :]) - np.maximum(start[:, None], m0[None, :])
    days = np.clip(overlap.astype(np.int64), 0, None).astype(float)
    codes = pd.Categorical(episodes["placement_type"], categories=list(PLACEMENT_TYPES)).codes
    if (codes < 0).any():
        check_placement_types(sorted(set(map(str, episodes["placement_type"]))), where="episodes")
    out = np.zeros((len(months), len(PLACEMENT_TYPES)))
    np.add.at(out.T, codes, days)
    return xr.DataArray(
        out,
        dims=(MONTH_DIM, TYPE_DIM),
        coords={MONTH_DIM: [str(m) for m in months], TYPE_DIM: list(PLACEMENT_TYPES)},
        name="placement_days",
    )
