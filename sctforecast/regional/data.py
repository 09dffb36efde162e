"""Series for many authorities: one table with an authority key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sctforecast._io import read_table
from sctforecast.demand.data import CareFlowData
from sctforecast.errors import DataValidationError

__all__ = ["AuthorityPanel", "read_authority_folder", "PANEL_COLUMNS"]

PANEL_COLUMNS = (
    "authority",
    "period",
    "entries",
    "exits",
    "stock_start",
    "stock_end",
    "population",
)


@dataclass(frozen=True)
class AuthorityPanel:
    """Entries, exits and stocks of ``A`` authorities over the same ``T`` periods."""

    authorities: tuple[str, ...]
    periods: tuple[str, ...]
    entries: np.ndarray  # (A, T)
    exits: np.ndarray  # (A, T)
    stock: np.ndarray  # (A, T + 1)
    population: np.ndarray  # (A,)
    freq: str = "month"

    @property
    def A(self) -> int:
        return len(self.authorities)

    @property
    def T(self) -> int:
        return len(self.periods)

    def series(self, authority: str) -> CareFlowData:
        i = self.authorities.index(authority)
        return CareFlowData(
            self.periods,
            self.entries[i],
            self.exits[i],
            self.stock[i],
            np.full(self.T, self.population[i]),
            self.freq,
            source=authority,
        )

    def subset(self, authorities: list[str]) -> AuthorityPanel:
        idx = [self.authorities.index(a) for a in authorities]
        return AuthorityPanel(
            tuple(authorities),
            self.periods,
            self.entries[idx],
            self.exits[idx],
            self.stock[idx],
            self.population[idx],
            self.freq,
        )

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, freq: str = "month", where: str = "authority table"
    ) -> AuthorityPanel:
        """From a long table with :data:`PANEL_COLUMNS` (one row per authority and period)."""
        missing = [c for c in PANEL_COLUMNS if c not in frame.columns]
        if missing:
            raise DataValidationError(f"missing column(s) {', '.join(missing)}", where=where)
        f = frame.copy()
        f["authority"] = f["authority"].astype(str).str.strip()
        f["period"] = f["period"].astype(str).str.strip()
        dup = f[f.duplicated(subset=["authority", "period"], keep=False)]
        problems = []
        if len(dup):
            keys = sorted(set(dup["authority"]))
            problems.append(
                f"authority key(s) repeated for the same period: {', '.join(keys[:20])}; "
                "each authority needs one row per period"
            )
        periods_by = f.groupby("authority")["period"].apply(lambda s: tuple(sorted(s)))
        common: tuple[str, ...] = periods_by.mode().iloc[0] if len(periods_by) else ()
        odd = [a for a, p in periods_by.items() if p != common]
        if odd:
            problems.append(
                f"authorities with different periods from the others ({common[0]} to {common[-1]}): "
                f"{', '.join(odd[:20])}; give every authority the same periods"
            )
        if problems:
            raise DataValidationError(problems, where=where)
        f = f.sort_values(["authority", "period"])
        auths = tuple(f["authority"].unique())
        T = len(common)

        def grid(col: str) -> np.ndarray:
            return (
                pd.to_numeric(f[col], errors="coerce").to_numpy(dtype=float).reshape(len(auths), T)
            )

        first = f.groupby("authority").head(1)
        stock = np.concatenate(
            [pd.to_numeric(first["stock_start"]).to_numpy(dtype=float)[:, None], grid("stock_end")],
            axis=1,
        )
        panel = cls(
            auths,
            tuple(common),
            grid("entries"),
            grid("exits"),
            stock,
            pd.to_numeric(first["population"]).to_numpy(dtype=float),
            freq,
        )
        for a in auths:  # validates each series, naming the authority
            try:
                panel.series(a)
            except DataValidationError as err:
                raise DataValidationError(f"authority {a}: {err}", where=where) from err
        return panel

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for i, a in enumerate(self.authorities):
            for t, p in enumerate(self.periods):
                rows.append(
                    (
                        a,
                        p,
                        self.entries[i, t],
                        self.exits[i, t],
                        self.stock[i, t],
                        self.stock[i, t + 1],
                        self.population[i],
                    )
                )
        return pd.DataFrame(rows, columns=list(PANEL_COLUMNS))


def read_authority_folder(
    folder: str | os.PathLike[str],
) -> tuple[dict[str, pd.DataFrame | Path], dict[str, str]]:
    """Find the authorities in a folder: ``<name>.csv`` series files (columns
    period, entries, exits, stock_start, stock_end, population) or ``<name>/``
    subfolders of SSDA903 returns.  Returns (inputs by authority, problems by
    authority): a malformed authority is reported by name and the others go on."""
    root = Path(folder)
    if not root.is_dir():
        raise DataValidationError(f"{root}: no such folder of authorities")
    inputs: dict[str, pd.DataFrame | Path] = {}
    problems: dict[str, str] = {}
    for p in sorted(root.iterdir()):
        name = p.stem if p.is_file() else p.name
        if name.startswith("."):
            continue
        if name in inputs or name in problems:
            problems[name] = f"authority {name!r} appears twice in {root} (a file and a folder?)"
            inputs.pop(name, None)
            continue
        if p.is_dir():
            inputs[name] = p
        elif p.suffix.lower() in {".csv", ".xlsx"}:
            try:
                t = read_table(p)
                need = set(PANEL_COLUMNS) - {"authority"}
                if not need <= set(t.columns):
                    raise DataValidationError(
                        f"{p}: missing column(s) {', '.join(sorted(need - set(t.columns)))}"
                    )
                inputs[name] = t.assign(authority=name)
            except DataValidationError as err:
                problems[name] = str(err)
    if not inputs and not problems:
        raise DataValidationError(
            f"{root}: holds no authority files (<name>.csv) or SSDA903 folders"
        )
    return inputs, problems
