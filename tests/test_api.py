"""Pins the public API: a change here is a change users see."""

import sctforecast

EXPECTED = {
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
}


def test_public_api_is_pinned():
    assert set(sctforecast.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(sctforecast, name), name


def test_error_hierarchy():
    e = sctforecast
    assert issubclass(e.DataValidationError, ValueError) and issubclass(
        e.DataValidationError, e.SctForecastError
    )
    assert issubclass(e.ConfigError, ValueError)
    assert issubclass(e.NotFittedError, RuntimeError)
    assert issubclass(e.ModelVersionError, RuntimeError)
    assert issubclass(e.DataQualityWarning, e.SctForecastWarning)
    assert issubclass(e.ConvergenceWarning, UserWarning)


def test_finding_columns_pinned():
    from sctforecast.reconcile import FINDING_COLUMNS

    assert FINDING_COLUMNS == (
        "financial_year",
        "check",
        "expected_pence",
        "actual_pence",
        "difference_pence",
        "status",
        "source",
    )
