"""The main job: reconcile, forecast demand, cost it, project the MTFP, report.

``sctforecast run`` calls :func:`run_main_job`; analysts can too.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sctforecast._io import atomic_directory
from sctforecast.errors import ConfigError, DataQualityWarning

__all__ = ["MainJobResult", "run_main_job", "RUN_OUTPUT_FILES"]

log = logging.getLogger(__name__)

RUN_OUTPUT_FILES = (
    "report.html",
    "sctforecast.xlsx",
    "children_in_care_fan.png",
    "cumulative_deficit_fan.png",
    "deficit_bridge.png",
    "demand_ppc.png",
    "mtfp_summary.csv",
    "mtfp_intervals.csv",
    "mtfp_breakeven.csv",
    "demand_forecast.csv",
    "reconciliation.csv",
    "assumptions.csv",
)


@dataclass(frozen=True)
class MainJobResult:
    out: Path
    reconciliation: object
    projection: object
    demand_table: pd.DataFrame
    summary_lines: tuple[str, ...]


def run_main_job(
    out: str | os.PathLike[str] = "sctforecast-output",
    *,
    ledger: str | None = None,
    sheet: str | None = None,
    ssda903: str | None = None,
    scenario: str | None = None,
    draws: int = 1000,
    chains: int = 2,
    random_seed: int = 20240401,
    progress: Callable[[str], None] | None = None,
) -> MainJobResult:
    """Run everything and write the output folder atomically.

    Demand comes from the aggregate model fitted to the embedded published
    series, or, with ``ssda903``, from the placement-level model fitted to the
    user's SSDA903 returns (which must run to the end of the scenario's
    baseline year).
    """
    say = progress or (lambda m: log.info(m))
    from sctforecast.costs import PlacementCostModel, calibrate
    from sctforecast.datasets import (
        known_inconsistencies,
        load_sandwell,
        sandwell_care_flows,
        sandwell_profile,
    )
    from sctforecast.demand import CareFlowConfig, CareFlowModel, kpi_band_probabilities
    from sctforecast.ledger import read_ledger
    from sctforecast.mtfp import BUILTIN_SCENARIOS, Scenario, project
    from sctforecast.reconcile import reconcile_outturn, variance_bridge
    from sctforecast.reporting import projection_tables

    if draws < 100:
        raise ConfigError(f"draws must be at least 100 for a stable forecast, got {draws}")
    data = load_sandwell()
    profile = sandwell_profile()
    say("reading the scenario and the ledger")
    if scenario is None:
        scen = Scenario.builtin("default")
    elif scenario in BUILTIN_SCENARIOS and not Path(scenario).exists():
        scen = Scenario.builtin(scenario)
    else:
        scen = Scenario.from_toml(scenario)
    outturn = read_ledger(ledger, sheet=sheet) if ledger else data.outturn
    from sctforecast.mtfp import baseline_lines

    placements_line = baseline_lines(outturn, scen)["placements"]
    if scen.baseline_year.label != "2023/24":
        raise ConfigError(
            f"the cost calibration uses the published 2023/24 placement mix, so the scenario's baseline year "
            f"must be 2023/24, not {scen.baseline_year}; run `sctforecast project` for other baselines"
        )
    recon = reconcile_outturn(outturn, warn=False)
    bridge = None
    if ledger is None:
        drv = data.variance_drivers
        variance = (
            int(data.finance_facts.set_index("key").loc["mtfp_variance", "amount_pence"]) / 100
        )
        bridge = variance_bridge(
            4_253_670 - variance,
            4_253_670,
            dict(zip(drv["driver"], drv["amount_pence"] / 100, strict=True)),
            tolerance=50_000,
            label="deficit 2023/24",
        )
    horizon = scen.horizon
    first = scen.projected_years[0]
    if ssda903:
        from sctforecast.demand.placement import PlacementFlowModel
        from sctforecast.ssda903 import read_ssda903

        say(f"reading SSDA903 returns from {ssda903}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            returns = read_ssda903(ssda903)
        for w in caught:
            say(f"data quality: {str(w.message)[:160]}")
        say("fitting the placement-level model")
        pmodel = PlacementFlowModel(n_draws=draws).fit(returns)
        demand = pmodel.demand(first, horizon, random_seed=random_seed)
        sim = demand.ds
        cic_year = demand.children_in_care_draws([first + k for k in range(horizon)])
        labels = [(first + k).label for k in range(horizon)]
        demand_table = pd.DataFrame(
            {
                "period": labels,
                "measure": "children_in_care (average)",
                "mean": cic_year.mean(axis=0),
                "lower": pd.DataFrame(cic_year).quantile(0.05).to_numpy(),
                "upper": pd.DataFrame(cic_year).quantile(0.95).to_numpy(),
            }
        )
        cic_fan = (cic_year, labels, None)
        ppc_model = None
        kpi = None
        gap = None
        diag_text = "conjugate model: exact posterior, no MCMC diagnostics needed"
        del sim
    else:
        say(f"fitting the demand model ({chains} chains x {draws} draws)")
        flows = sandwell_care_flows()
        model = CareFlowModel(
            CareFlowConfig(draws=draws, tune=draws, chains=chains), mix=profile.mix
        ).fit(flows, random_seed=random_seed)
        diag_text = model.diagnostics.text
        say(f"demand model fitted: {diag_text}")
        demand = model.demand(first, horizon, random_seed=random_seed)
        ds = demand.ds
        from sctforecast.demand import summarise_draws

        demand_table = summarise_draws(ds)
        kpi = kpi_band_probabilities(ds)
        gap = model.gap_summary()
        import numpy as np

        from sctforecast.periods import financial_year_of

        # history (published 31 March stocks, one label per year ending) then the forecast's 31 Marches
        history = ["2017/18", *flows.periods]
        march = [i for i, m in enumerate(demand.months) if m.month == 3]
        labels = [*history, *[financial_year_of(demand.months[i]).label for i in march]]
        n = ds.sizes["draw"]
        cic = np.concatenate(
            [np.repeat(flows.stock[None, :], n, axis=0), ds["children_in_care"].values[:, march]],
            axis=1,
        )
        observed = pd.Series(dict(zip(history, map(float, flows.stock), strict=True)))
        cic_fan = (cic, labels, observed)
        ppc_model = model
    say("calibrating unit costs to the baseline placements line")
    cal = calibrate(
        PlacementCostModel(),
        profile.activity,
        target=placements_line / 100,
        year="2023/24",
    )
    say("projecting the MTFP over the demand draws")
    projection = project(
        outturn if ledger else None,
        scen,
        demand=demand,
        random_seed=random_seed,
        cost_model=cal.model,
    )
    tables = projection_tables(projection)
    say("writing the report, workbook, charts and tables")
    from sctforecast.reporting.run import write_run_folder

    with atomic_directory(out) as tmp:
        write_run_folder(
            tmp,
            reconciliation=recon,
            bridge=bridge,
            projection=projection,
            tables=tables,
            demand_table=demand_table,
            kpi=kpi,
            gap=gap,
            diagnostics=diag_text,
            cic_fan=cic_fan,
            ppc_model=ppc_model,
            calibration=cal,
            activity_assumptions=profile.assumptions
            if ssda903
            else pd.concat(
                [
                    profile.assumptions,
                    model.assumptions.assign(topic=lambda t: "demand model: " + t["topic"]).rename(
                        columns={"topic": "placement_type"}
                    ),
                ],
                ignore_index=True,
            ),
            inconsistencies=known_inconsistencies(),
            demand_source=f"SSDA903 returns in {ssda903}"
            if ssda903
            else "the published series (004 Section (f))",
        )
    import numpy as np

    lines = []
    for y in projection.years[1:]:
        d = projection.line("in_year_deficit", y) / 100
        lo, hi = np.quantile(d, [0.05, 0.95])
        lines.append(
            f"{y}: in-year deficit {d.mean():,.0f} (90% interval {lo:,.0f} to {hi:,.0f}), "
            f"P(breakeven) {np.mean(d <= 0):.0%}"
        )
    return MainJobResult(Path(out), recon, projection, demand_table, tuple(lines))
