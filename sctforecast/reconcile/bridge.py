"""Plan-versus-actual bridges: does a list of named drivers explain a variance?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sctforecast.money import format_money, to_pence

__all__ = ["Bridge", "variance_bridge"]


@dataclass(frozen=True)
class Bridge:
    """A walk from a planned to an actual figure through named drivers.

    ``table`` rows: the plan, each driver, the unexplained remainder and the
    actual, in pence; the drivers plus the remainder add to actual minus plan
    exactly.  ``closes`` is true when the remainder is within ``tolerance``.
    """

    planned_pence: int
    actual_pence: int
    drivers: tuple[tuple[str, int], ...]
    tolerance_pence: int
    label: str = "result"

    @property
    def variance_pence(self) -> int:
        """Actual minus planned."""
        return self.actual_pence - self.planned_pence

    @property
    def explained_pence(self) -> int:
        return sum(v for _, v in self.drivers)

    @property
    def unexplained_pence(self) -> int:
        """Variance minus the sum of the drivers."""
        return self.variance_pence - self.explained_pence

    @property
    def closes(self) -> bool:
        return abs(self.unexplained_pence) <= self.tolerance_pence

    @property
    def table(self) -> pd.DataFrame:
        rows = [("planned " + self.label, self.planned_pence, "start")]
        rows += [(name, v, "driver") for name, v in self.drivers]
        rows += [("unexplained", self.unexplained_pence, "remainder")]
        rows += [("actual " + self.label, self.actual_pence, "end")]
        t = pd.DataFrame(rows, columns=["step", "amount_pence", "role"])
        t["amount"] = [format_money(v) for v in t["amount_pence"]]
        return t

    @property
    def text(self) -> str:
        verdict = (
            "closes" if self.closes else "does not close"
        ) + f" within {format_money(self.tolerance_pence)}"
        return (
            f"The variance in {self.label} of {format_money(self.variance_pence)} is explained by "
            f"{len(self.drivers)} drivers totalling {format_money(self.explained_pence)}, leaving "
            f"{format_money(self.unexplained_pence)} unexplained: the bridge {verdict}."
        )

    def __repr__(self) -> str:
        return (
            f"<Bridge {self.label}: variance {format_money(self.variance_pence)}, "
            f"unexplained {format_money(self.unexplained_pence)}, closes={self.closes}>"
        )


def variance_bridge(
    planned: int | float | str,
    actual: int | float | str,
    drivers: Mapping[str, int | float | str],
    *,
    tolerance: int | float | str = 0,
    label: str = "result",
) -> Bridge:
    """Bridge a planned figure to an actual one through named drivers.

    Amounts are pounds (numbers or text such as ``"£5m"`` → parsed by
    :func:`sctforecast.money.parse_money`); drivers are signed so that they
    add to actual minus planned.  ``tolerance`` (pounds) is how large the
    unexplained remainder may be for the bridge to close: set it to the
    rounding of the drivers (e.g. 50,000 for figures given to the nearest
    £0.1m).

    Example (004 Section (e)): the 2023/24 deficit of 4,253,670 was 4,996,156
    worse than the MTFP aim, explained by c. £5.0m residential, £1.5m supported
    accommodation and -£1.5m savings::

        variance_bridge(4_253_670 - 4_996_156, 4_253_670,
                        {"residential": "5m", "supported accommodation": "1.5m",
                         "savings": "-1.5m"}, tolerance=50_000, label="deficit")
    """
    return Bridge(
        planned_pence=to_pence(planned),
        actual_pence=to_pence(actual),
        drivers=tuple((str(k), to_pence(v)) for k, v in drivers.items()),
        tolerance_pence=to_pence(tolerance),
        label=label,
    )
