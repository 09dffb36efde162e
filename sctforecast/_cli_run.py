"""``sctforecast run``: the main job on the embedded data (or the user's)."""

from __future__ import annotations

import argparse

from rich.console import Console

from sctforecast.cli import EXIT_MISMATCH, EXIT_OK, _command, findings_table


def add_run_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run the main job on the embedded Sandwell data")
    p.add_argument("--ledger", default=None, help="an outturn ledger to reconcile instead")
    p.add_argument("--sheet", default=None, help="sheet name when --ledger is an .xlsx file")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when the outturn does not reconcile"
    )


@_command("run")
def _run(args: argparse.Namespace, console: Console) -> int:
    from sctforecast.datasets import load_sandwell
    from sctforecast.ledger import read_ledger
    from sctforecast.reconcile import reconcile_outturn, variance_bridge

    data = load_sandwell()
    ledger = read_ledger(args.ledger, sheet=args.sheet) if args.ledger else data.outturn
    report = reconcile_outturn(ledger, warn=False)
    console.print(findings_table(report, f"Outturn reconciliation: {ledger.origin}"))
    console.print(report.text)
    if args.ledger is None:
        drivers = dict(
            zip(
                data.variance_drivers["driver"],
                data.variance_drivers["amount_pence"] / 100,
                strict=True,
            )
        )
        variance = (
            int(data.finance_facts.set_index("key").loc["mtfp_variance", "amount_pence"]) / 100
        )
        bridge = variance_bridge(
            4_253_670 - variance, 4_253_670, drivers, tolerance=50_000, label="deficit 2023/24"
        )
        console.print(bridge.text)
    return EXIT_MISMATCH if (args.strict and not report.ok) else EXIT_OK
