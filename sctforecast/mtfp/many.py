"""Several scenarios over the same draws, and the table that compares them.

Analysts change one assumption and look again, many times a day.
:func:`project_many` projects every scenario in one process over the *same*
random numbers: the same demand draws (when a demand forecast is given) and
the same seed for every scenario's own draws, so two scenarios that differ in
one assumption differ on each path only by what that assumption does (common
random numbers).  The cost calibration is made once for the authority and
reused (the projector remembers it per process), so comparing scenarios costs
little more than projecting one.

:func:`compare_scenarios` turns the projections into a
:class:`ScenarioComparison`: by scenario and year, the in-year deficit (mean
and interval), P(breakeven), the closing cumulative deficit, what breaks even,
and the paired difference from the reference scenario (the first), path by
path.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.costs import PlacementCostModel
from sctforecast.demand.forecast import DemandForecast
from sctforecast.errors import ConfigError
from sctforecast.ledger import Ledger
from sctforecast.money import format_money, to_pence
from sctforecast.mtfp.project import project
from sctforecast.mtfp.result import MTFPProjection
from sctforecast.mtfp.scenario import Scenario
from sctforecast.profile import AuthorityProfile

__all__ = ["COMPARISON_COLUMNS", "ScenarioComparison", "compare_scenarios", "project_many"]

log = logging.getLogger(__name__)

#: Columns of :attr:`ScenarioComparison.table` (pinned by a test).  Money in pence.
COMPARISON_COLUMNS = (
    "scenario",
    "financial_year",
    "in_year_deficit_mean_pence",
    "in_year_deficit_lower_pence",
    "in_year_deficit_upper_pence",
    "p_breakeven",
    "closing_cumulative_deficit_mean_pence",
    "contract_sum_pence",
    "contract_sum_needed_mean_pence",
    "savings_needed_mean_pence",
    "difference_mean_pence",
    "difference_lower_pence",
    "difference_upper_pence",
    "p_worse_than_reference",
    "ci_prob",
)


def _one_seed(random_seed: int | np.random.Generator | None) -> int | None:
    """One integer seed every scenario uses (common random numbers)."""
    if isinstance(random_seed, np.random.Generator):
        return int(random_seed.integers(2**63))
    if random_seed is None:
        return int(np.random.default_rng().integers(2**63))
    if isinstance(random_seed, bool) or not isinstance(random_seed, numbers.Integral):
        raise ConfigError(
            f"random_seed must be an int or a numpy.random.Generator, got {random_seed!r}"
        )
    return int(random_seed)


def _named(scenarios: Sequence[Scenario]) -> dict[str, Scenario]:
    if isinstance(scenarios, Scenario) or not scenarios:
        raise ConfigError("give a non-empty list of scenarios to compare")
    out: dict[str, Scenario] = {}
    problems = []
    for s in scenarios:
        if not isinstance(s, Scenario):
            problems.append(f"{s!r} is not a sctforecast.mtfp.Scenario")
        elif s.name in out:
            problems.append(
                f"two scenarios are named {s.name!r} ({out[s.name].origin} and {s.origin}); "
                "give each a distinct name (the name key of the file)"
            )
        else:
            out[s.name] = s
    if problems:
        raise ConfigError(problems, where="the scenarios to compare")
    return out


def project_many(
    baseline_ledger: Ledger,
    scenarios: Sequence[Scenario],
    *,
    profile: AuthorityProfile,
    demand: DemandForecast | None = None,
    draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
    cost_model: PlacementCostModel | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, MTFPProjection]:
    """Project each scenario over the same draws; returns projections by scenario name.

    Parameters are those of :func:`~sctforecast.mtfp.project`, with a list of
    scenarios (distinct names).  Every scenario gets the same number of paths
    (default: the demand draws, else 2,000 when any scenario is uncertain, else
    1) and the same seed, so path ``i`` of every projection uses the same demand
    draw and the same random numbers where the scenarios draw alike.  A
    ``numpy.random.Generator`` gives one seed for all; ``None`` a fresh one.
    Projecting one scenario here gives exactly ``project(..., random_seed=seed)``.
    """
    named = _named(scenarios)
    if draws is None and demand is None:
        draws = 2000 if any(s.uncertain for s in named.values()) else 1
    seed = _one_seed(random_seed)
    out: dict[str, MTFPProjection] = {}
    for k, (name, s) in enumerate(named.items(), start=1):
        if progress is not None:
            progress(f"projecting {name} ({k} of {len(named)})")
        out[name] = project(
            baseline_ledger,
            s,
            profile=profile,
            demand=demand,
            draws=draws,
            random_seed=seed,
            cost_model=cost_model,
            progress=log.info,
        )
    return out


@dataclass(frozen=True)
class ScenarioComparison:
    """Scenarios side by side: ``table`` (:data:`COMPARISON_COLUMNS`), ``text``,
    the ``projections`` by name and the ``reference`` scenario's name."""

    table: pd.DataFrame
    projections: Mapping[str, MTFPProjection]
    reference: str
    ci_prob: float = DEFAULT_CI_PROB

    @property
    def text(self) -> str:
        """The final year of each scenario in words, against the reference."""
        pct = f"{self.ci_prob:.0%}"
        lines = [
            f"{len(self.projections)} scenarios over the same paths; reference {self.reference!r}."
        ]
        last = self.table.groupby("scenario", sort=False).tail(1)
        for r in last.itertuples(index=False):
            line = (
                f"  {r.scenario}: {r.financial_year} in-year deficit "
                f"{format_money(r.in_year_deficit_mean_pence)} on average ({pct} interval "
                f"{format_money(r.in_year_deficit_lower_pence)} to "
                f"{format_money(r.in_year_deficit_upper_pence)}), P(breakeven) {r.p_breakeven:.0%}, "
                f"closing cumulative deficit {format_money(r.closing_cumulative_deficit_mean_pence)}"
            )
            if r.scenario != self.reference and not pd.isna(r.difference_mean_pence):
                diff = int(r.difference_mean_pence)
                side = "more than" if diff >= 0 else "less than"
                line += (
                    f"; a deficit {format_money(abs(diff))} {side} {self.reference}'s on average "
                    f"(greater on {r.p_worse_than_reference:.0%} of the paths)"
                )
            lines.append(line + ".")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<ScenarioComparison {', '.join(map(repr, self.projections))}: "
            f"{len(self.table)} rows, reference {self.reference!r}>"
        )


def _pence(x: float) -> int:
    return int(to_pence(float(x) / 100))


def _rows(
    name: str, p: MTFPProjection, ref: MTFPProjection, paired: bool, lo: float, hi: float
) -> list[dict[str, object]]:
    b = p.breakeven().set_index("financial_year")
    rows = []
    for y in p.years:
        d = p.line("in_year_deficit", y).astype(np.float64)
        q = np.quantile(d, [lo, hi])
        row: dict[str, object] = {
            "scenario": name,
            "financial_year": y,
            "in_year_deficit_mean_pence": _pence(d.mean()),
            "in_year_deficit_lower_pence": _pence(q[0]),
            "in_year_deficit_upper_pence": _pence(q[1]),
            "p_breakeven": float(np.mean(d <= 0)),
            "closing_cumulative_deficit_mean_pence": _pence(
                p.line("closing_cumulative_deficit", y).mean()
            ),
            "contract_sum_pence": int(b.loc[y, "contract_sum_pence"]),
            "contract_sum_needed_mean_pence": int(b.loc[y, "contract_sum_needed_mean_pence"]),
            "savings_needed_mean_pence": int(b.loc[y, "savings_needed_mean_pence"]),
        }
        if paired and y in ref.years:
            diff = d - ref.line("in_year_deficit", y).astype(np.float64)
            qd = np.quantile(diff, [lo, hi])
            row |= {
                "difference_mean_pence": _pence(diff.mean()),
                "difference_lower_pence": _pence(qd[0]),
                "difference_upper_pence": _pence(qd[1]),
                "p_worse_than_reference": float(np.mean(diff > 0)),
            }
        rows.append(row)
    return rows


def compare_scenarios(
    projections: Mapping[str, MTFPProjection],
    *,
    reference: str | None = None,
    ci_prob: float = DEFAULT_CI_PROB,
) -> ScenarioComparison:
    """Compare projections made over the same paths (:func:`project_many`).

    The ``difference_*`` columns are the in-year deficit minus the reference
    scenario's (default: the first), path by path, so they measure what the
    assumptions change and not the noise of different draws; they are empty
    where the projections do not share their paths (a different number of
    paths) or the year.  The reference's own difference is zero.
    """
    if not projections:
        raise ConfigError("give at least one projection to compare")
    names = list(projections)
    reference = names[0] if reference is None else reference
    if reference not in projections:
        raise ConfigError(
            f"reference {reference!r} is not one of the scenarios compared ({', '.join(names)})"
        )
    lo, hi = interval_bounds(ci_prob)
    ref = projections[reference]
    rows = []
    for name, p in projections.items():
        rows += _rows(name, p, ref, p.n_draws == ref.n_draws, lo, hi)
    table = pd.DataFrame(rows).reindex(columns=list(COMPARISON_COLUMNS))
    table["ci_prob"] = float(ci_prob)
    for c in ("difference_mean_pence", "difference_lower_pence", "difference_upper_pence"):
        table[c] = table[c].astype("Int64")
    return ScenarioComparison(table, dict(projections), reference, float(ci_prob))
