"""The profile CSV: a few facts about an authority as ``key,value[,source]`` rows.

::

    key,value,source
    name,Northfield Children's Services,
    baseline_year,2023/24,
    child_population,52400,ONS mid-2023 population estimate
    foster_in_house,120,SSDA903 at 31 March 2024
    foster_ifa,95,SSDA903 at 31 March 2024
    residential_external,30,SSDA903 at 31 March 2024
    comparator:cic_rate_per_10k/England,70,DfE 2024

:func:`read_profile_csv` checks every row and raises one
:class:`DataValidationError` naming the file, row and column of every problem;
:meth:`sctforecast.profile.AuthorityProfile.from_csv` turns the facts into a
profile.  A ground-floor module: it imports nothing of the library but the
reader, errors, periods and the placement vocabulary.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sctforecast._io import read_table
from sctforecast.errors import DataValidationError
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES

__all__ = ["ProfileFacts", "read_profile_csv", "PROFILE_KEYS", "COMPARATOR_PREFIX"]

#: The keys of a profile CSV besides the placement types and comparator rows.
PROFILE_KEYS = ("name", "baseline_year", "child_population")
#: Prefix of comparator keys: ``comparator:<measure>/<area>``.
COMPARATOR_PREFIX = "comparator:"
_COMPARATOR = COMPARATOR_PREFIX


@dataclass(frozen=True)
class ProfileFacts:
    """The rows of a profile CSV, checked but possibly incomplete (a file that
    gives only the name and population is used with SSDA903 returns)."""

    origin: str
    name: str | None = None
    baseline_year: FinancialYear | None = None
    child_population: float | None = None
    children: Mapping[str, float] = field(default_factory=dict)
    comparators: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def require(self, *, children: bool, population: bool = True) -> None:
        """Raise one :class:`DataValidationError` listing every missing key."""
        missing = [k for k in ("name", "baseline_year") if getattr(self, k) is None]
        if population and self.child_population is None:
            missing.append("child_population")
        problems = [f"no {k!r} row; add a row '{k},<value>'" for k in missing]
        if children and not self.children:
            problems.append(
                "no children by placement type; add a row per type with children in care at the "
                "end of the baseline year, e.g. 'foster_ifa,95' (types: "
                + ", ".join(PLACEMENT_TYPES)
                + ")"
            )
        if problems:
            raise DataValidationError(problems, where=self.origin)

    def source_rows(self) -> list[tuple[str, str, str]]:
        """(key, value, source) of every row that names a source."""
        values: dict[str, object] = {
            "name": self.name,
            "baseline_year": self.baseline_year,
            "child_population": self.child_population,
            **self.children,
            **{f"{_COMPARATOR}{k}": v for k, v in self.comparators.items()},
        }
        return [(k, str(values.get(k, "")), s) for k, s in self.sources.items() if s]


def read_profile_csv(path: str | os.PathLike[str]) -> ProfileFacts:
    """Read and check a profile CSV (see :meth:`AuthorityProfile.from_csv`); keys
    that are absent stay ``None`` (use :meth:`ProfileFacts.require`)."""
    frame = read_table(path)
    origin = str(path)
    lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in ("key", "value") if c not in lower]
    if missing:
        raise DataValidationError(
            f"missing column(s) {', '.join(missing)}; the file needs columns key,value "
            f"(and optionally source), got {', '.join(frame.columns)}",
            where=origin,
        )
    problems: list[str] = []
    values: dict[str, dict[str, object]] = {"facts": {}, "children": {}, "comparators": {}}
    sources: dict[str, str] = {}
    src_col = lower.get("source")
    for i, r in enumerate(frame.to_dict("records"), start=2):
        key = str(r[lower["key"]]).strip()
        if any(key in v for v in values.values()):
            problems.append(f"row {i}, column key: {key!r} is given twice; keep one row")
            continue
        _read_row(key, r[lower["value"]], i, values, problems)
        if src_col is not None and str(r[src_col]).strip():
            sources[key] = str(r[src_col]).strip()
    if problems:
        raise DataValidationError(problems, where=origin)
    facts, comparators = values["facts"], values["comparators"]
    return ProfileFacts(
        origin=origin,
        name=facts.get("name"),  # type: ignore[arg-type]
        baseline_year=facts.get("baseline_year"),  # type: ignore[arg-type]
        child_population=facts.get("child_population"),  # type: ignore[arg-type]
        children=values["children"],  # type: ignore[arg-type]
        comparators={k[len(_COMPARATOR) :]: v for k, v in comparators.items()},  # type: ignore[misc]
        sources=sources,
    )


def _read_row(
    key: str, raw: object, row: int, values: dict[str, dict[str, object]], problems: list[str]
) -> None:
    """Check one row and file its value under facts, children or comparators."""
    where = f"row {row}, column value ({key})"
    if not key:
        problems.append(f"row {row}, column key: blank key; name the fact, e.g. 'name'")
    elif key == "name":
        values["facts"][key] = _text(raw, where, problems)
    elif key == "baseline_year":
        values["facts"][key] = _year(raw, where, problems)
    elif key == "child_population":
        values["facts"][key] = _number(raw, where, problems, positive=True)
    elif key in PLACEMENT_TYPES:
        values["children"][key] = _number(raw, where, problems)
    elif key.startswith(_COMPARATOR) and len(key) > len(_COMPARATOR):
        values["comparators"][key] = _number(raw, where, problems)
    else:
        known = [*PROFILE_KEYS, *PLACEMENT_TYPES]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        problems.append(
            f"row {row}, column key: unknown key {key!r}; {hint} "
            f"(comparators are written '{_COMPARATOR}<measure>/<area>')"
        )


def _text(raw: object, where: str, problems: list[str]) -> str | None:
    text = str(raw).strip() if raw is not None else ""
    if not text or text.lower() == "nan":
        problems.append(f"{where}: blank; give the authority's name")
        return None
    return text


def _year(raw: object, where: str, problems: list[str]) -> FinancialYear | None:
    try:
        return FinancialYear.parse(str(raw).strip())
    except (ValueError, TypeError) as err:
        problems.append(f"{where}: {err}")
        return None


def _number(
    raw: object, where: str, problems: list[str], *, positive: bool = False
) -> float | None:
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{where}: {raw!r} is not a number; write a count such as 95 or 52,400")
        return None
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        need = "more than zero" if positive else "zero or more"
        problems.append(f"{where}: {raw!r} must be {need}")
        return None
    return value
