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

from rich.console import Console

from sctforecast.cli.cache import _cache, add_cache_parsers
from sctforecast.cli.demand import _backtest, _forecast, add_demand_parsers
from sctforecast.cli.exits import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_MISMATCH,
    EXIT_OK,
)
from sctforecast.cli.mtfp import _project, _scenario, add_project_parser, add_scenario_parser
from sctforecast.cli.run import _reconcile, _run, _run_many, add_run_parsers
from sctforecast.errors import (
    ConfigError,
    DataQualityWarning,
    ReconciliationError,
    SctForecastError,
)

__all__ = ["main"]


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

    add_run_parsers(sub)
    add_project_parser(sub)
    add_cache_parsers(sub)
    add_scenario_parser(sub)
    add_demand_parsers(sub)
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
