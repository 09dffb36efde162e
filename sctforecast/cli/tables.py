"""What several commands show: the rich tables of reconciliations, MTFP projections,
answers and forecasts, and the progress spinner on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sctforecast.constants import DEFAULT_CI_PROB, interval_bounds
from sctforecast.money import format_money


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
