"""Outturn and plan-versus-actual reconciliation."""

from sctforecast.reconcile.bridge import Bridge, variance_bridge
from sctforecast.reconcile.outturn import FINDING_COLUMNS, ReconciliationReport, reconcile_outturn

__all__ = [
    "Bridge",
    "variance_bridge",
    "ReconciliationReport",
    "reconcile_outturn",
    "FINDING_COLUMNS",
]
