"""The ``sctforecast`` command.

Exit codes: 0 ok, 1 a reconciliation failed, 2 usage or input error (including
a file that cannot be read or written), 3 an internal error (a bug: one line
asking for a report; ``--debug`` shows the traceback).  An error is the first
line on stderr, never a traceback; progress goes to stderr and is cleared.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.errors import (
    ConfigError,
    DataQualityWarning,
    ReconciliationError,
    SctForecastError,
)
from sctforecast.money import format_money

__all__ = ["main"]

EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def findings_table(report, title: str) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title=title)
    for col in ("year", "check", "lines give", "stated", "difference", "status", "source"):
        table.add_column(
            col, justify="right" if col in {"lines give", "stated", "difference"} else "left"
        )
    for r in report.table.itertuples(index=False):
        table.add_row(
            r.financial_year,
            r.check,
            format_money(r.expected_pence),
            format_money(r.actual_pence),
            format_money(r.difference_pence),
            "[green]ok[/]" if r.status == "ok" else "[red]MISMATCH[/]",
            r.source,
        )
    return table


def _reconcile(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.ledger import read_ledger
    from sctforecast.money import to_pence
    from sctforecast.reconcile import reconcile_outturn

    ledger = read_ledger(args.file, sheet=args.sheet)
    report = reconcile_outturn(ledger, tolerance_pence=to_pence(args.tolerance), warn=False)
    console.print(findings_table(report, f"Reconciliation of {ledger.origin}"))
    console.print(report.text)
    return EXIT_OK if report.ok else EXIT_MISMATCH


def _add_run_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


def _progress(console: Console) -> Progress:
    """A spinner on stderr, as wide as ``console``, cleared when it stops.

    On stderr so that the output proper (stdout) holds only results; transient
    so that, when a command fails, its error is the first thing left on the
    screen.  Nothing is drawn when stderr is not a terminal.
    """
    stderr = Console(stderr=True, highlight=False, width=console.width)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
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
        lo, hi = np.quantile(d, interval_bounds(DEFAULT_CI_PROB))
        c = p.line("closing_cumulative_deficit", y)
        t.add_row(
            y,
            format_money(int(d.mean())),
            f"{format_money(int(lo))} to {format_money(int(hi))}",
            f"{np.mean(d <= 0):.0%}",
            format_money(int(c.mean())),
        )
    return t


def breakeven_table(p, title: str) -> Table:  # type: ignore[no-untyped-def]
    """The MTFP's answers by year: the Contract Sum needed to break even, the
    savings needed instead, and P(breakeven) under the stated Contract Sum."""
    b = p.breakeven()
    pct = f"{b['ci_prob'].iloc[0]:.0%}"
    t = Table(title=title)
    for c in (
        "year",
        "Contract Sum\nneeded",
        f"{pct}\ninterval",
        "or savings\nneeded",
        f"{pct}\ninterval ",
        "stated\nContract Sum",
        "P(break-\neven)",
    ):
        t.add_column(c, justify="left" if c == "year" else "right", no_wrap=c == "year")
    for r in b.itertuples(index=False):
        t.add_row(
            r.financial_year,
            format_money(r.contract_sum_needed_mean_pence),
            f"{format_money(r.contract_sum_needed_lower_pence)} to "
            f"{format_money(r.contract_sum_needed_upper_pence)}",
            format_money(r.savings_needed_mean_pence),
            f"{format_money(r.savings_needed_lower_pence)} to "
            f"{format_money(r.savings_needed_upper_pence)}",
            format_money(r.contract_sum_pence),
            f"{r.p_breakeven:.0%}",
        )
    return t


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


def answers_table(result, title: str) -> Table:  # type: ignore[no-untyped-def]
    """The MTFP answers by year: what the Contract Sum would need to be, and the
    chance of breakeven and the deficit with the stated one."""
    ci = f"{result.ci_prob:.0%} interval"
    t = Table(title=title)
    for c in (
        "year",
        "Contract Sum needed to break even (mean)",
        ci,
        "stated Contract Sum",
        "P(breakeven)",
        "in-year deficit (mean)",
        ci,
        "closing cumulative deficit (mean)",
    ):
        t.add_column(c, justify="left" if c == "year" else "right")
    for r in result.table.itertuples(index=False):
        t.add_row(
            r.financial_year,
            format_money(r.contract_sum_needed_mean_pence),
            f"{format_money(r.contract_sum_needed_lower_pence)} to "
            f"{format_money(r.contract_sum_needed_upper_pence)}",
            format_money(r.contract_sum_pence),
            f"{r.p_breakeven:.0%}",
            format_money(r.in_year_deficit_mean_pence),
            f"{format_money(r.in_year_deficit_lower_pence)} to "
            f"{format_money(r.in_year_deficit_upper_pence)}",
            format_money(r.closing_cumulative_deficit_mean_pence),
        )
    return t


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


# --- saved results: sctforecast cache info | clear ---------------------------------------
def add_cache_options(p: argparse.ArgumentParser) -> None:
    """``--cache-dir`` and ``--no-cache`` for a command that reuses saved results."""
    p.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="folder of saved results (default: SCTFORECAST_CACHE_DIR, else the per-user "
        "cache folder; see `sctforecast cache info`)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="compute everything afresh and save nothing (saved results are left as they are)",
    )


def result_cache(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The :class:`~sctforecast.cache.ResultCache` the options name."""
    from sctforecast.cache import ResultCache

    return ResultCache.default(args.cache_dir, enabled=not getattr(args, "no_cache", False))


def _add_cache_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("cache", help="the saved results reused between runs: info, clear")
    actions = p.add_subparsers(dest="action", required=True)
    for name, text in (
        ("info", "where saved results are kept, how many files and how much space, by kind"),
        ("clear", "remove every saved result (the next runs compute afresh)"),
    ):
        a = actions.add_parser(name, help=text)
        a.add_argument(
            "--cache-dir",
            default=None,
            metavar="DIR",
            help="the cache folder (default: as runs use)",
        )


def _megabytes(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _cache(args: argparse.Namespace, console: Console) -> int:
    cache = result_cache(args)
    if args.action == "clear":
        files, size = cache.size()
        removed = cache.clear()
        console.print(
            f"Removed {removed:,} saved results ({_megabytes(size)}) from {cache.root}",
            markup=False,
        )
        return EXIT_OK
    files, size = cache.size()
    t = Table(title="Saved results by kind")
    for c in ("kind", "files", "size"):
        t.add_column(c, justify="left" if c == "kind" else "right")
    for kind, (n, b) in cache.kinds().items():
        t.add_row(kind, f"{n:,}", _megabytes(b))
    t.add_row("all", f"{files:,}", _megabytes(size), style="bold")
    console.print(f"Folder: {cache.root}", markup=False, soft_wrap=True)
    console.print(t)
    console.print(
        "Remove them with `sctforecast cache clear`; run without them with --no-cache.",
        markup=False,
    )
    return EXIT_OK


# --- demand from SSDA903 returns or a counts CSV: forecast and backtest --------------
def _returns_folder(source: str, command: str):  # type: ignore[no-untyped-def]
    """Read the SSDA903 returns in ``source`` (a folder), refusing a file."""
    from sctforecast.errors import DataValidationError
    from sctforecast.ssda903 import read_ssda903

    path = Path(source)
    if not path.exists():
        raise DataValidationError(
            f"{source}: no such folder; give the folder holding the SSDA903 returns"
        )
    if path.is_file():
        raise DataValidationError(
            f"{source}: is a file; `sctforecast {command}` reads a folder of SSDA903 returns "
            "(header.csv and episodes.csv, or one subfolder per collection year). A counts CSV "
            "is not backtested by this command, whose table scores each placement category "
            "against the 6-month deterministic method (both need children's episodes); "
            "backtest published counts with sctforecast.demand.backtest.backtest_aggregate "
            "(see docs/demand.md, Backtests)"
        )
    return read_ssda903(path)


def _check_counts(**values: int) -> None:
    """Whole-number options of the demand commands, checked before any work."""
    from sctforecast.errors import ConfigError

    bounds = {"months": (1, 600), "origins": (1, 100), "draws": (1, 100_000)}
    bad = [
        f"--{k} {v} is outside {bounds[k][0]:,} to {bounds[k][1]:,}; give a whole number in that range"
        for k, v in values.items()
        if not bounds[k][0] <= v <= bounds[k][1]
    ]
    if bad:
        raise ConfigError(bad)


def _saved_forecast(args: argparse.Namespace, model):  # type: ignore[no-untyped-def]
    """The forecast draws, saved under a key of the returns' bytes and the settings."""
    import xarray as xr

    from sctforecast.cache import content_hash, result_key

    key = result_key(
        "placement-forecast",
        inputs=content_hash(args.source),
        settings={
            "model": "PlacementFlowModel",
            "months": args.months,
            "draws": args.draws,
            "seed": args.seed,
        },
    )
    return result_cache(args).fetch(
        "placement-forecast",
        key,
        ".nc",
        load=lambda p: xr.load_dataset(p, engine="h5netcdf"),
        compute=lambda: model.forecast_draws(args.months, random_seed=args.seed),
        save=lambda ds, p: ds.to_netcdf(p, engine="h5netcdf"),
    )


#: Default forecast draws: the placement model's are exact posterior draws; the
#: aggregate model's MCMC chains need about 2,000 draws each (after as many tuning
#: steps) for r_hat below 1.01 on a short yearly series (docs/demand.md).
RETURNS_DRAWS, COUNTS_DRAWS = 1000, 4000


def _children_table(table, n_draws: int) -> Table:  # type: ignore[no-untyped-def]
    """The category table of a forecast folder: the first month, every twelfth and the last."""
    t = Table(title=f"Children in care at month ends: median and 90% interval of {n_draws:,} draws")
    for col in ("month", "group", "median", "90% interval"):
        t.add_column(col, justify="left" if col in ("month", "group") else "right")
    months = list(dict.fromkeys(table["month"]))
    shown = set(months[11::12]) | {months[0], months[-1]}
    for r in table[table["month"].isin(shown)].itertuples(index=False):
        t.add_row(r.month, r.group, f"{r.median:,.0f}", f"{r.lower:,.0f} to {r.upper:,.0f}")
    return t


def _forecast(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.demand.placement_report import write_placement_forecast

    counts = Path(args.source).is_file()
    if args.draws is None:
        args.draws = COUNTS_DRAWS if counts else RETURNS_DRAWS
    _check_counts(months=args.months, draws=args.draws)
    if counts:
        return _forecast_counts(args, console)
    if args.profile is not None:
        raise ConfigError(
            "--profile gives the placement mix of a counts CSV; SSDA903 returns give children "
            "by placement type themselves: leave --profile out"
        )
    data = _returns_folder(args.source, "forecast")
    model = PlacementFlowModel(n_draws=args.draws).fit(data)
    ds, reused = _saved_forecast(args, model)
    out, table = write_placement_forecast(args.out, model, data, ds)
    console.print(repr(model))
    if reused:
        console.print("Forecast draws reused from the cache (same returns, settings and seed).")
    console.print(_children_table(table, args.draws))
    console.print(f"Output: {out}")
    return EXIT_OK


def _forecast_counts(args: argparse.Namespace, console: Console) -> int:
    """``forecast`` on a counts CSV: the aggregate model, split by the profile's mix."""
    from sctforecast.demand.counts_csv import read_counts_csv
    from sctforecast.demand.placement_report import write_forecast
    from sctforecast.pipeline import EMBEDDED_PROFILE, PublishedCounts, resolve_profile, saved_fit

    if args.profile is None:
        raise ConfigError(
            f"{args.source}: a counts CSV gives the children in care in total; splitting them "
            "by placement type needs your authority's placement mix: give --profile P.csv (an "
            f"authority profile, see docs/main-job.md) or --profile {EMBEDDED_PROFILE} for the "
            "embedded authority's mix"
        )
    profile = resolve_profile(args.profile)
    data = read_counts_csv(args.source, default_population=profile.child_population)
    source = PublishedCounts(data)
    with _progress(console) as progress:
        task = progress.add_task(f"fitting the aggregate model to {args.source}", total=None)
        model, reused = saved_fit(
            source, profile, draws=args.draws, random_seed=args.seed, cache=result_cache(args)
        )
        progress.update(task, description=f"forecasting {args.months} months")
        ds = model.forecast_draws(args.months, random_seed=args.seed)
        diagnostics = source.diagnostics(model)
        out, table = write_forecast(
            args.out,
            ds,
            history=source.history(),
            description="published counts",
            files={
                "assumptions.csv": _counts_assumptions(model, profile, data),
                "diagnostics.txt": diagnostics + "\n",
            },
        )
    console.print(
        f"Aggregate care-flow model on {data.source}: {data.T} {data.freq}s, "
        f"{data.periods[0]} to {data.periods[-1]}; children split by the placement mix of "
        f"{profile.name} ({profile.baseline_year}).",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"Fit: {diagnostics}", markup=False, soft_wrap=True)
    if reused:
        console.print("Fit reused from the cache (same counts, mix, draws and seed).")
    console.print(_children_table(table, ds.sizes["draw"]))
    console.print(f"Output: {out}")
    return EXIT_OK


def _counts_assumptions(model, profile, data):  # type: ignore[no-untyped-def]
    """What a forecast from counts assumes: the model's list, the mix and the population."""
    import pandas as pd

    rows = [
        *model.model.assumptions.itertuples(index=False),
        (
            "placement mix",
            f"children other than UASC split by the mix of {profile.name} at the end of "
            f"{profile.baseline_year}, held over the forecast",
            profile.source or profile.name,
        ),
    ]
    pop = data.population
    if (pop == profile.child_population).all():  # what the reader holds without a column
        text = (
            f"{profile.name}'s child population, {profile.child_population:,.0f}, in every "
            "period of the counts (used when the counts CSV has no population column)"
        )
        rows.append(("child population (data)", text, profile.source or profile.name))
    else:
        text = f"the counts CSV's population column, {pop.min():,.0f} to {pop.max():,.0f}"
        rows.append(("child population (data)", text, data.source))
    return pd.DataFrame(rows, columns=["topic", "assumption", "source"])


def _backtest(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.demand.placement import PlacementFlowModel
    from sctforecast.demand.placement_backtest import GROUPS, METHODS, backtest_placement

    _check_counts(origins=args.origins, months=args.months, draws=args.draws)
    data = _returns_folder(args.source, "backtest")
    bt = backtest_placement(
        data,
        origins=args.origins,
        every=args.every,
        horizon=args.months,
        model=PlacementFlowModel(n_draws=args.draws),
        random_seed=args.seed,
    )
    out = bt.write(args.out)
    s = bt.summary.set_index(["group", "method"])
    t = Table(title=f"Backtest: {len(bt.origins)} origin(s), {args.months} month ends ahead")
    t.add_column("group")
    for m in METHODS:
        t.add_column(f"MAPE {m}", justify="right")
    t.add_column("model 90% coverage", justify="right")
    for g in GROUPS:
        t.add_row(
            g,
            *(f"{s.loc[(g, m), 'mape']:.1f}%" for m in METHODS),
            f"{s.loc[(g, 'model'), 'coverage']:.0%}",
        )
    console.print(t)
    if len(bt.origins) < args.origins:
        console.print(
            f"{args.origins} origins asked for; the returns leave room for {len(bt.origins)} "
            f"with a year before each and {args.months} months after it."
        )
    console.print(bt.text)
    console.print(f"Output: {out}")
    return EXIT_OK


def _add_demand_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "forecast",
        help="forecast children in care by placement type from SSDA903 returns or a counts CSV",
        description="Forecast month-end children in care by placement type and category (CSV "
        "and a fan chart): from a folder of SSDA903 returns with the placement-level model, or "
        "from a counts CSV (period,entries,exits,children_in_care; docs/demand.md) with the "
        "aggregate model, split by the placement mix of --profile.",
    )
    p.add_argument("source", help="folder of SSDA903 returns, or a counts CSV")
    p.add_argument("--months", type=int, default=60, help="months ahead (default 60)")
    p.add_argument("--out", default="forecast", help="output folder (default ./forecast)")
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        help=f"forecast draws (default {RETURNS_DRAWS} from returns, {COUNTS_DRAWS} from a "
        "counts CSV: two MCMC chains of half as many each)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--profile",
        default=None,
        help="with a counts CSV (required): your authority profile CSV, whose placement mix "
        "splits the children by type and whose child_population is used when the CSV has no "
        "population column, or 'sandwell' for the embedded profile",
    )
    add_cache_options(p)
    p = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of the placement model on SSDA903 returns",
        description="Cut the returns back to each origin, refit, forecast and compare with "
        "what happened, by category: the model, a flat forecast and the 6-month "
        "deterministic method.",
    )
    p.add_argument("source", help="folder of SSDA903 returns")
    p.add_argument("--origins", type=int, default=3, help="how many origins (default 3)")
    p.add_argument(
        "--every",
        type=int,
        choices=(1, 3, 6, 12),
        default=12,
        help="months between origins (default 12: each 31 March)",
    )
    p.add_argument("--months", type=int, default=12, help="months ahead (default 12)")
    p.add_argument("--out", default="backtest", help="output folder (default ./backtest)")
    p.add_argument("--draws", type=int, default=1000, help="forecast draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sctforecast",
        description="Placement costs, care-demand forecasts and MTFP projections.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an error, also print the traceback (for a bug report)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reconcile", help="reconcile an outturn ledger (CSV or xlsx)")
    p.add_argument("file", help="ledger file: .csv or .xlsx")
    p.add_argument("--sheet", default=None, help="sheet name in an .xlsx workbook")
    p.add_argument("--tolerance", default="0", help="accepted difference in pounds (default 0)")

    _add_run_parsers(sub)
    _add_cache_parsers(sub)
    p = sub.add_parser("scenario", help="inspect MTFP scenarios")
    scen = p.add_subparsers(dest="action", required=True)
    show = scen.add_parser(
        "show", help="print a scenario after inheritance, as TOML, and its assumptions table"
    )
    show.add_argument("file", help="scenario file (.toml) or a built-in name")
    _add_demand_parsers(sub)
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "reconcile": _reconcile,
    "run": _run,
    "project": _project,
    "scenario": _scenario,
    "run-many": _run_many,
    "cache": _cache,
    "forecast": _forecast,
    "backtest": _backtest,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sctforecast`` command; returns the exit code.

    A typed error (:class:`SctForecastError`) is printed as
    ``sctforecast <command>: error: <message>`` (further lines list more
    problems of the same input) and gives exit 2, or 1 for a
    :class:`ReconciliationError`.  A file the system will not read or write
    gives exit 2 too.  Anything else is a bug: one line,
    ``sctforecast <command>: internal error: <type>: <message>; please report
    this with the command you ran``, exit 3.  ``--debug`` adds the traceback
    after that first line.  Warnings and log messages are held until the
    command succeeds and then printed after its output, so that an error is
    always the first line on stderr (``--verbose`` streams log messages as
    they happen instead).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own usage line
        return EXIT_INPUT if exc.code not in (0, None) else EXIT_OK
    name = f"sctforecast {args.command}"

    def say(kind: str, message: str) -> None:
        first, *rest = message.splitlines() or [""]
        print(f"{name}: {kind}: {first}", file=sys.stderr)
        for line in rest:
            print(line, file=sys.stderr)
        if args.debug:
            import traceback

            traceback.print_exc(file=sys.stderr)

    def internal(err: BaseException) -> int:
        message = " ".join(str(err).split())
        message = message if len(message) <= 300 else message[:297] + "..."
        say(
            "internal error",
            f"{type(err).__name__}: {message}; please report this with the command you ran",
        )
        return EXIT_INTERNAL

    held = logging.handlers.BufferingHandler(capacity=10_000)
    held.setFormatter(logging.Formatter("%(message)s"))
    live = logging.StreamHandler(sys.stderr)
    live.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(live if args.verbose else held)
    root.setLevel(logging.INFO if args.verbose else logging.WARNING)
    console = Console(highlight=False, width=max(140, Console().width))
    try:
        # bounds on the whole-number options the commands share, before any work is done
        for option, (lo, hi) in {
            "draws": (1, 100_000),
            "seed": (0, 2**32 - 1),
            "horizon": (1, 600),
            "workers": (1, 256),
        }.items():
            value = getattr(args, option, None)
            if value is not None and not lo <= value <= hi:
                raise ConfigError(
                    f"--{option} {value} is outside {lo:,} to {hi:,}; give a whole number in that range"
                )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore", DataQualityWarning)
            code = _COMMANDS[args.command](args, console)
        for record in held.buffer:
            print(held.format(record), file=sys.stderr)
        for w in caught:
            print(f"{name}: warning: {w.message}", file=sys.stderr)
        return code
    except SctForecastError as err:
        say("error", str(err))
        return EXIT_MISMATCH if isinstance(err, ReconciliationError) else EXIT_INPUT
    except OSError as err:  # the system refused a path the user gave: not a bug
        if err.errno is None:
            return internal(err)
        where = f": {err.filename}" if err.filename else ""
        say("error", f"{err.strerror or err}{where}; check the path and that you may use it")
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - the one place a bug becomes a bug report
        return internal(err)
    finally:
        root.removeHandler(live if args.verbose else held)
        root.setLevel(level)
        held.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
