"""Reporting sits below the pipeline: no module of ``sctforecast/reporting/`` imports
``sctforecast.pipeline``, not even for type checking; it reads a run through the
:class:`~sctforecast.reporting.RunOutcome` protocol, which ``RunResult`` satisfies
(checked on a real run in ``test_pipeline_saved_fit.py``)."""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import sctforecast.reporting
from sctforecast.reporting import RunOutcome

REPORTING = Path(sctforecast.reporting.__file__).parent
ABOVE = "sctforecast.pipeline"


def imports_of(source: str, package: str = "sctforecast.reporting") -> set[str]:
    """Every module ``source`` imports, anywhere in it (``if TYPE_CHECKING:``
    blocks and function bodies too), relative imports resolved in ``package``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def names_above(source: str, package: str = "sctforecast.reporting") -> set[str]:
    return {m for m in imports_of(source, package) if m == ABOVE or m.startswith(ABOVE + ".")}


def test_no_reporting_module_imports_the_pipeline():
    modules = sorted(REPORTING.rglob("*.py"))
    assert {"run.py", "run_tables.py", "html.py", "outcome.py"} <= {m.name for m in modules}
    offenders = {}
    for m in modules:
        package = ".".join(("sctforecast", *m.relative_to(REPORTING.parent).parent.parts))
        if found := names_above(m.read_text(), package):
            offenders[str(m.relative_to(REPORTING.parent))] = found
    assert offenders == {}


@pytest.mark.parametrize(
    "snippet",
    [
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from sctforecast.pipeline import RunResult\n",
        "import sctforecast.pipeline.result\n",
        "def f():\n    from sctforecast import pipeline\n",
        "from ..pipeline import RunResult\n",
        "from .. import pipeline\n",
    ],
)
def test_the_scan_finds_an_import_of_the_pipeline(snippet):
    assert names_above(snippet)


def test_the_scan_passes_imports_from_below():
    source = (
        "from sctforecast.mtfp import MTFPProjection\nfrom . import charts\n"
        "import sctforecast.pipelines_elsewhere\n"  # a name that only starts alike
    )
    assert names_above(source) == set()


def test_the_protocol_lists_exactly_what_reporting_reads_from_a_run():
    read = set()
    for m in REPORTING.rglob("*.py"):
        for node in ast.walk(ast.parse(m.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "result":
                    read.add(node.attr)
    members = {m for m in dir(RunOutcome) if not m.startswith("_")}
    assert read == members and len(members) == 17


def test_an_object_without_every_member_is_not_a_run_outcome():
    @dataclass(frozen=True)
    class OnlyTheAnswers:
        answers: object = None
        ci_prob: float = 0.9

    assert not isinstance(OnlyTheAnswers(), RunOutcome)
