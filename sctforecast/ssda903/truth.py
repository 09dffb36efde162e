"""The known rates behind synthetic SSDA903 returns (:mod:`sctforecast.ssda903.synthetic`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sctforecast.errors import ConfigError
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.reader import AGE_BANDS

__all__ = ["SyntheticTruth", "default_truth"]

NB, NT = len(AGE_BANDS), len(PLACEMENT_TYPES)
_T = {t: i for i, t in enumerate(PLACEMENT_TYPES)}


@dataclass(frozen=True)
class SyntheticTruth:
    """Monthly rates by age band (5) and placement type (12).

    ``entry_rate`` and ``exit_hazard`` are the base rates; in month ``k`` of
    the simulation (``months[k]``, e.g. "2016-04") the rates used were
    ``entry_rate * entry_multiplier[k]`` and ``exit_hazard *
    exit_multiplier[k]`` (capped so that leaving and moving stay a
    probability).  The multipliers are ``None`` for a truth not yet simulated.
    """

    entry_rate: np.ndarray  # (bands,) children entering per month
    initial_mix: np.ndarray  # (bands, types), rows sum to 1
    exit_hazard: np.ndarray  # (bands, types) probability of leaving care in a month
    move: np.ndarray  # (bands, types, types) probability of moving type in a month (diag 0)
    months: tuple[str, ...] | None = None  # the simulated months, "2016-04", ...
    entry_multiplier: np.ndarray | None = None  # (months,) on entry_rate
    exit_multiplier: np.ndarray | None = None  # (months,) on exit_hazard

    def _month(self, month: str | pd.Period | pd.Timestamp) -> int:
        if self.months is None:
            return -1
        label = str(pd.Period(month, freq="M"))
        if label not in self.months:
            raise ConfigError(
                f"month {label} is outside the simulation ({self.months[0]} to {self.months[-1]})"
            )
        return self.months.index(label)

    def entry_rate_at(self, month: str | pd.Period | pd.Timestamp) -> np.ndarray:
        """Children entering per month, by age band, in ``month`` (e.g. "2019-06")."""
        k = self._month(month)
        m = 1.0 if k < 0 or self.entry_multiplier is None else float(self.entry_multiplier[k])
        return self.entry_rate * m

    def exit_hazard_at(self, month: str | pd.Period | pd.Timestamp) -> np.ndarray:
        """The monthly probability of leaving care, by band and type, in ``month``."""
        k = self._month(month)
        m = 1.0 if k < 0 or self.exit_multiplier is None else float(self.exit_multiplier[k])
        return np.minimum(self.exit_hazard * m, 1.0 - self.move.sum(axis=2))


def default_truth(scale: float = 1.0) -> SyntheticTruth:
    """Rates loosely shaped like an authority with about 800 children in care.
    ``scale`` multiplies the entry rates."""
    entry = np.array([3.0, 3.5, 3.0, 4.5, 2.5]) * scale
    mix = np.zeros((NB, NT))
    mix[
        0, [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["parent_and_child"]]
    ] = [0.35, 0.3, 0.2, 0.15]
    mix[
        1,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["placed_with_parents"]],
    ] = [0.35, 0.3, 0.25, 0.1]
    mix[
        2,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["placed_with_parents"]],
    ] = [0.35, 0.35, 0.2, 0.1]
    mix[
        3,
        [_T["foster_in_house"], _T["foster_ifa"], _T["foster_kinship"], _T["residential_external"]],
    ] = [0.3, 0.4, 0.15, 0.15]
    mix[
        4,
        [
            _T["foster_ifa"],
            _T["residential_external"],
            _T["supported_accommodation"],
            _T["supported_accommodation_uasc"],
        ],
    ] = [0.3, 0.2, 0.25, 0.25]
    exit_h = np.full((NB, NT), 0.02)
    exit_h[0] = 0.04
    exit_h[:, _T["placed_with_parents"]] = 0.06
    exit_h[:, _T["adoption_placement"]] = 0.08
    move = np.zeros((NB, NT, NT))
    for b in range(NB):
        move[b, _T["foster_ifa"], _T["foster_in_house"]] = 0.004
        move[b, _T["foster_in_house"], _T["foster_ifa"]] = 0.006
        if b >= 3:
            move[b, _T["foster_ifa"], _T["residential_external"]] = 0.004
            move[b, _T["residential_external"], _T["foster_ifa"]] = 0.01
        if b == 4:
            move[b, _T["foster_ifa"], _T["supported_accommodation"]] = 0.02
        if b <= 1:
            move[b, _T["foster_in_house"], _T["adoption_placement"]] = 0.01
    return SyntheticTruth(entry, mix, exit_h, move)
