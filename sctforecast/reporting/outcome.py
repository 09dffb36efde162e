"""What the run outputs read from a run: :class:`RunOutcome`, a protocol.

The pipeline sits above reporting, so reporting never imports it: the run
folder, its tables and its HTML page take any object with these members.
:class:`sctforecast.pipeline.RunResult` is one, structurally (a test checks it).
Every member is read-only, so a frozen dataclass satisfies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sctforecast.costs.calibrate import Calibration
    from sctforecast.demand.forecast import DemandForecast
    from sctforecast.mtfp.result import MTFPProjection
    from sctforecast.mtfp.scenario import Scenario
    from sctforecast.profile import AuthorityProfile
    from sctforecast.reconcile.bridge import Bridge
    from sctforecast.reconcile.outturn import ReconciliationReport

__all__ = ["RunOutcome"]


@runtime_checkable
class RunOutcome(Protocol):
    """A run as its outputs see it: the inputs it used, what it found, and the
    headline answers (see :class:`sctforecast.pipeline.RunResult` for each)."""

    # --- what the run used -------------------------------------------------------------------
    @property
    def profile(self) -> AuthorityProfile: ...
    @property
    def scenario(self) -> Scenario: ...
    @property
    def ci_prob(self) -> float: ...

    # --- what it found -----------------------------------------------------------------------
    @property
    def reconciliation(self) -> ReconciliationReport: ...
    @property
    def variance(self) -> Bridge | None: ...
    @property
    def notes(self) -> pd.DataFrame | None: ...
    @property
    def demand(self) -> DemandForecast: ...
    @property
    def demand_source(self) -> str: ...
    @property
    def diagnostics(self) -> str: ...
    @property
    def history(self) -> pd.Series: ...
    @property
    def calibration(self) -> Calibration: ...
    @property
    def projection(self) -> MTFPProjection: ...

    # --- the answers -------------------------------------------------------------------------
    @property
    def answers(self) -> pd.DataFrame: ...
    @property
    def years(self) -> list[str]: ...
    @property
    def table(self) -> pd.DataFrame: ...
    def children_at_year_end(self) -> np.ndarray: ...
    def answer_lines(self) -> list[str]: ...
