"""The main jobs: ``sctforecast reconcile``, ``run`` (one authority) and ``run-many``
(many authorities on a Dask cluster)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sctforecast.cli.cache import add_cache_options, result_cache
from sctforecast.cli.exits import EXIT_MISMATCH, EXIT_OK
from sctforecast.cli.tables import _progress, answers_table, findings_table
from sctforecast.money import format_money


def add_run_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The parsers of ``reconcile``, ``run`` and ``run-many``."""
    p = sub.add_parser("reconcile", help="reconcile an outturn ledger (CSV or xlsx)")
    p.add_argument("file", help="ledger file: .csv or .xlsx")
    p.add_argument("--sheet", default=None, help="sheet name in an .xlsx workbook")
    p.add_argument("--tolerance", default="0", help="accepted difference in pounds (default 0)")

    p = sub.add_parser(
        "run",
        help="the main job: reconcile the outturn, forecast demand, cost it, project the MTFP, write a report",
    )
    p.add_argument(
        "--ledger",
        default=None,
        help="your outturn ledger (.csv or .xlsx) as the baseline (default: the scenario's)",
    )
    p.add_argument("--sheet", default=None, help="sheet name when --ledger is an .xlsx file")
    p.add_argument(
        "--ssda903",
        default=None,
        help="folder of your SSDA903 returns: demand, and the profile's children, come from them",
    )
    p.add_argument(
        "--profile",
        default=None,
        help="your authority profile CSV (key,value rows; with --ssda903 only name and "
        "child_population are needed), or 'sandwell' for the embedded profile",
    )
    p.add_argument(
        "--population",
        type=float,
        default=None,
        help="children aged 0-17, for a profile built from --ssda903 (or to replace the CSV's)",
    )
    p.add_argument(
        "--scenario", default=None, help="scenario file (.toml) or built-in name (default: default)"
    )
    p.add_argument(
        "--out", default="sctforecast-output", help="output folder (replaced atomically)"
    )
    p.add_argument(
        "--draws",
        type=int,
        default=2000,
        help="forecast paths carried through costs and the MTFP (default 2000)",
    )
    p.add_argument("--seed", type=int, default=20240401, help="random seed (default 20240401)")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when the outturn does not reconcile"
    )
    add_cache_options(p)

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
    add_cache_options(p)
    p.add_argument("--horizon", type=int, default=60, help="months to forecast (default 60)")
    p.add_argument("--draws", type=int, default=500, help="draws per authority (default 500)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--scenario",
        default=None,
        help="MTFP scenario (.toml or built-in name) for authority folders that hold ledger.csv "
        "and profile.csv but no scenario.toml",
    )


def _reconcile(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.ledger import read_ledger
    from sctforecast.money import to_pence
    from sctforecast.reconcile import reconcile_outturn

    ledger = read_ledger(args.file, sheet=args.sheet)
    report = reconcile_outturn(ledger, tolerance_pence=to_pence(args.tolerance), warn=False)
    console.print(findings_table(report, f"Reconciliation of {ledger.origin}"))
    console.print(report.text)
    return EXIT_OK if report.ok else EXIT_MISMATCH


def _run(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.pipeline import RunInputs, run

    if args.ssda903 is not None and not Path(args.ssda903).is_dir():
        from sctforecast.errors import DataValidationError

        raise DataValidationError(f"--ssda903 {args.ssda903}: no such folder")
    with _progress(console) as progress:
        reading = f"reading SSDA903 returns from {args.ssda903}" if args.ssda903 else None
        task = progress.add_task(reading or "reading the ledger and the scenario", total=None)
        inputs = RunInputs.resolve(
            ledger=args.ledger,
            sheet=args.sheet,
            ssda903=args.ssda903,
            profile=args.profile,
            population=args.population,
            scenario=args.scenario,
            draws=args.draws,
            random_seed=args.seed,
        )
        result = run(
            inputs,
            progress=lambda msg: progress.update(task, description=msg),
            cache=result_cache(args),
        )
        progress.update(task, description="writing the report, workbook, charts and tables")
        out = result.write(args.out)
        progress.update(task, description="done")
    console.print(
        answers_table(
            result,
            f"MTFP answers: {result.profile.name}, scenario {result.scenario.name} "
            f"({result.projection.n_draws:,} paths)",
        )
    )
    by_text: dict[str, list[str]] = {}
    for year, text in zip(
        result.table["financial_year"], result.table["contract_sum_assumption"], strict=True
    ):
        by_text.setdefault(str(text), []).append(str(year))
    for text, years in by_text.items():
        console.print(f"Stated Contract Sum {', '.join(years)}: {text}")
    report = result.reconciliation
    console.print(findings_table(report, f"Outturn reconciliation: {report.origin}"))
    console.print(report.text)
    cache = result_cache(args)
    console.print(
        "Demand: the saved fit was reused (same data, settings and seed)."
        if result.demand_reused
        else "Demand: fitted"
        + (" and saved for reuse." if cache.enabled else " (--no-cache: not saved)."),
        markup=False,
    )
    console.print(f"Report: {(Path(out) / 'report.html').resolve()}")
    return EXIT_MISMATCH if (args.strict and not report.ok) else EXIT_OK


def _run_many(args: argparse.Namespace, console: Console) -> int:
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn

    from sctforecast.regional import run_many

    stderr = Console(stderr=True, highlight=False, width=console.width)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as progress:
        task = progress.add_task("authorities", total=None)
        table, res = run_many(
            args.folder,
            out=args.out,
            cache=result_cache(args),
            scheduler=args.scheduler,
            n_workers=args.workers,
            horizon_months=args.horizon,
            draws=args.draws,
            random_seed=args.seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            scenario=args.scenario,
        )
    pooled = "; the pooled fit reused" if res.extra.get("pooled_reused") else ""
    t = Table(
        title=f"{len(table)} authorities ({len(res.resumed)} resumed from saved results{pooled})"
    )
    for c in (
        "authority",
        "children in care (end)",
        "90% interval",
        "final year",
        "Contract Sum needed (mean)",
        "P(breakeven)",
        "in-year deficit (mean)",
        "note",
    ):
        t.add_column(c)
    for r in table.itertuples(index=False):
        if r.error:
            t.add_row(r.authority, "", "", "", "", "", "", str(r.error)[:80])
            continue
        planned = pd.notna(r.deficit_final_mean_pence)
        t.add_row(
            r.authority,
            f"{r.children_in_care_end_mean:,.0f}",
            f"{r.children_in_care_end_lower:,.0f} to {r.children_in_care_end_upper:,.0f}",
            str(r.final_year) if planned else "",
            format_money(int(r.contract_sum_needed_final_mean_pence)) if planned else "",
            f"{r.p_breakeven_final:.0%}" if planned else "",
            f"{format_money(int(r.deficit_final_mean_pence))} ({format_money(int(r.deficit_final_lower_pence))}"
            f" to {format_money(int(r.deficit_final_upper_pence))})"
            if planned
            else "",
            "" if planned else str(r.plan)[:80],
        )
    console.print(t)
    console.print(f"Report: {(Path(args.out) / 'report.html').resolve()}")
    return EXIT_OK
