"""What the main job runs on: one authority's ledger, demand data, profile and scenario.

:meth:`RunInputs.resolve` turns what a user gives (paths, names, or nothing)
into checked inputs.  With nothing, everything is the embedded default
authority (Sandwell Children's Trust); as soon as the user gives their own
data, every input must be theirs: the embedded ledger, profile and published
series are never mixed silently with another authority's data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.errors import ConfigError
from sctforecast.ledger import Ledger, read_ledger
from sctforecast.mtfp import Scenario, baseline_lines, scenario_ledger
from sctforecast.pipeline.sources import DemandSource, PublishedCounts, SSDA903Returns
from sctforecast.profile import AuthorityProfile, read_profile_csv
from sctforecast.reconcile import Bridge, variance_bridge
from sctforecast.ssda903 import SSDA903Data, read_ssda903

__all__ = ["RunInputs", "EMBEDDED_PROFILE", "MIN_DRAWS", "resolve_profile", "resolve_scenario"]

#: The name that picks the embedded default authority's profile (``--profile sandwell``).
EMBEDDED_PROFILE = "sandwell"
#: Fewest forecast paths the main job accepts (fewer give unstable intervals).
MIN_DRAWS = 100


@dataclass(frozen=True)
class RunInputs:
    """Checked inputs of one run of the main job.

    Attributes
    ----------
    ledger
        The outturn ledger of the baseline year (and any earlier years).
    demand
        A :class:`~sctforecast.pipeline.DemandSource` (published counts or
        SSDA903 returns) that fits its own model.
    scenario
        The MTFP scenario.
    profile
        The authority's profile; its baseline year is the scenario's.
    draws
        Forecast paths (posterior draws) carried through costs and the MTFP.
    random_seed
        Seed of every random choice: same seed, same numbers.
    variance
        Optional variance of the baseline outturn against its plan, shown
        beside the reconciliation.
    notes
        Optional table of published figures that disagree (columns topic,
        figure_a, figure_b, difference, source), shown as found.
    ci_prob
        Width of every interval reported.
    """

    ledger: Ledger
    demand: DemandSource
    scenario: Scenario
    profile: AuthorityProfile
    draws: int = 2000
    random_seed: int = 20240401
    variance: Bridge | None = None
    notes: pd.DataFrame | None = field(default=None, repr=False)
    ci_prob: float = DEFAULT_CI_PROB

    def __post_init__(self) -> None:
        problems: list[str] = []
        if isinstance(self.draws, bool) or not isinstance(self.draws, int):
            problems.append(f"draws must be a whole number, got {self.draws!r}")
        elif self.draws < MIN_DRAWS:
            problems.append(
                f"draws must be at least {MIN_DRAWS} for stable intervals, got {self.draws}"
            )
        if not isinstance(self.demand, DemandSource):
            problems.append(
                "demand must be a DemandSource (e.g. SSDA903Returns.read(folder)), "
                f"got {type(self.demand).__name__}"
            )
        try:
            interval_bounds(self.ci_prob)
        except ConfigError as err:
            problems += err.problems
        year = self.scenario.baseline_year
        if self.profile.baseline_year != year:
            problems.append(
                f"the profile of {self.profile.name} describes {self.profile.baseline_year} but "
                f"the scenario's baseline year is {year}; give a profile of {year} or set "
                f'baseline_year = "{self.profile.baseline_year}" in the scenario'
            )
        try:
            baseline_lines(self.ledger, self.scenario)
        except ConfigError as err:
            problems += [f"{err.where}: {p}" if err.where else p for p in err.problems]
        if problems:
            raise ConfigError(problems, where="run inputs")

    @classmethod
    def resolve(
        cls,
        *,
        ledger: Ledger | str | os.PathLike[str] | None = None,
        sheet: str | None = None,
        ssda903: SSDA903Data | str | os.PathLike[str] | None = None,
        profile: AuthorityProfile | str | os.PathLike[str] | None = None,
        population: float | None = None,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        demand: DemandSource | None = None,
        draws: int = 2000,
        random_seed: int = 20240401,
        ci_prob: float = DEFAULT_CI_PROB,
    ) -> RunInputs:
        """Inputs from what a user gives; the defaults are the embedded authority.

        Parameters
        ----------
        ledger
            A :class:`Ledger` or a ledger file (``sheet`` for ``.xlsx``).  Default:
            the scenario's ``[baseline] ledger`` (for the built-in scenarios the
            embedded 2023/24 outturn).
        ssda903
            The authority's SSDA903 returns (a folder or :class:`SSDA903Data`):
            demand is fitted to them and, unless ``profile`` is a profile, the
            profile's children and activity come from them.
        profile
            An :class:`AuthorityProfile`, a profile CSV (with ``ssda903``, one
            that gives the name and child population only), or ``"sandwell"``
            for the embedded default.  Default: from ``ssda903`` with
            ``population``, or the embedded profile when no data are given.
        population
            Children aged 0-17, for a profile built from ``ssda903`` (or to
            replace a profile CSV's).
        scenario
            A :class:`Scenario`, a TOML file or a built-in name (default
            ``"default"``).
        demand
            A :class:`DemandSource` to use instead of ``ssda903`` or the
            embedded published series.
        """
        scen = resolve_scenario(scenario)
        book, own_ledger = _resolve_ledger(ledger, sheet, scen)
        returns = _read_returns(ssda903)
        prof, own_profile = _resolve_profile(profile, population, returns, scen, own_ledger)
        source = demand or _demand_source(returns, own_profile)
        _check_one_authority(own_ledger, own_profile)
        embedded = not (own_ledger or own_profile)
        return cls(
            ledger=book,
            demand=source,
            scenario=scen,
            profile=prof,
            draws=draws,
            random_seed=random_seed,
            variance=_embedded_variance(book) if embedded else None,
            notes=_embedded_notes() if embedded else None,
            ci_prob=ci_prob,
        )

    def __repr__(self) -> str:
        return (
            f"<RunInputs {self.profile.name!r}: scenario {self.scenario.name!r}, ledger "
            f"{self.ledger.origin}, demand from {self.demand.description}, {self.draws:,} draws>"
        )


# --- resolving each input -------------------------------------------------------------------
def resolve_scenario(scenario: Scenario | str | os.PathLike[str] | None) -> Scenario:
    """A scenario object, a built-in name (unless a file of that name exists) or a TOML
    file (:meth:`Scenario.resolve`); ``None`` is the built-in ``"default"``."""
    if isinstance(scenario, Scenario):
        return scenario
    return Scenario.resolve("default" if scenario is None else scenario)


def resolve_profile(
    profile: AuthorityProfile | str | os.PathLike[str], *, child_population: float | None = None
) -> AuthorityProfile:
    """A profile as given: an :class:`AuthorityProfile`, :data:`EMBEDDED_PROFILE`
    (``"sandwell"``) for the embedded default, or a profile CSV
    (:meth:`AuthorityProfile.from_csv`, ``child_population`` replacing the
    file's).  ``child_population`` with a profile object or the embedded name is
    refused (set it in the profile)."""
    if isinstance(profile, AuthorityProfile) or profile == EMBEDDED_PROFILE:
        if child_population is not None:
            raise ConfigError(
                "population applies to a profile built from SSDA903 returns or a profile CSV; "
                "set child_population in the profile instead"
            )
        if isinstance(profile, AuthorityProfile):
            return profile
        from sctforecast.datasets import sandwell_profile

        return sandwell_profile()
    return AuthorityProfile.from_csv(profile, child_population=child_population)


def _resolve_ledger(
    ledger: Ledger | str | os.PathLike[str] | None, sheet: str | None, scenario: Scenario
) -> tuple[Ledger, bool]:
    """The ledger, and whether it is the user's own (not the embedded outturn)."""
    if isinstance(ledger, Ledger):
        return ledger, True
    if ledger is not None:
        return read_ledger(ledger, sheet=sheet), True
    if sheet is not None:
        raise ConfigError("a sheet needs a ledger workbook to name it in (--sheet with --ledger)")
    if scenario.baseline_ledger == "embedded":
        from sctforecast.datasets import load_outturn

        return scenario_ledger(scenario, embedded=load_outturn()), False
    return scenario_ledger(scenario), True


def _read_returns(ssda903: SSDA903Data | str | os.PathLike[str] | None) -> SSDA903Data | None:
    if ssda903 is None or isinstance(ssda903, SSDA903Data):
        return ssda903
    return read_ssda903(ssda903)


def _resolve_profile(
    profile: AuthorityProfile | str | os.PathLike[str] | None,
    population: float | None,
    returns: SSDA903Data | None,
    scenario: Scenario,
    own_ledger: bool,
) -> tuple[AuthorityProfile, bool]:
    """The profile, and whether it is the user's own (not the embedded default)."""
    if isinstance(profile, AuthorityProfile):
        return resolve_profile(profile, child_population=population), True
    if profile == EMBEDDED_PROFILE or (profile is not None and returns is None):
        return resolve_profile(profile, child_population=population), profile != EMBEDDED_PROFILE
    if returns is not None:
        return _profile_from_returns(returns, profile, population, scenario), True
    if own_ledger:
        raise ConfigError(
            "a ledger of your own needs your authority's profile: give a profile CSV, or SSDA903 "
            f"returns and the child population (--profile P.csv, or --ssda903 D --population N); "
            f"to use the embedded profile with this ledger say so with --profile {EMBEDDED_PROFILE}"
        )
    if population is not None:
        raise ConfigError(
            "population needs SSDA903 returns or a profile CSV to build a profile from; "
            "give --ssda903 D or --profile P.csv with it"
        )
    from sctforecast.datasets import sandwell_profile

    return sandwell_profile(), False


def _profile_from_returns(
    returns: SSDA903Data,
    profile_csv: str | os.PathLike[str] | None,
    population: float | None,
    scenario: Scenario,
) -> AuthorityProfile:
    """Children and activity from the returns; name, population and comparators
    from ``population`` and the profile CSV, if given."""
    facts = read_profile_csv(profile_csv) if profile_csv is not None else None
    problems = []
    if facts is not None and facts.children:
        problems.append(
            f"{facts.origin} lists children by placement type, and the SSDA903 returns give them "
            "too; remove those rows from the profile CSV (keep name, baseline_year, "
            "child_population), or leave out the SSDA903 returns"
        )
    if facts is not None and facts.baseline_year not in (None, scenario.baseline_year):
        problems.append(
            f"{facts.origin} describes {facts.baseline_year} but the scenario's baseline year "
            f"is {scenario.baseline_year}; make them the same"
        )
    pop = population if population is not None else (facts.child_population if facts else None)
    if pop is None:
        problems.append(
            "a profile built from SSDA903 returns needs the child population aged 0-17: give "
            "--population N, or a profile CSV with a child_population row"
        )
    if problems:
        raise ConfigError(problems, where=f"authority profile from {returns.origin}")
    pop_source = (
        "given with --population"
        if population is not None
        else facts.sources.get("child_population") or f"profile file {facts.origin}"  # type: ignore[union-attr]
    )
    return AuthorityProfile.from_ssda903(
        returns,
        scenario.baseline_year,
        child_population=float(pop),  # type: ignore[arg-type]
        name=facts.name if facts else None,
        comparators=facts.comparators if facts else None,
        population_source=pop_source,
    )


def _demand_source(returns: SSDA903Data | None, own_profile: bool) -> DemandSource:
    if returns is not None:
        return SSDA903Returns(returns)
    if own_profile:
        raise ConfigError(
            "your authority's demand needs its SSDA903 returns (--ssda903 D): the embedded "
            "published series belong to the embedded authority"
        )
    from sctforecast.datasets import sandwell_care_flows

    return PublishedCounts(sandwell_care_flows())


def _check_one_authority(own_ledger: bool, own_profile: bool) -> None:
    """The embedded outturn is never paired with another authority's profile.  (A
    ledger of the user's own with the embedded profile needs ``profile="sandwell"``,
    which :func:`_resolve_profile` asks for.)"""
    if own_profile and not own_ledger:
        raise ConfigError(
            "the baseline ledger is the embedded authority's 2023/24 outturn, but the profile "
            "and demand are your authority's; give your ledger with --ledger (or a scenario "
            "whose [baseline] ledger is your file)"
        )


# --- what is shown beside the embedded outturn -------------------------------------------------
def _embedded_variance(ledger: Ledger) -> Bridge:
    """The 2023/24 deficit against the MTFP aim, with the published drivers (004 Section (e))."""
    from sctforecast.datasets import load_sandwell

    data = load_sandwell()
    facts = data.finance_facts.set_index("key")
    planned_gap = int(facts.loc["mtfp_variance", "amount_pence"])
    actual = ledger.in_year_deficit("2023/24")
    drivers = data.variance_drivers
    return variance_bridge(  # pence / 100 is exact pounds: to_pence reads the shortest decimal
        (actual - planned_gap) / 100,
        actual / 100,
        {str(r.driver): int(r.amount_pence) / 100 for r in drivers.itertuples(index=False)},
        tolerance=50_000,
        label="deficit 2023/24",
    )


def _embedded_notes() -> pd.DataFrame:
    from sctforecast.datasets import known_inconsistencies

    return known_inconsistencies()
