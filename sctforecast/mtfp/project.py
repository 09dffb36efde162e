"""The MTFP projector: every line per year, one path per draw, vectorised.

Nothing here knows which authority it projects: the baseline ledger and the
:class:`~sctforecast.profile.AuthorityProfile` (children by placement type at
the end of the baseline year, the baseline year's placement activity) are
arguments.  Each step below is a named function; the numpy arithmetic is in
:mod:`sctforecast.mtfp.kernels`.

Money paths are computed in float pounds per line, converted to integer pence
once per line (:func:`sctforecast.money.to_pence`), and every total is then an
integer sum, so each path satisfies the identities exactly:
income - expenditure = -(in-year deficit); opening + in-year = closing; and
year t's closing is year t+1's opening.
"""

from __future__ import annotations

import hashlib
import logging
import numbers
from collections.abc import Callable

import numpy as np
import xarray as xr

from sctforecast.constants import DRAW_DIM, YEAR_DIM
from sctforecast.costs import Calibration, PlacementCostModel, calibrate
from sctforecast.demand.forecast import DemandForecast
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.ledger import Ledger
from sctforecast.money import format_money, to_pence
from sctforecast.mtfp import kernels
from sctforecast.mtfp.baseline import baseline_lines, opening_deficit
from sctforecast.mtfp.lines import Run, contract_sum_path, placements_line
from sctforecast.mtfp.result import EXPENDITURE_LINES, INCOME_LINES, MTFPProjection
from sctforecast.mtfp.scenario import MTFP_LINES, Scenario
from sctforecast.periods import FinancialYear
from sctforecast.profile import AuthorityProfile

__all__ = ["project"]

log = logging.getLogger(__name__)


def project(
    baseline_ledger: Ledger,
    scenario: Scenario,
    *,
    profile: AuthorityProfile,
    demand: DemandForecast | None = None,
    draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
    cost_model: PlacementCostModel | None = None,
    progress: Callable[[str], None] | None = None,
) -> MTFPProjection:
    """Project every MTFP line for the baseline year and the scenario's horizon.

    Parameters
    ----------
    baseline_ledger
        The outturn :class:`~sctforecast.Ledger` of the baseline year.  The
        scenario's ``[baseline] ledger`` is resolved by the caller
        (:func:`sctforecast.mtfp.scenario_ledger`; the command line and the
        pipeline pass ``sctforecast.datasets.load_outturn()`` for
        ``"embedded"``).
    scenario
        A :class:`Scenario`.
    profile
        The authority: its children by placement type at the end of the
        baseline year are the run rate the cost model prices; its baseline-year
        activity is what the placements line paid for (the calibration);
        its children in care are the staffing baseline; its UASC children
        drive ``per_uasc_child_week`` income.  Its ``baseline_year`` must be
        the scenario's.
    demand
        Optional demand forecast draws: placements are then costed per draw by
        the cost model, and children in care per draw move staffing.  The
        scenario's ``volume_growth`` (and ``volume_growth_sd``) scale every
        draw on top (``DemandForecast.scaled``).  Needs ``method = "cost_model"``.
    draws
        Number of paths.  Default: the number of demand draws, else 2,000 when
        anything is uncertain and 1 when nothing is.
    random_seed
        Seed (int or ``numpy.random.Generator``) for every random choice.
    cost_model
        A placement cost model used as given (e.g. one you calibrated);
        default: the public unit costs calibrated to the baseline placements
        line on ``profile.activity`` (:func:`sctforecast.costs.calibrate`,
        kept as :attr:`MTFPProjection.calibration`).
    """
    say = progress or log.info
    base = _check_inputs(baseline_ledger, scenario, profile, demand)
    rng = (
        random_seed
        if isinstance(random_seed, np.random.Generator)
        else np.random.default_rng(random_seed)
    )
    n, idx = _paths(scenario, demand, draws, rng)
    run = Run(scenario, profile, base, n, scenario.years, rng)
    say(f"projecting {scenario.name!r} for {profile.name}: {len(run.years)} years x {n:,} paths")
    volume = kernels.random_index(
        rng,
        n,
        np.array([scenario.volume_growth[y] for y in run.proj]),
        scenario.volume_growth_sd,
        draw=scenario.volume_growth_sd > 0,
    )
    price = kernels.random_index(
        rng, n, np.zeros(len(run.proj)), scenario.price_sd, draw=scenario.price_sd > 0
    )
    model, calibration = _cost_model(run, cost_model)
    run_demand = _scaled_demand(demand, idx, volume, run.proj) if demand is not None else None
    placements, uasc_weeks, cic, placement_inflation = placements_line(
        run, model, run_demand, volume, price
    )
    lines = {"placements": placements}
    contract, contract_texts = contract_sum_path(run, placement_inflation, baseline_ledger.origin)
    lines["contract_sum"] = np.broadcast_to(contract, run.shape)
    lines["additional_council_funding"] = np.broadcast_to(_council(run), run.shape)
    lines["third_party_income"] = _third_party(run, lines["placements"], uasc_weeks)
    lines["staffing"] = _staffing(run, cic)
    lines["overheads"] = np.broadcast_to(
        kernels.chained(base["overheads"] / 100, _rates(scenario.overheads_inflation, run.proj)),
        run.shape,
    )
    lines["pressures"] = _pressures(run)
    ds = _draws(run, lines, _savings(run), opening_deficit(baseline_ledger, scenario))
    closing = ds["closing_cumulative_deficit"].values[:, -1]
    say(
        f"done: mean {run.years[-1]} closing cumulative deficit {format_money(to_pence(closing.mean() / 100))}"
    )
    return MTFPProjection(
        draws=ds,
        scenario=scenario,
        baseline_origin=baseline_ledger.origin,
        profile_name=profile.name,
        contract_sum_assumptions=tuple(contract_texts),
        calibration=calibration,
    )


# --- named steps ------------------------------------------------------------------------
def _check_inputs(
    ledger: Ledger, scenario: Scenario, profile: AuthorityProfile, demand: DemandForecast | None
) -> dict[str, int]:
    if not isinstance(scenario, Scenario):
        raise ConfigError(
            f"scenario must be a sctforecast.mtfp.Scenario, got {type(scenario).__name__}"
        )
    if not isinstance(profile, AuthorityProfile):
        raise ConfigError(
            f"profile must be a sctforecast.profile.AuthorityProfile, got {type(profile).__name__}; "
            "the embedded default is sctforecast.datasets.sandwell_profile()"
        )
    if profile.baseline_year != scenario.baseline_year:
        raise ConfigError(
            f"the profile of {profile.name} describes {profile.baseline_year}, but the scenario's "
            f"baseline_year is {scenario.baseline_year}; give a profile of the baseline year"
        )
    if demand is not None:
        if not isinstance(demand, DemandForecast):
            raise DataValidationError(
                "demand must be a sctforecast.demand.DemandForecast (every model's demand() gives one)"
            )
        if scenario.placements_method != "cost_model":
            raise ConfigError(
                f"{scenario.origin}: placements.method = {scenario.placements_method!r} cannot use a "
                "demand forecast: the forecast's placement-days are costed by the cost model; set "
                "method = 'cost_model', or project without the demand forecast"
            )
    return baseline_lines(ledger, scenario)


def _paths(
    scenario: Scenario, demand: DemandForecast | None, draws: int | None, rng: np.random.Generator
) -> tuple[int, np.ndarray | None]:
    """Number of paths, and which demand draw each path uses."""
    if draws is not None and (
        isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 1
    ):
        raise ConfigError(f"draws must be a whole number of at least 1, got {draws!r}")
    draws = None if draws is None else int(draws)
    if demand is None:
        return (draws if draws is not None else (2000 if scenario.uncertain else 1)), None
    n_demand = demand.n_draws
    n = draws or n_demand
    idx = np.arange(n) if n == n_demand else rng.choice(n_demand, size=n, replace=n > n_demand)
    return n, idx


def _cost_model(
    run: Run, given: PlacementCostModel | None
) -> tuple[PlacementCostModel, Calibration | None]:
    s = run.scenario
    calibration = None
    model = given
    if model is None and s.placements_method == "cost_model":
        calibration = _calibrated(run.profile, run.base["placements"], s.baseline_year)
        model = calibration.model
    if model is None:
        model = PlacementCostModel()
    if s.price_inflation_set and s.placements_method == "cost_model":
        # the scenario's placement price inflation replaces the unit-cost table's
        model = model.with_unit_costs(
            model.unit_costs.with_inflation(
                {y: s.price_inflation[y] for y in run.proj}, source=f"scenario {s.name}"
            )
        )
    return model, calibration


_CALIBRATIONS: dict[tuple[str, int, str], Calibration] = {}


def _calibrated(profile: AuthorityProfile, target_pence: int, year: FinancialYear) -> Calibration:
    """The public unit costs calibrated to the baseline placements line on the
    profile's activity (remembered for the same profile, line and year: the
    projector is often called many times on one authority)."""
    digest = hashlib.sha256(np.ascontiguousarray(profile.activity.values).tobytes())
    digest.update(repr(sorted(profile.children.items())).encode())
    key = (digest.hexdigest(), int(target_pence), year.label)
    if key not in _CALIBRATIONS:
        if len(_CALIBRATIONS) > 64:
            _CALIBRATIONS.clear()
        _CALIBRATIONS[key] = calibrate(
            PlacementCostModel(), profile.activity, target=target_pence / 100, year=year
        )
    return _CALIBRATIONS[key]


def _scaled_demand(
    demand: DemandForecast, idx: np.ndarray | None, volume: np.ndarray, proj: list[FinancialYear]
) -> DemandForecast:
    """The demand draws the paths use, over the projected years, scaled by the
    scenario's volume index (each month by its financial year's factor)."""
    months = [str(m) for m in demand.placement_days_draws(proj[0], len(proj))["month"].values]
    ds = demand.ds.sel(month=months)
    if idx is not None:
        ds = ds.isel({DRAW_DIM: idx}).assign_coords({DRAW_DIM: np.arange(len(idx))})
    sub = DemandForecast(ds, source=demand.source)
    if np.all(volume == 1.0):
        return sub
    return sub.scaled(np.repeat(volume[:, 1:], 12, axis=1))


def _rates(rates: dict[FinancialYear, float], proj: list[FinancialYear]) -> np.ndarray:
    return np.array([rates[y] for y in proj])


def _council(run: Run) -> np.ndarray:
    s = run.scenario
    return np.array(
        [run.base["additional_council_funding"] / 100]
        + [s.council_amounts.get(y, s.council_default_pence) / 100 for y in run.proj]
    )


def _third_party(run: Run, placements: np.ndarray, uasc_weeks: np.ndarray) -> np.ndarray:
    base_tp = run.base["third_party_income"] / 100
    tp = np.zeros(run.shape)
    tp[:, 0] = base_tp
    for item in run.scenario.third_party:
        if item.rule == "fixed":
            amount = base_tp if item.amount_pence is None else item.amount_pence / 100
            tp[:, 1:] += kernels.chained(amount, _rates(item.growth, run.proj))[None, 1:]
        elif item.rule == "share_of_placements":
            share = (
                item.share
                if item.share is not None
                else base_tp * 100 / max(run.base["placements"], 1)
            )
            tp[:, 1:] += share * placements[:, 1:]
        else:  # per_uasc_child_week
            tp[:, 1:] += item.weekly_rate * uasc_weeks
    return tp


def _staffing(run: Run, cic: np.ndarray) -> np.ndarray:
    s = run.scenario
    pay = kernels.chained(1.0, _rates(s.pay_award, run.proj))
    return kernels.staffing_line(
        run.base["staffing"] / 100,
        pay,
        cic,
        run.profile.children_in_care,
        per_worker=s.children_in_care_per_worker,
        cost_per_worker=s.cost_per_social_worker_pence
        / 100
        * (1 + s.agency_share * s.agency_premium),
    )


def _years_since(run: Run, first: FinancialYear) -> np.ndarray:
    return np.array([y.start_year - first.start_year for y in run.years])


def _pressures(run: Run) -> np.ndarray:
    out = np.zeros(run.shape)
    for p in run.scenario.pressures:
        hit = (
            run.rng.random(run.n) < p.probability
            if 0 < p.probability < 1
            else np.full(run.n, p.probability >= 1)
        )
        out += kernels.event_line(
            hit,
            _years_since(run, p.first_year),
            p.amount_pence / 100,
            recurring=p.recurring,
            growth=p.growth,
        )
    return out


def _savings(run: Run) -> np.ndarray:
    """Savings delivered: whole amounts delivered or not, integer pence throughout
    (negative: they reduce expenditure)."""
    out = np.zeros(run.shape, dtype=np.int64)
    for s in run.scenario.savings:
        hit = (
            run.rng.random(run.n) < s.delivery_probability
            if s.delivery_probability < 1
            else np.ones(run.n, bool)
        )
        since = _years_since(run, s.first_year)
        active = (since >= 0) if s.recurring else (since == 0)
        out -= hit[:, None].astype(np.int64) * (active.astype(np.int64) * s.amount_pence)[None, :]
    return out


def _draws(
    run: Run, lines: dict[str, np.ndarray], savings: np.ndarray, opening0: int
) -> xr.Dataset:
    pence = {k: kernels.line_pence(v) for k, v in lines.items()}
    pence["savings"] = savings
    for k in MTFP_LINES:  # the baseline year is the outturn, to the penny
        pence[k][:, 0] = run.base[k]
    pence["pressures"][:, 0] = 0
    pence["savings"][:, 0] = 0
    totals = kernels.identities(
        [pence[k] for k in INCOME_LINES], [pence[k] for k in EXPENDITURE_LINES], opening0
    )
    data = {k: pence[k] for k in (*INCOME_LINES, *EXPENDITURE_LINES)} | totals
    s = run.scenario
    return xr.Dataset(
        {k: ((DRAW_DIM, YEAR_DIM), np.asarray(v, dtype=np.int64)) for k, v in data.items()},
        coords={DRAW_DIM: np.arange(run.n), YEAR_DIM: [y.label for y in run.years]},
        attrs={
            "scenario": s.name,
            "config_hash": s.config_hash,
            "authority": run.profile.name,
            "units": "pence",
        },
    )
