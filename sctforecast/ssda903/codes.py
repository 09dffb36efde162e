"""The mapping from SSDA903 ``PLACE`` and ``PLACE_PROVIDER`` codes to placement types.

The default mapping (``datasets/data/ssda903_place_codes.csv``) maps a
``PLACE`` code, and where it matters the ``PLACE_PROVIDER`` code, to a type of
:mod:`sctforecast.placements`; a UASC flag moves supported accommodation to
``supported_accommodation_uasc``.  Users override it with
:meth:`PlacementMapping.from_csv`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sctforecast.errors import DataQualityWarning, DataValidationError
from sctforecast.placements import PLACEMENT_TYPES

__all__ = ["PlacementMapping"]


@dataclass(frozen=True)
class PlacementMapping:
    """Map SSDA903 ``PLACE`` and ``PLACE_PROVIDER`` codes to placement types.

    ``table`` columns: ``place``, ``provider`` (a code, or ``*`` for any),
    ``placement_type``, ``note``.  A row with a specific provider wins over
    the ``*`` row for the same place code.
    """

    table: pd.DataFrame
    origin: str = "default"

    @classmethod
    def default(cls) -> PlacementMapping:
        from sctforecast.datasets import data_path

        return cls.from_csv(data_path("ssda903_place_codes.csv"), origin="default")

    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str], *, origin: str | None = None
    ) -> PlacementMapping:
        """Read a mapping file (columns place, provider, placement_type[, note])."""
        from sctforecast._io import read_table

        t = read_table(path)
        where = str(Path(path))
        missing = [c for c in ("place", "provider", "placement_type") if c not in t.columns]
        if missing:
            raise DataValidationError(
                f"missing column(s) {', '.join(missing)}; a mapping needs place, provider, placement_type",
                where=where,
            )
        problems = []
        for i, r in enumerate(t.itertuples(index=False), start=2):
            if r.placement_type not in PLACEMENT_TYPES:
                problems.append(
                    f"row {i}, column placement_type: unknown type {r.placement_type!r}"
                )
            if not str(r.place).strip():
                problems.append(f"row {i}, column place: blank code")
        dup = t[t.duplicated(subset=["place", "provider"], keep=False)]
        if len(dup):
            problems.append(
                "codes mapped twice: "
                + ", ".join(
                    sorted({f"{p}/{q}" for p, q in zip(dup["place"], dup["provider"], strict=True)})
                )
            )
        if problems:
            raise DataValidationError(problems, where=where)
        t = t.assign(
            place=t["place"].str.strip().str.upper(), provider=t["provider"].str.strip().str.upper()
        )
        return cls(table=t, origin=origin or where)

    def map_codes(
        self,
        place: pd.Series,
        provider: pd.Series | None = None,
        uasc: pd.Series | None = None,
        *,
        unknown: str = "raise",
        where: str = "",
        rows: pd.Series | None = None,
    ) -> pd.Series:
        """Placement type of each (place, provider) pair.

        ``unknown="raise"`` lists every unknown code and the rows it is on;
        ``unknown="other"`` maps them to ``other_settings`` with a
        :class:`DataQualityWarning` naming them.
        """
        if unknown not in {"raise", "other"}:
            raise DataValidationError(f"unknown= must be 'raise' or 'other', not {unknown!r}")
        place = place.astype(str).str.strip().str.upper()
        prov = (
            provider.astype(str).str.strip().str.upper()
            if provider is not None
            else pd.Series("", index=place.index)
        )
        specific = {
            (p, q): t
            for p, q, t in self.table[["place", "provider", "placement_type"]].itertuples(
                index=False
            )
            if q != "*"
        }
        generic = {
            p: t
            for p, q, t in self.table[["place", "provider", "placement_type"]].itertuples(
                index=False
            )
            if q == "*"
        }
        out = [specific.get((p, q), generic.get(p)) for p, q in zip(place, prov, strict=True)]
        result = pd.Series(out, index=place.index, dtype=object)
        bad = result.isna()
        if bad.any():
            row_ids = rows if rows is not None else pd.Series(place.index, index=place.index)
            groups: dict[str, list[str]] = {}
            for code, row in zip(place[bad], row_ids[bad], strict=True):
                groups.setdefault(code, []).append(str(row))
            listing = "; ".join(
                f"{code!r} on row(s) {', '.join(r[:10])}{' ...' if len(r) > 10 else ''}"
                for code, r in sorted(groups.items())
            )
            loc = f"{where}: " if where else ""
            if unknown == "raise":
                raise DataValidationError(
                    f"{loc}unknown PLACE code(s): {listing}. Add them to a mapping file "
                    "(PlacementMapping.from_csv) or pass unknown='other' to map them to other_settings"
                )
            warnings.warn(
                f"{loc}unknown PLACE code(s) mapped to other_settings: {listing}",
                DataQualityWarning,
                stacklevel=2,
            )
            result[bad] = "other_settings"
        if uasc is not None:
            flag = uasc.fillna(False).astype(bool).to_numpy()
            is_sa = (result == "supported_accommodation").to_numpy()
            result[flag & is_sa] = "supported_accommodation_uasc"
        return result
