"""Errors and warnings raised by sctforecast.

Every error says what went wrong, where (file, sheet, column, row or financial
year), what was expected against what was found, and how to fix it.  Where an
input has several problems they are collected and raised once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "SctForecastError",
    "DataValidationError",
    "ConfigError",
    "NotFittedError",
    "ModelVersionError",
    "ReconciliationError",
    "SctForecastWarning",
    "DataQualityWarning",
    "ConvergenceWarning",
]


class SctForecastError(Exception):
    """Base class of every error the library raises on purpose."""


class _ProblemList(SctForecastError):
    """An error that carries every problem found, not only the first."""

    def __init__(self, problems: str | Iterable[str], *, where: str | None = None) -> None:
        if isinstance(problems, str):
            items = [problems]
        else:
            items = [str(p) for p in problems]
        if not items:
            items = ["unspecified problem"]
        self.problems: list[str] = items
        self.where = where
        head = f"{where}: " if where else ""
        if len(items) == 1:
            message = head + items[0]
        else:
            lines = "\n".join(f"  - {p}" for p in items)
            message = f"{head}{len(items)} problems:\n{lines}"
        super().__init__(message)


class DataValidationError(_ProblemList, ValueError):
    """Bad input data: a frame, a CSV or Excel file, an SSDA903 return."""


class ConfigError(_ProblemList, ValueError):
    """Bad configuration: priors, sampler settings, scenario files."""


class NotFittedError(SctForecastError, RuntimeError):
    """A model was asked for results before ``fit`` was called."""


class ModelVersionError(SctForecastError, RuntimeError):
    """A saved model does not match this version of the code or its config."""


class ReconciliationError(SctForecastError):
    """An outturn or plan does not reconcile; carries the full report."""

    def __init__(self, report: Any) -> None:  # a sctforecast.reconcile.ReconciliationReport
        self.report = report
        super().__init__(
            report.text + "\nFix the source figures, or call with strict=False to get the report."
        )


class SctForecastWarning(UserWarning):
    """Base class of the library's warnings."""


class DataQualityWarning(SctForecastWarning):
    """Input data has a known inconsistency that was reported, not corrected."""


class ConvergenceWarning(SctForecastWarning):
    """MCMC diagnostics are poor; the message says what to change."""
