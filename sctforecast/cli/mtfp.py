"""MTFP scenarios: ``sctforecast project`` (one scenario, or several compared over the
same paths) and ``sctforecast scenario show``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sctforecast.cli.exits import EXIT_OK
from sctforecast.cli.tables import _progress, breakeven_table, summary_table
from sctforecast.money import format_money


def add_project_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The parser of ``project``."""
    p = sub.add_parser(
        "project",
        help="project an MTFP scenario (TOML) and write tables, workbook and charts; "
        "several scenarios are compared over the same paths",
    )
    p.add_argument(
        "scenario",
        nargs="+",
        help="scenario file (.toml) or a built-in name: default, flat_cash, inflation_funded, "
        "high_demand, savings_slippage; give several to compare them (the first is the "
        "reference) in one comparison table and chart",
    )
    p.add_argument(
        "--ledger",
        default=None,
        help="baseline outturn ledger (.csv or .xlsx); default: the scenario's [baseline] ledger",
    )
    p.add_argument("--sheet", default=None, help="sheet name when --ledger is an .xlsx file")
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        help="number of stochastic paths (default 2,000 when uncertain)",
    )
    p.add_argument("--seed", type=int, default=20240401, help="random seed (default 20240401)")
    p.add_argument(
        "--out", default="sctforecast-output/mtfp", help="output folder (replaced atomically)"
    )


def add_scenario_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The parser of ``scenario show``."""
    p = sub.add_parser("scenario", help="inspect MTFP scenarios")
    scen = p.add_subparsers(dest="action", required=True)
    show = scen.add_parser(
        "show", help="print a scenario after inheritance, as TOML, and its assumptions table"
    )
    show.add_argument("file", help="scenario file (.toml) or a built-in name")


def _project(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.datasets import load_outturn, sandwell_profile
    from sctforecast.ledger import read_ledger
    from sctforecast.mtfp import Scenario, project, scenario_ledger
    from sctforecast.reporting import write_projection

    if len(args.scenario) > 1:
        return _project_many(args, console)
    scenario = Scenario.resolve(args.scenario[0])
    if args.draws is not None and args.draws < 1:
        from sctforecast.errors import ConfigError

        raise ConfigError(f"--draws must be at least 1, got {args.draws}")
    if args.ledger is not None:
        ledger = read_ledger(args.ledger, sheet=args.sheet)
    else:
        if args.sheet is not None:
            from sctforecast.errors import ConfigError

            raise ConfigError("--sheet needs --ledger (the sheet of that workbook)")
        ledger = scenario_ledger(scenario, embedded=load_outturn())
    profile = sandwell_profile()
    with _progress(console) as progress:
        task = progress.add_task(f"projecting {scenario.name}", total=None)
        proj = project(
            ledger,
            scenario,
            profile=profile,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda msg: progress.update(task, description=msg),
        )
        progress.update(task, description="writing tables, workbook and charts")
        out = write_projection(proj, args.out)
        progress.update(task, description=f"wrote {out}")
    head = f"{scenario.name}, {profile.name}, {proj.n_draws:,} paths"
    console.print(breakeven_table(proj, f"What breaks even: {head}"))
    console.print(
        "Means over the paths; in-year breakeven (see docs/mtfp.md). Stated Contract Sum:"
    )
    for y, text in zip(proj.years, proj.contract_sum_assumptions, strict=True):
        console.print(f"  {y}: {text}", markup=False, soft_wrap=True)
    console.print(
        summary_table(
            proj,
            f"MTFP projection: {scenario.name} ({proj.n_draws:,} paths), "
            "with the stated Contract Sum above",
        )
    )
    console.print(f"Baseline: {ledger.origin}. Output: {Path(out).resolve()}")
    return EXIT_OK


def _batch_ledger(args: argparse.Namespace, scenarios: list) -> object:  # type: ignore[type-arg]
    """The one baseline ledger a batch of scenarios is compared on."""
    from sctforecast.datasets import load_outturn
    from sctforecast.errors import ConfigError
    from sctforecast.ledger import read_ledger
    from sctforecast.mtfp import scenario_ledger

    if args.ledger is not None:
        return read_ledger(args.ledger, sheet=args.sheet)
    if args.sheet is not None:
        raise ConfigError("--sheet needs --ledger (the sheet of that workbook)")
    named = {(s.baseline_ledger, s.baseline_sheet): s for s in scenarios}
    if len(named) > 1:
        raise ConfigError(
            "the scenarios name different baseline ledgers ("
            + "; ".join(f"{s.name}: {src}" for (src, _), s in named.items())
            + "); scenarios are compared on one baseline: pass --ledger, or compare them one "
            "baseline at a time"
        )
    return scenario_ledger(scenarios[0], embedded=load_outturn())


def _project_many(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.datasets import sandwell_profile
    from sctforecast.errors import ConfigError
    from sctforecast.mtfp import Scenario, compare_scenarios, project_many
    from sctforecast.reporting import write_comparison

    if args.draws is not None and args.draws < 1:
        raise ConfigError(f"--draws must be at least 1, got {args.draws}")
    scenarios = [Scenario.resolve(spec) for spec in args.scenario]
    ledger = _batch_ledger(args, scenarios)
    profile = sandwell_profile()
    with _progress(console) as progress:
        task = progress.add_task(f"projecting {len(scenarios)} scenarios", total=None)
        runs = project_many(
            ledger,  # type: ignore[arg-type]
            scenarios,
            profile=profile,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda msg: progress.update(task, description=msg),
        )
        comparison = compare_scenarios(runs)
        progress.update(task, description="writing the comparison")
        out = write_comparison(comparison, args.out)
        progress.update(task, description=f"wrote {out}")
    n = next(iter(runs.values())).n_draws
    t = Table(
        title=f"{len(runs)} scenarios, {profile.name}, the same {n:,} paths "
        f"(differences against {comparison.reference}, path by path)"
    )
    for c in (
        "scenario",
        "year",
        "in-year deficit (mean)",
        "P(breakeven)",
        "closing cumulative deficit (mean)",
        f"difference from {comparison.reference}",
    ):
        t.add_column(c, justify="left" if c in ("scenario", "year") else "right")
    baseline = next(iter(runs.values())).years[0]
    for r in comparison.table.itertuples(index=False):
        if r.financial_year == baseline:  # the outturn: the same in every scenario
            continue
        diff = r.difference_mean_pence
        t.add_row(
            r.scenario,
            r.financial_year,
            format_money(r.in_year_deficit_mean_pence),
            f"{r.p_breakeven:.0%}",
            format_money(r.closing_cumulative_deficit_mean_pence),
            "" if diff is None or diff != diff else format_money(int(diff)),
        )
    console.print(t)
    console.print(f"Baseline: {ledger.origin}. Output: {Path(out).resolve()}")  # type: ignore[attr-defined]
    return EXIT_OK


def _scenario(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.mtfp import Scenario

    scenario = Scenario.resolve(args.file)
    console.print(f"# {scenario.origin}, resolved (inheritance applied)", markup=False)
    console.print(scenario.to_toml(), markup=False, highlight=False, soft_wrap=True)
    table = Table(title=f"Assumptions of {scenario.name}")
    for c in ("assumption", "value", "source"):
        table.add_column(c, overflow="fold")
    for r in scenario.assumptions().itertuples(index=False):
        table.add_row(r.assumption, r.value, r.source, style=None)
    console.print(table, markup=False)
    return EXIT_OK
