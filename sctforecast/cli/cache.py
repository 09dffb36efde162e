"""Saved results: the ``--cache-dir``/``--no-cache`` options of the commands that reuse
them, and ``sctforecast cache info | clear``."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from sctforecast.cli.exits import EXIT_OK


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


def add_cache_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The parser of ``cache info`` and ``cache clear``."""
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
