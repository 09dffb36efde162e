"""sctforecast: placement costs, Bayesian care-demand forecasts and medium term
financial plans for children's services.

The public API is re-exported here; ``tests/test_api.py`` pins it.
"""

from importlib.metadata import PackageNotFoundError, version

from sctforecast.errors import (
    ConfigError,
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    ModelVersionError,
    NotFittedError,
    ReconciliationError,
    SctForecastError,
    SctForecastWarning,
)
from sctforecast.ledger import Ledger, read_ledger
from sctforecast.money import format_money, parse_money, round_to_total, to_pence
from sctforecast.periods import FinancialYear
from sctforecast.reconcile import Bridge, ReconciliationReport, reconcile_outturn, variance_bridge

try:
    __version__ = version("sctforecast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"

__all__ = [
    "__version__",
    "Bridge",
    "ConfigError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DataValidationError",
    "FinancialYear",
    "Ledger",
    "ModelVersionError",
    "NotFittedError",
    "ReconciliationError",
    "ReconciliationReport",
    "SctForecastError",
    "SctForecastWarning",
    "format_money",
    "parse_money",
    "read_ledger",
    "reconcile_outturn",
    "round_to_total",
    "to_pence",
    "variance_bridge",
]
