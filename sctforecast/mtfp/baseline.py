"""The baseline year: which ledger, and how its lines make the MTFP's lines."""

from __future__ import annotations

from sctforecast.errors import ConfigError
from sctforecast.ledger import Ledger, read_ledger
from sctforecast.mtfp.result import INCOME_LINES
from sctforecast.mtfp.scenario import MTFP_LINES, Scenario

__all__ = ["baseline_lines", "scenario_ledger"]


def scenario_ledger(scenario: Scenario, *, embedded: Ledger | None = None) -> Ledger:
    """The ledger the scenario's ``[baseline] ledger`` names.

    ``"embedded"`` is the library's default dataset, which the engine does not
    read: pass it as ``embedded`` (``sctforecast.datasets.load_outturn()``, as
    the command line and the pipeline do).  A path is read with the scenario's
    ``sheet`` (a relative path in a file is relative to that file's folder).
    """
    src = scenario.baseline_ledger
    if src == "embedded":
        if embedded is None:
            raise ConfigError(
                f"{scenario.origin}: [baseline] ledger = 'embedded' names the library's default "
                "dataset; pass it in (scenario_ledger(scenario, "
                "embedded=sctforecast.datasets.load_outturn())) or name a ledger file"
            )
        return embedded
    return read_ledger(src, sheet=scenario.baseline_sheet)


def baseline_lines(ledger: Ledger, scenario: Scenario) -> dict[str, int]:
    """Baseline-year amount (pence) of each MTFP line, mapping every ledger line once."""
    if not isinstance(ledger, Ledger):
        raise ConfigError(
            f"the baseline ledger must be a sctforecast.Ledger, got {type(ledger).__name__}; "
            "read one with sctforecast.read_ledger(path), or resolve the scenario's own with "
            "sctforecast.mtfp.scenario_ledger(scenario, embedded=...)"
        )
    fy = scenario.baseline_year
    if fy not in ledger.years:
        raise ConfigError(
            f"the baseline ledger {ledger.origin} has no {fy}; it covers "
            f"{', '.join(str(y) for y in ledger.years)}"
        )
    rows = ledger.lines(fy)
    rows = rows[rows["kind"].isin(["income", "expenditure"])]
    amounts = dict(zip(rows["line"], rows["amount_pence"], strict=True))
    kinds = dict(zip(rows["line"], rows["kind"], strict=True))
    problems: list[str] = []
    used: dict[str, str] = {}
    out: dict[str, int] = {}
    for mline in MTFP_LINES:
        want = "income" if mline in INCOME_LINES else "expenditure"
        total = 0
        for name in scenario.baseline_lines.get(mline, ()):
            if name not in amounts:
                problems.append(
                    f"baseline.{mline}: ledger line {name!r} is not in {fy} of {ledger.origin}"
                )
                continue
            if name in used:
                problems.append(f"ledger line {name!r} is mapped to both {used[name]} and {mline}")
            if kinds[name] != want:
                problems.append(
                    f"baseline.{mline}: {name!r} is {kinds[name]}, but {mline} is {want}"
                )
            used[name] = mline
            total += int(amounts[name])
        out[mline] = total
    unmapped = [n for n in amounts if n not in used]
    if unmapped:
        problems.append(
            f"ledger line(s) {', '.join(map(repr, unmapped))} of {fy} are not mapped to any MTFP "
            "line in [baseline]; map each to one of " + ", ".join(MTFP_LINES)
        )
    if problems:
        raise ConfigError(problems, where=f"{scenario.origin} [baseline]")
    return out


def opening_deficit(ledger: Ledger, scenario: Scenario) -> int:
    """The opening cumulative deficit of the baseline year (pence)."""
    if scenario.opening_cumulative_deficit_pence is not None:
        return scenario.opening_cumulative_deficit_pence
    stated = ledger.stated(scenario.baseline_year, "opening_cumulative_deficit")
    if stated.empty:
        raise ConfigError(
            f"the baseline ledger states no opening cumulative deficit for {scenario.baseline_year}; "
            "set opening_cumulative_deficit in the scenario"
        )
    return int(stated["amount_pence"].iloc[0])
