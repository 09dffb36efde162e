"""The MTFP projector: every line per year, one path per draw, vectorised.

Money paths are computed in float pounds per line, converted to integer pence
once per line (:func:`sctforecast.money.to_pence`), and every total is then an
integer sum, so each path satisfies the identities exactly:
income - expenditure = -(in-year deficit); opening + in-year = closing; and
year t's closing is year t+1's opening.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.costs import PLACEMENT_TYPES, PlacementCostModel, activity_from_counts, calibrate
from sctforecast.datasets.sandwell import sandwell_activity_2023_24, sandwell_children_march_2024
from sctforecast.demand.forecast import DemandForecast
from sctforecast.errors import ConfigError, DataValidationError
from sctforecast.ledger import Ledger, read_ledger
from sctforecast.money import format_money, to_pence
from sctforecast.mtfp.result import EXPENDITURE_LINES, INCOME_LINES, MTFPProjection
from sctforecast.mtfp.scenario import MTFP_LINES, Scenario
from sctforecast.periods import FinancialYear, month_index

__all__ = ["project", "baseline_lines"]

log = logging.getLogger(__name__)


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _load_baseline(scenario: Scenario, baseline: Ledger | str | None) -> Ledger:
    if isinstance(baseline, Ledger):
        return baseline
    src = baseline if isinstance(baseline, str) else scenario.baseline_ledger
    if src == "embedded":
        from sctforecast.datasets import load_outturn

        return load_outturn()
    return read_ledger(src, sheet=scenario.baseline_sheet)


def baseline_lines(ledger: Ledger, scenario: Scenario) -> dict[str, int]:
    """Baseline-year amount (pence) of each MTFP line, mapping every ledger line once."""
    fy = scenario.baseline_year
    if fy not in ledger.years:
        raise ConfigError(
            f"the baseline ledger {ledger.origin} has no {fy}; it covers {', '.join(str(y) for y in ledger.years)}"
        )
    rows = ledger.lines(fy)
    rows = rows[rows["kind"].isin(["income", "expenditure"])]
    amounts = dict(zip(rows["line"], rows["amount_pence"], strict=True))
    kinds = dict(zip(rows["line"], rows["kind"], strict=True))
    problems: list[str] = []
    used: dict[str, str] = {}
    out: dict[str, int] = {}
    for mline in MTFP_LINES:
        want = "income" if mline in INCOME_LINES else "expenditure"
        total = 0
        for name in scenario.baseline_lines.get(mline, ()):
            if name not in amounts:
                problems.append(
                    f"baseline.{mline}: ledger line {name!r} is not in {fy} of {ledger.origin}"
                )
                continue
            if name in used:
                problems.append(f"ledger line {name!r} is mapped to both {used[name]} and {mline}")
            if kinds[name] != want:
                problems.append(
                    f"baseline.{mline}: {name!r} is {kinds[name]}, but {mline} is {want}"
                )
            used[name] = mline
            total += int(amounts[name])
        out[mline] = total
    unmapped = [n for n in amounts if n not in used]
    if unmapped:
        problems.append(
            f"ledger line(s) {', '.join(map(repr, unmapped))} of {fy} are not mapped to any MTFP line in [baseline]; "
            "map each to one of " + ", ".join(MTFP_LINES)
        )
    if problems:
        raise ConfigError(problems, where=f"{scenario.origin} [baseline]")
    return out


def _run_rate_costs(
    scenario: Scenario, placements_base: int, years: list[FinancialYear]
) -> tuple[np.ndarray, PlacementCostModel]:
    """Deterministic gross placement cost per projected year (pounds) of the run-rate
    mix, with unit costs calibrated to the baseline placements line."""
    return _run_rate_costs_cached(scenario.baseline_year, placements_base, tuple(years))


@lru_cache(maxsize=32)
def _run_rate_costs_cached(
    baseline_year: FinancialYear, placements_base: int, years: tuple[FinancialYear, ...]
) -> tuple[np.ndarray, PlacementCostModel]:
    model = PlacementCostModel()
    cal = calibrate(
        model, sandwell_activity_2023_24(), target=placements_base / 100, year=baseline_year
    )
    months = month_index(years[0], len(years))
    children = pd.DataFrame(sandwell_children_march_2024(), index=months)
    by = cal.model.cost(activity_from_counts(children)).by_year()["gross"].sum("placement_type")
    values = by.values.astype(float)
    values.flags.writeable = False
    return values, cal.model


def _to_pence_lines(values: np.ndarray) -> np.ndarray:
    """Pence of a (paths, years) line; a line that is the same on every path is
    converted once and repeated."""
    if values.strides[0] == 0:
        return np.repeat(to_pence(np.ascontiguousarray(values[:1])), values.shape[0], axis=0)
    return to_pence(values)


def project(
    baseline: Ledger | str | None,
    scenario: Scenario,
    *,
    demand: DemandForecast | None = None,
    draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
    cost_model: PlacementCostModel | None = None,
    progress: Callable[[str], None] | None = None,
) -> MTFPProjection:
    """Project every MTFP line for the baseline year and the scenario's horizon.

    Parameters
    ----------
    baseline
        The outturn ledger of the baseline year (``None``: the scenario's
        ``[baseline] ledger``, by default the embedded 2023/24 outturn).
    scenario
        A :class:`Scenario`.
    demand
        Optional demand forecast draws (:class:`~sctforecast.demand.DemandForecast`): placements are
        then costed per draw by the (calibrated) cost model, and social-worker
        establishment follows children in care.
    draws
        Number of paths.  Default: 1 when nothing is uncertain, else 2,000 (or
        the number of demand draws).
    random_seed
        Seed (int or ``numpy.random.Generator``) for every random choice.
    """
    say = progress or (lambda msg: log.info(msg))
    rng = _rng(random_seed)
    ledger = _load_baseline(scenario, baseline)
    base = baseline_lines(ledger, scenario)
    years = scenario.years
    proj = scenario.projected_years
    Y = len(years)
    uncertain = (
        demand is not None
        or scenario.volume_growth_sd > 0
        or scenario.price_sd > 0
        or any(s.delivery_probability < 1 for s in scenario.savings)
        or any(0 < p.probability < 1 for p in scenario.pressures)
    )
    demand_days = None
    if demand is not None:
        if not isinstance(demand, DemandForecast):
            raise DataValidationError(
                "demand must be a sctforecast.demand.DemandForecast (every model's demand() gives one)"
            )
        demand_days = demand.placement_days_draws(proj[0], len(proj))
        unknown = sorted(set(map(str, demand_days["placement_type"].values)) - set(PLACEMENT_TYPES))
        if unknown:
            raise DataValidationError(
                f"the demand forecast has placement types the cost model does not know: {', '.join(unknown)}; "
                f"map them to {', '.join(PLACEMENT_TYPES)}"
            )
        n_demand = demand_days.sizes["draw"]
        n = draws or n_demand
        # common draw indices for placements and children in care
        idx = np.arange(n) if n == n_demand else rng.choice(n_demand, size=n, replace=n > n_demand)
    else:
        n = draws if draws is not None else (2000 if uncertain else 1)
    if n < 1:
        raise ConfigError(f"draws must be at least 1, got {n}")
    say(f"projecting {scenario.name!r}: {Y} years x {n:,} paths")
    shape = (n, Y)
    lines: dict[str, np.ndarray] = {}

    # --- income ------------------------------------------------------------
    contract = np.empty(Y)
    contract[0] = base["contract_sum"] / 100
    for t, y in enumerate(proj, start=1):
        if y in scenario.contract_amounts:
            contract[t] = scenario.contract_amounts[y] / 100
        else:
            contract[t] = contract[t - 1] * (1 + scenario.contract_uplift[y])
    lines["contract_sum"] = np.broadcast_to(contract, shape)
    council = np.array(
        [base["additional_council_funding"] / 100]
        + [scenario.council_amounts.get(y, scenario.council_default_pence) / 100 for y in proj]
    )
    lines["additional_council_funding"] = np.broadcast_to(council, shape)

    # --- placements ----------------------------------------------------------
    p0 = base["placements"] / 100
    vol_index = np.ones(shape)
    price_index = np.ones(shape)
    if scenario.volume_growth_sd > 0 or any(scenario.volume_growth.values()):
        g = np.array([scenario.volume_growth[y] for y in proj])
        shocks = rng.normal(g, scenario.volume_growth_sd, size=(n, len(proj)))
        vol_index[:, 1:] = np.cumprod(1 + shocks, axis=1)
    if scenario.price_sd > 0:
        e = rng.normal(0.0, scenario.price_sd, size=(n, len(proj)))
        price_index[:, 1:] = np.cumprod(1 + e, axis=1)
    uasc_weeks = np.zeros(shape)
    if demand_days is not None:
        model = cost_model or _run_rate_costs(scenario, base["placements"], proj)[1]
        dd = demand_days.isel(draw=idx)
        by = model.cost(dd).by_year()
        pl = by["gross"].sum("placement_type").transpose("draw", "financial_year").values
        placements = np.concatenate([np.full((n, 1), p0), pl * price_index[:, 1:]], axis=1)
        uasc_weeks[:, 1:] = (
            by["placement_days"]
            .sel(placement_type="supported_accommodation_uasc")
            .transpose("draw", "financial_year")
            .values
            / 7
        )
        say("costed placements from the demand draws")
    elif scenario.placements_method == "cost_model":
        if (
            scenario.run_rate != "sandwell_march_2024"
        ):  # pragma: no cover - the schema allows no other yet
            raise ConfigError(f"unknown run rate {scenario.run_rate!r}")
        det, _ = _run_rate_costs(scenario, base["placements"], proj)
        placements = np.concatenate(
            [np.full((n, 1), p0), det[None, :] * vol_index[:, 1:] * price_index[:, 1:]], axis=1
        )
        uasc_weeks[:, 1:] = (
            sandwell_children_march_2024()["supported_accommodation_uasc"]
            * np.array([y.days for y in proj])
            / 7
            * vol_index[:, 1:]
        )
    else:
        infl = np.array([1.0] + [1 + scenario.price_inflation[y] for y in proj])
        placements = p0 * np.cumprod(infl)[None, :] * vol_index * price_index
    lines["placements"] = placements

    # --- third-party income --------------------------------------------------
    tp = np.zeros(shape)
    tp[:, 0] = base["third_party_income"] / 100
    for item in scenario.third_party:
        if item.rule == "fixed":
            amt = item.amount_pence / 100 if item.amount_pence else base["third_party_income"] / 100
            growth = np.cumprod([1 + item.growth[y] for y in proj])
            tp[:, 1:] += amt * growth[None, :]
        elif item.rule == "share_of_placements":
            share = (
                item.share
                if item.share is not None
                else base["third_party_income"] / max(base["placements"], 1)
            )
            tp[:, 1:] += share * placements[:, 1:]
        else:  # per_uasc_child_week
            tp[:, 1:] += item.weekly_rate * uasc_weeks[:, 1:]
    lines["third_party_income"] = tp

    # --- staffing -------------------------------------------------------------
    pay = np.cumprod([1.0] + [1 + scenario.pay_award[y] for y in proj])
    staffing = np.broadcast_to(base["staffing"] / 100 * pay, shape)
    if demand is not None:
        cic = np.asarray(demand.children_in_care_draws(list(proj)), dtype=float)[idx]
        from sctforecast.datasets import load_sandwell

        cic0 = float(load_sandwell().children_in_care["children_in_care"].iloc[-2:].mean())
        extra_workers = (cic - cic0) / scenario.children_in_care_per_worker
        cost_per = (
            scenario.cost_per_social_worker_pence
            / 100
            * (1 + scenario.agency_share * scenario.agency_premium)
        )
        staffing = staffing.copy()
        staffing[:, 1:] += extra_workers * cost_per * pay[None, 1:]
    lines["staffing"] = staffing

    # --- overheads, savings, pressures ---------------------------------------------
    oh = np.cumprod([1.0] + [1 + scenario.overheads_inflation[y] for y in proj])
    lines["overheads"] = np.broadcast_to(base["overheads"] / 100 * oh, shape)
    year_no = np.array([y.start_year for y in years])
    pressures = np.zeros(shape)
    for p in scenario.pressures:
        hit = (
            rng.random(n) < p.probability
            if 0 < p.probability < 1
            else np.full(n, p.probability >= 1)
        )
        k = year_no - p.first_year.start_year
        active = (k >= 0) if p.recurring else (k == 0)
        pressures += (
            hit[:, None]
            * (active * p.amount_pence / 100 * (1 + p.growth) ** np.maximum(k, 0))[None, :]
        )
    lines["pressures"] = pressures
    # savings are whole amounts delivered or not: integer pence throughout
    savings_pence = np.zeros(shape, dtype=np.int64)
    for s in scenario.savings:
        hit = (
            rng.random(n) < s.delivery_probability
            if s.delivery_probability < 1
            else np.ones(n, bool)
        )
        k = year_no - s.first_year.start_year
        active = (k >= 0) if s.recurring else (k == 0)
        savings_pence -= (
            hit[:, None].astype(np.int64) * (active.astype(np.int64) * s.amount_pence)[None, :]
        )

    # --- pence, totals, identities ---------------------------------------------------
    pence = {k: _to_pence_lines(v) for k, v in lines.items()}
    pence["savings"] = savings_pence
    for k in MTFP_LINES:  # the baseline year is the outturn, to the penny
        pence[k][:, 0] = base[k]
    pence["pressures"][:, 0] = 0
    pence["savings"][:, 0] = 0
    income = pence[INCOME_LINES[0]].copy()
    for k in INCOME_LINES[1:]:
        income += pence[k]
    expenditure = pence[EXPENDITURE_LINES[0]].copy()
    for k in EXPENDITURE_LINES[1:]:
        expenditure += pence[k]
    deficit = expenditure - income
    if scenario.opening_cumulative_deficit_pence is not None:
        opening0 = scenario.opening_cumulative_deficit_pence
    else:
        stated = ledger.stated(scenario.baseline_year, "opening_cumulative_deficit")
        if stated.empty:
            raise ConfigError(
                f"the baseline ledger states no opening cumulative deficit for {scenario.baseline_year}; "
                "set opening_cumulative_deficit in the scenario"
            )
        opening0 = int(stated["amount_pence"].iloc[0])
    closing = opening0 + np.cumsum(deficit, axis=1)
    opening = np.concatenate([np.full((n, 1), opening0, dtype=np.int64), closing[:, :-1]], axis=1)
    data = {k: pence[k] for k in (*INCOME_LINES, *EXPENDITURE_LINES)}
    data.update(
        total_income=income,
        total_expenditure=expenditure,
        in_year_deficit=deficit,
        opening_cumulative_deficit=opening,
        closing_cumulative_deficit=closing,
    )
    ds = xr.Dataset(
        {k: (("draw", "financial_year"), np.asarray(v, dtype=np.int64)) for k, v in data.items()},
        coords={"draw": np.arange(n), "financial_year": [y.label for y in years]},
        attrs={"scenario": scenario.name, "config_hash": scenario.config_hash, "units": "pence"},
    )
    say(
        f"done: mean {proj[-1]} closing cumulative deficit {format_money(int(closing[:, -1].mean()))}"
    )
    return MTFPProjection(draws=ds, scenario=scenario, baseline_origin=ledger.origin)
