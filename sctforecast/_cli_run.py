"""``sctforecast run`` and ``sctforecast project``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sctforecast.cli import EXIT_MISMATCH, EXIT_OK, _command, findings_table
from sctforecast.money import format_money


def add_run_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="the main job: reconcile the outturn, forecast demand, cost it, project the MTFP, write a report",
    )
    p.add_argument(
        "--ledger", default=None, help="your outturn ledger (.csv or .xlsx) as the baseline"
    )
    p.add_argument("--sheet", default=None, help="sheet name when --ledger is an .xlsx file")
    p.add_argument(
        "--ssda903", default=None, help="folder of SSDA903 returns to forecast demand from"
    )
    p.add_argument(
        "--scenario", default=None, help="scenario file (.toml) or built-in name (default: default)"
    )
    p.add_argument(
        "--out", default="sctforecast-output", help="output folder (replaced atomically)"
    )
    p.add_argument(
        "--draws", type=int, default=1000, help="posterior draws per chain (default 1000)"
    )
    p.add_argument("--seed", type=int, default=20240401, help="random seed (default 20240401)")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when the outturn does not reconcile"
    )

    p = sub.add_parser(
        "run-many", help="forecast many authorities on a Dask cluster and write a combined report"
    )
    p.add_argument(
        "folder", help="folder of <authority>.csv series and/or <authority>/ SSDA903 folders"
    )
    p.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (default: a local cluster)"
    )
    p.add_argument(
        "--workers", type=int, default=2, help="workers of the local cluster (default 2)"
    )
    p.add_argument(
        "--out", default="sctforecast-output/many", help="output folder (replaced atomically)"
    )
    p.add_argument(
        "--results", default=None, help="where finished results are saved (default <out>-results)"
    )
    p.add_argument("--horizon", type=int, default=60, help="months to forecast (default 60)")
    p.add_argument("--draws", type=int, default=500, help="draws per authority (default 500)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    p = sub.add_parser(
        "project", help="project an MTFP scenario (TOML) and write tables, workbook and charts"
    )
    p.add_argument(
        "scenario",
        help="scenario file (.toml) or a built-in name: default, high_demand, savings_slippage",
    )
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


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def summary_table(p, title: str) -> Table:  # type: ignore[no-untyped-def]
    import numpy as np

    t = Table(title=title)
    for c in (
        "year",
        "in-year deficit (mean)",
        "90% interval",
        "P(breakeven)",
        "closing cumulative deficit (mean)",
    ):
        t.add_column(c, justify="right" if c != "year" else "left")
    for y in p.years:
        d = p.line("in_year_deficit", y)
        lo, hi = np.quantile(d, [0.05, 0.95])
        c = p.line("closing_cumulative_deficit", y)
        t.add_row(
            y,
            format_money(int(d.mean())),
            f"{format_money(int(lo))} to {format_money(int(hi))}",
            f"{np.mean(d <= 0):.0%}",
            format_money(int(c.mean())),
        )
    return t


@_command("project")
def _project(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.mtfp import BUILTIN_SCENARIOS, Scenario, project, write_projection

    scenario = (
        Scenario.builtin(args.scenario)
        if args.scenario in BUILTIN_SCENARIOS and not Path(args.scenario).exists()
        else Scenario.from_toml(args.scenario)
    )
    if args.draws is not None and args.draws < 1:
        from sctforecast.errors import ConfigError

        raise ConfigError(f"--draws must be at least 1, got {args.draws}")
    with _progress(console) as progress:
        task = progress.add_task(f"projecting {scenario.name}", total=None)
        proj = project(
            None,
            scenario,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda msg: progress.update(task, description=msg),
        )
        progress.update(task, description="writing tables, workbook and charts")
        out = write_projection(proj, args.out)
        progress.update(task, description=f"wrote {out}")
    console.print(summary_table(proj, f"MTFP projection: {scenario.name} ({proj.n_draws:,} paths)"))
    console.print(f"Output: {Path(out).resolve()}")
    return EXIT_OK


@_command("run")
def _run(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.mainjob import run_main_job

    if args.ssda903 is not None and not Path(args.ssda903).is_dir():
        from sctforecast.errors import DataValidationError

        raise DataValidationError(f"--ssda903 {args.ssda903}: no such folder")
    with _progress(console) as progress:
        task = progress.add_task("starting", total=None)
        result = run_main_job(
            args.out,
            ledger=args.ledger,
            sheet=args.sheet,
            ssda903=args.ssda903,
            scenario=args.scenario,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda msg: progress.update(task, description=msg),
        )
        progress.update(task, description="done")
    report = result.reconciliation
    console.print(findings_table(report, f"Outturn reconciliation: {report.origin}"))
    console.print(report.text)
    console.print(
        summary_table(result.projection, f"MTFP projection ({result.projection.n_draws:,} paths)")
    )
    console.print(f"Report: {(Path(result.out) / 'report.html').resolve()}")
    return EXIT_MISMATCH if (args.strict and not report.ok) else EXIT_OK


@_command("run-many")
def _run_many(args: argparse.Namespace, console: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn

    from sctforecast.regional import run_many

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("authorities", total=None)
        table, res = run_many(
            args.folder,
            out=args.out,
            results_dir=args.results,
            scheduler=args.scheduler,
            n_workers=args.workers,
            horizon_months=args.horizon,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    t = Table(title=f"{len(table)} authorities ({len(res.resumed)} resumed from saved results)")
    for c in (
        "authority",
        "children in care (end)",
        "90% interval",
        "placement cost final year",
        "deficit final year",
        "error",
    ):
        t.add_column(c)
    for r in table.itertuples(index=False):
        if r.error:
            t.add_row(r.authority, "", "", "", "", str(r.error)[:80])
        else:
            t.add_row(
                r.authority,
                f"{r.children_in_care_end_mean:,.0f}",
                f"{r.children_in_care_end_lower:,.0f} to {r.children_in_care_end_upper:,.0f}",
                format_money(int(r.placement_cost_final_mean * 100)),
                f"{format_money(int(r.deficit_final_mean * 100))} ({format_money(int(r.deficit_final_lower * 100))}"
                f" to {format_money(int(r.deficit_final_upper * 100))})",
                "",
            )
    console.print(t)
    console.print(f"Report: {(Path(args.out) / 'report.html').resolve()}")
    return EXIT_OK
