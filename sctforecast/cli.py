"""The ``sctforecast`` command.

Exit codes: 0 ok, 1 a reconciliation failed, 2 usage or input error.  Errors
are printed as one clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.table import Table

from sctforecast.errors import DataQualityWarning, SctForecastError
from sctforecast.money import format_money

__all__ = ["main"]

EXIT_OK, EXIT_MISMATCH, EXIT_INPUT = 0, 1, 2
_COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {}


def _command(
    name: str,
) -> Callable[
    [Callable[[argparse.Namespace, Console], int]], Callable[[argparse.Namespace, Console], int]
]:
    def wrap(
        fn: Callable[[argparse.Namespace, Console], int],
    ) -> Callable[[argparse.Namespace, Console], int]:
        _COMMANDS[name] = fn
        return fn

    return wrap


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


@_command("reconcile")
def _reconcile(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.ledger import read_ledger
    from sctforecast.money import to_pence
    from sctforecast.reconcile import reconcile_outturn

    ledger = read_ledger(args.file, sheet=args.sheet)
    report = reconcile_outturn(ledger, tolerance_pence=to_pence(args.tolerance), warn=False)
    console.print(findings_table(report, f"Reconciliation of {ledger.origin}"))
    console.print(report.text)
    return EXIT_OK if report.ok else EXIT_MISMATCH


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sctforecast",
        description="Placement costs, care-demand forecasts and MTFP projections.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reconcile", help="reconcile an outturn ledger (CSV or xlsx)")
    p.add_argument("file", help="ledger file: .csv or .xlsx")
    p.add_argument("--sheet", default=None, help="sheet name in an .xlsx workbook")
    p.add_argument("--tolerance", default="0", help="accepted difference in pounds (default 0)")

    from sctforecast._cli_run import add_run_parsers

    add_run_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sctforecast`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own usage line
        return EXIT_INPUT if exc.code not in (0, None) else EXIT_OK
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    console = Console(highlight=False, width=max(140, Console().width))
    from sctforecast import _cli_run  # noqa: F401 - registers run, project, run-many
    from sctforecast import cli as registry  # the registry, also when this file runs as __main__

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            return registry._COMMANDS[args.command](args, console)
    except SctForecastError as err:
        first, *rest = str(err).splitlines()
        print(f"sctforecast {args.command}: error: {first}", file=sys.stderr)
        for line in rest:
            print(line, file=sys.stderr)
        return EXIT_INPUT
    except OSError as err:
        print(f"sctforecast {args.command}: error: {err}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
