"""Steps of the projector that need the cost model: the placements line (and the
children in care and UASC weeks that go with it) and the Contract Sum path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.constants import DAYS_PER_WEEK, DRAW_DIM, TYPE_DIM, YEAR_DIM
from sctforecast.costs import PlacementCostModel, activity_from_counts
from sctforecast.demand.forecast import DemandForecast
from sctforecast.money import format_money, to_pence
from sctforecast.mtfp import kernels
from sctforecast.mtfp.scenario import Scenario
from sctforecast.mtfp.schema import COST_INFLATION
from sctforecast.periods import FinancialYear, month_index
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.profile import AuthorityProfile

__all__ = [
    "Run",
    "placements_line",
    "contract_sum_path",
    "run_rate_costs",
    "run_rate_price_inflation",
]

UASC = "supported_accommodation_uasc"


@dataclass(frozen=True)
class Run:
    """What every step of one projection shares."""

    scenario: Scenario
    profile: AuthorityProfile
    base: dict[str, int]  # baseline-year pence of each MTFP line
    n: int  # paths
    years: list[FinancialYear]
    rng: np.random.Generator

    @property
    def proj(self) -> list[FinancialYear]:
        return self.years[1:]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, len(self.years))


def _run_rate(profile: AuthorityProfile) -> np.ndarray:
    return np.array([float(profile.children.get(t, 0.0)) for t in PLACEMENT_TYPES])


def run_rate_costs(
    model: PlacementCostModel, profile: AuthorityProfile, years: list[FinancialYear]
) -> np.ndarray:
    """(P,) gross cost (pounds) of the profile's run rate held through each year."""
    months = month_index(years[0], len(years))
    children = pd.DataFrame([dict(profile.children)] * len(months), index=months)
    by = model.cost(activity_from_counts(children)).by_year()
    return by["gross"].sum(TYPE_DIM).values.astype(float)


def run_rate_price_inflation(
    model: PlacementCostModel, profile: AuthorityProfile, years: list[FinancialYear]
) -> np.ndarray:
    """(P,) price inflation of the run-rate mix: the change in its weekly cost at
    constant volume from each year to the next (``years`` starts with the baseline)."""
    weekly = model.unit_costs.weekly_costs(years).to_numpy(dtype=float)  # (types, Y)
    cost = _run_rate(profile) @ weekly
    return cost[1:] / cost[:-1] - 1.0


def placements_line(
    run: Run,
    model: PlacementCostModel,
    demand: DemandForecast | None,
    volume: np.ndarray,
    price: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The placements line (n, Y) in pounds, UASC placement-weeks (n, P),
    children in care (n, P) and the placement price inflation the scenario
    assumes (P,), for the Contract Sum's ``cost_inflation`` uplift."""
    s, p = run.scenario, run.profile
    p0 = run.base["placements"] / 100
    proj = run.proj
    days = np.array([y.days for y in proj], dtype=float)
    if s.placements_method == "cost_model":
        inflation = run_rate_price_inflation(model, p, run.years)
    else:
        inflation = np.array([s.price_inflation[y] for y in proj])
    if demand is not None:  # method is cost_model (checked): cost every draw
        by = model.cost(demand.placement_days_draws(proj[0], len(proj))).by_year()
        gross = by["gross"].sum(TYPE_DIM).transpose(DRAW_DIM, YEAR_DIM).values
        placements = np.concatenate([np.full((run.n, 1), p0), gross * price[:, 1:]], axis=1)
        uasc = (
            by["placement_days"].sel({TYPE_DIM: UASC}).transpose(DRAW_DIM, YEAR_DIM).values
            / DAYS_PER_WEEK
        )
        cic = np.asarray(demand.children_in_care_draws(list(proj)), dtype=float)
        return placements, uasc, cic, inflation
    if s.placements_method == "cost_model":
        det = run_rate_costs(model, p, proj)
        placements = np.concatenate(
            [np.full((run.n, 1), p0), det[None, :] * volume[:, 1:] * price[:, 1:]], axis=1
        )
    else:
        placements = kernels.chained(p0, inflation)[None, :] * volume * price
    uasc = float(p.children.get(UASC, 0.0)) * days[None, :] / DAYS_PER_WEEK * volume[:, 1:]
    cic = p.children_in_care * volume[:, 1:]
    return placements, uasc, cic, inflation


def contract_sum_path(
    run: Run, placement_inflation: np.ndarray, ledger_origin: str
) -> tuple[np.ndarray, list[str]]:
    """The Contract Sum by year (pounds, the same on every path) and, per year,
    the assumption that gives it, in words."""
    s = run.scenario
    if s.contract_uplift_rule == COST_INFLATION:
        b = run.base
        weights = np.array([b["staffing"], b["placements"], b["overheads"]], dtype=float)
        rates = np.vstack(
            [
                [s.pay_award[y] for y in run.proj],
                placement_inflation,
                [s.overheads_inflation[y] for y in run.proj],
            ]
        )
        uplift = kernels.cost_inflation(weights, rates)
        why = "cost inflation"
    else:
        uplift = np.array([s.contract_uplift[y] for y in run.proj])
        why = ""
    values = [run.base["contract_sum"] / 100]
    texts = [f"{format_money(run.base['contract_sum'])} outturn: {ledger_origin}"]
    anchor = run.years[0]
    for t, y in enumerate(run.proj):
        if y in s.contract_amounts:
            values.append(s.contract_amounts[y] / 100)
            texts.append(f"{format_money(s.contract_amounts[y])} {s.contract_amounts_source}")
            anchor = y
            continue
        values.append(values[-1] * (1 + uplift[t]))
        money = format_money(to_pence(values[-1]))
        if why:
            texts.append(
                f"{money} = {run.years[t]} {uplift[t]:+.2%} cost inflation ({s.contract_uplift_source})"
            )
        elif uplift[t] == 0:
            texts.append(f"{money} flat cash after {anchor} ({s.contract_uplift_source})")
        else:
            texts.append(f"{money} = {run.years[t]} {uplift[t]:+.2%} ({s.contract_uplift_source})")
    return np.array(values), texts
