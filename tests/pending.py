"""Marks for tests that need an interface another branch is landing.

``needs_mtfp``: the main job calls ``project(ledger, scenario, profile=...)`` and
``MTFPProjection.breakeven(ci_prob=...)`` (the mtfp branch); until they are on
main, the tests that run it end to end are skipped, saying why.
"""

import inspect

import pytest

from sctforecast.mtfp import MTFPProjection, project

MTFP_LANDED = "profile" in inspect.signature(project).parameters and hasattr(
    MTFPProjection, "breakeven"
)
needs_mtfp = pytest.mark.skipif(
    not MTFP_LANDED,
    reason="needs the mtfp branch: project(..., profile=) and MTFPProjection.breakeven()",
)
