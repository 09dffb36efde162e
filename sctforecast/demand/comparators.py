"""Comparator rates: the long-run levels the aggregate model reverts towards.

Published rates of other areas (statistical neighbours, the region, England)
give the centre of a weakly informative prior on the long-run entry rate per
10,000 children and exit hazard per child in care.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sctforecast.errors import DataValidationError

__all__ = ["ComparatorRates"]


@dataclass(frozen=True)
class ComparatorRates:
    """Long-run rates to revert towards: entries a year per 10,000 children and
    exits a year per child in care (the published exit rate per 10,000 divided
    by the children-in-care rate per 10,000 of the same comparator)."""

    entry_rate_per_10k: float
    exit_hazard: float
    source: str = ""

    def __post_init__(self) -> None:
        bad = [
            f"{k} must be a positive number, got {v!r}"
            for k, v in (
                ("entry_rate_per_10k", self.entry_rate_per_10k),
                ("exit_hazard", self.exit_hazard),
            )
            if not (isinstance(v, int | float) and np.isfinite(v) and v > 0)
        ]
        if bad:
            raise DataValidationError(bad, where="comparator rates")

    @classmethod
    def from_rates(cls, rates: Mapping[str, float], *, source: str = "") -> ComparatorRates:
        """From published rates keyed ``"measure/area"`` (as
        :attr:`sctforecast.profile.AuthorityProfile.comparators`): the entry
        rate is the geometric mean of every area's ``entry_rate_per_10k``; the
        exit hazard the geometric mean, over areas with both, of
        ``exit_rate_per_10k / cic_rate_per_10k``."""
        by: dict[str, dict[str, float]] = {}
        for key, v in rates.items():
            measure, _, area = str(key).partition("/")
            by.setdefault(measure, {})[area] = float(v)
        entry = list(by.get("entry_rate_per_10k", {}).values())
        exits, cic = by.get("exit_rate_per_10k", {}), by.get("cic_rate_per_10k", {})
        hazards = [exits[a] / cic[a] for a in exits if a in cic and cic[a] > 0]
        problems = []
        if not entry:
            problems.append("no 'entry_rate_per_10k/<area>' rate given")
        if not hazards:
            problems.append(
                "no area has both 'exit_rate_per_10k/<area>' and 'cic_rate_per_10k/<area>', "
                "so no exit hazard can be formed"
            )
        if problems:
            raise DataValidationError(problems, where="comparator rates")
        areas = sorted(set(by.get("entry_rate_per_10k", {})) | {a for a in exits if a in cic})
        return cls(
            float(np.exp(np.mean(np.log(entry)))),
            float(np.exp(np.mean(np.log(hazards)))),
            source=source or f"geometric mean over {', '.join(areas)}",
        )
