"""Demand from SSDA903 returns or a counts CSV: ``sctforecast forecast`` and
``sctforecast backtest``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sctforecast.cli.cache import add_cache_options, result_cache
from sctforecast.cli.exits import EXIT_OK
from sctforecast.cli.tables import _children_table, _progress
from sctforecast.errors import ConfigError

#: Default forecast draws: the placement model's are exact posterior draws; the
#: aggregate model's MCMC chains need about 2,000 draws each (after as many tuning
#: steps) for r_hat below 1.01 on a short yearly series (docs/demand.md).
RETURNS_DRAWS, COUNTS_DRAWS = 1000, 4000


def add_demand_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The parsers of ``forecast`` and ``backtest``."""
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
    from sctforecast.demand.data import read_counts_csv
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
    data = read_counts_csv(
        args.source, default_population=profile.child_population
    ).with_comparator_rates(profile.comparators, owner=f"profile of {profile.name}")
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
