"""Loaders for the published Sandwell figures embedded in the package.

Every row of every file carries its ``source``: the seed document and
section it was read from.  Figures are kept exactly as published; where two
sources disagree both are kept and :func:`known_inconsistencies` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from sctforecast.ledger import Ledger
from sctforecast.money import parse_money
from sctforecast.periods import FinancialYear

__all__ = [
    "SandwellData",
    "load_sandwell",
    "load_outturn",
    "load_care_flows",
    "load_children_in_care",
    "load_placement_mix",
    "sandwell_care_flows",
    "SANDWELL_CARE_FLOW_ASSUMPTIONS",
    "known_inconsistencies",
    "data_path",
]


def data_path(name: str) -> str:
    """Path of an embedded data file (e.g. ``"outturns.csv"``)."""
    return str(resources.files("sctforecast.datasets") / "data" / name)


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path(name), dtype=str, keep_default_na=False)


def _money_col(frame: pd.DataFrame, col: str = "amount") -> pd.DataFrame:
    out = frame.copy()
    out[f"{col}_pence"] = [parse_money(v) for v in out[col]]
    return out.drop(columns=[col])


def _numeric(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        out[c] = pd.to_numeric(out[c].replace("", np.nan))
    return out


def load_outturn() -> Ledger:
    """The 2023/24 provisional outturn (004 Section (e)) as a :class:`Ledger`,
    with every stated total, including the 84,678,267 of the Year End Position
    text that is £49 more than its own lines.  (Read once and reused: a ledger
    is never changed in place.)"""
    return _outturn()


@cache
def _outturn() -> Ledger:
    return Ledger.from_frame(
        _read("outturns.csv"), origin="embedded outturn 2023/24 (004 Section (e))"
    )


def load_care_flows() -> pd.DataFrame:
    """Children entering and ceasing care by financial year (004 Section (f))."""
    return _numeric(
        _read("care_flows.csv"), ["entries", "entry_rate_per_10k", "exits", "exit_rate_per_10k"]
    )


def load_children_in_care(*, year_end_only: bool = True) -> pd.DataFrame:
    """Children in care at 31 March (and, if asked, the other published points)."""
    t = _numeric(_read("children_in_care.csv"), ["children_in_care", "rate_per_10k"])
    t["date"] = pd.to_datetime(t["date"])
    if year_end_only:
        t = t[t["kind"] == "year_end"].reset_index(drop=True)
    return t


def load_placement_mix() -> pd.DataFrame:
    """Children by placement at month ends, March 2023 to March 2024 (004)."""
    t = _numeric(_read("placement_mix.csv"), ["children"])
    t["month"] = pd.PeriodIndex(t["month"], freq="M")
    return t


def known_inconsistencies() -> pd.DataFrame:
    """Places where the published figures disagree, kept as published."""
    flows = load_care_flows()
    stock = load_children_in_care()
    rows = [
        {
            "topic": "total income 2023/24",
            "figure_a": "84,678,218 (sum of lines; outturn table)",
            "figure_b": "84,678,267 (Year End Position text)",
            "difference": "49",
            "source": "004 Section (e)",
        },
        {
            "topic": "children in care at 1 April 2018",
            "figure_a": "778 (the Trust began 2018/19 with 778 children in care)",
            "figure_b": "767 (897 in January 2019 was 'an increase of 130 children since 1st April 2018')",
            "difference": "-11",
            "source": "004 Section (f), Children we Care for; 003 Chair's letter of 11 February 2019",
        },
        {
            "topic": "residential placements March 2023 to March 2024",
            "figure_a": "49 to 68 (finance section)",
            "figure_b": "51 to 62 (demand section)",
            "difference": "2 and -6",
            "source": "004 Sections (e) and (f)",
        },
    ]
    s = stock["children_in_care"].to_numpy()
    for i, r in enumerate(flows.itertuples(index=False)):
        implied = s[i] + r.entries - r.exits
        rows.append(
            {
                "topic": f"stock and flows {r.financial_year}",
                "figure_a": f"{s[i]} + {r.entries} - {r.exits} = {implied} (flow-implied)",
                "figure_b": f"{s[i + 1]} (published stock)",
                "difference": str(int(s[i + 1] - implied)),
                "source": "004 Section (f)",
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SandwellData:
    """Every published figure of DOMAIN.md, each table with a source column."""

    outturn: Ledger
    contract_sums: pd.DataFrame
    finance_facts: pd.DataFrame
    variance_drivers: pd.DataFrame
    children_in_care: pd.DataFrame
    children_in_care_points: pd.DataFrame
    care_flows: pd.DataFrame
    rolling_flows: pd.DataFrame
    comparators: pd.DataFrame
    placement_mix: pd.DataFrame
    workforce: pd.DataFrame
    care_leavers: pd.DataFrame
    facts: pd.DataFrame
    kpi_bands: pd.DataFrame
    england: pd.DataFrame

    @property
    def child_population(self) -> int:
        """Children aged 0-17 (004 Executive Summary)."""
        return int(self.fact("child_population_0_17"))

    def fact(self, key: str) -> float:
        row = self.facts[self.facts["key"] == key]
        if row.empty:
            raise KeyError(f"no fact {key!r}; facts are {', '.join(self.facts['key'])}")
        return float(row["value"].iloc[0])

    def contract_sum(self, year: FinancialYear | str | int) -> int:
        """The published Contract Sum for a year, in pence."""
        label = FinancialYear.parse(year).label
        row = self.contract_sums[self.contract_sums["financial_year"] == label]
        if row.empty:
            raise KeyError(f"no published Contract Sum for {label}")
        return int(row["amount_pence"].iloc[0])

    def inconsistencies(self) -> pd.DataFrame:
        return known_inconsistencies()


def load_sandwell() -> SandwellData:
    """Load every embedded published figure (see ``docs/data.md``)."""
    return SandwellData(
        outturn=load_outturn(),
        contract_sums=_money_col(_read("contract_sums.csv")),
        finance_facts=_money_col(_read("finance_facts.csv")),
        variance_drivers=_money_col(_read("variance_drivers.csv")),
        children_in_care=load_children_in_care(),
        children_in_care_points=load_children_in_care(year_end_only=False),
        care_flows=load_care_flows(),
        rolling_flows=_numeric(_read("rolling_flows.csv"), ["entries", "exits"]),
        comparators=_numeric(_read("comparators.csv"), ["value"]),
        placement_mix=load_placement_mix(),
        workforce=_numeric(
            _read("workforce.csv"),
            [
                "establishment_fte",
                "total_social_workers",
                "permanent",
                "permanent_excluding_asye",
                "asye",
                "agency",
            ],
        ),
        care_leavers=_numeric(_read("care_leavers.csv"), ["care_leavers"]),
        facts=_numeric(_read("facts.csv"), ["value"]),
        kpi_bands=_numeric(_read("kpi_bands.csv"), ["kpi", "green", "red"]),
        england=_numeric(
            _read("england.csv"), ["children_looked_after", "started", "ceased", "rate_per_10k"]
        ),
    )


#: How the embedded series fill what the documents do not say (shown in the model's assumptions).
SANDWELL_CARE_FLOW_ASSUMPTIONS = (
    (
        "child population",
        "85,824 (004 Executive Summary) for every year of the series: the documents give no yearly "
        "estimates (the rates they publish imply about 81,100 in January 2019 rising to 85,900 in "
        "March 2024)",
    ),
    (
        "UASC in care",
        "15 'in April 2023' is dated 1 April 2023 and 42 'in March 2024' 31 March 2024",
    ),
    (
        "children in foster care",
        "children with Trust carers plus external foster carers at each month end, March 2023 to March 2024",
    ),
    (
        "comparators",
        "entry rates of statistical neighbours, West Midlands and England; exit hazards of statistical "
        "neighbours and England (exit rate per 10,000 over children in care per 10,000); the West "
        "Midlands publishes no children-in-care rate here",
    ),
)


def sandwell_care_flows():  # type: ignore[no-untyped-def]
    """Every published Sandwell count the aggregate demand model uses, as
    :class:`sctforecast.demand.CareFlowData`: yearly flows 2018/19 to
    2023/24 and 31 March stocks 2018 to 2024 (004 Section (f)); children in
    care on eight other days (004, 003, 002, 000); rolling 12-month flows to
    July 2022 (002) and February 2023 (000); children in foster care at month
    ends March 2023 to March 2024 and UASC in care (004); the comparator rates
    (004 Tables 9 and 10, Comparison with Statistical Neighbours).  The gaps
    filled are :data:`SANDWELL_CARE_FLOW_ASSUMPTIONS`."""
    from sctforecast.demand.data import CareFlowData, ComparatorRates

    points = load_children_in_care(year_end_only=False)
    points = points[points["kind"] == "point"][["date", "children_in_care", "source"]]
    rolling = _numeric(_read("rolling_flows.csv"), ["entries", "exits"])
    rolling = rolling.assign(months_to=pd.PeriodIndex(rolling["twelve_months_to"], freq="M"))
    mix = load_placement_mix()
    foster = (
        mix[mix["placement"].isin(["foster_trust_carers", "foster_external"])]
        .groupby("month", as_index=False)
        .agg(children=("children", "sum"), source=("source", "first"))
    )
    uasc = mix[mix["placement"] == "uasc"].sort_values("month")
    uasc_dates = [
        m.start_time if i == 0 else m.end_time.normalize() for i, m in enumerate(uasc["month"])
    ]
    uasc = pd.DataFrame(
        {
            "date": uasc_dates,
            "children": uasc["children"].to_numpy(),
            "source": uasc["source"].to_numpy(),
        }
    )
    comp = _numeric(_read("comparators.csv"), ["value"])
    comp = comp[comp["area"].isin(["Statistical neighbours", "West Midlands", "England"])]
    comp = comp[
        comp["measure"].isin(["entry_rate_per_10k", "exit_rate_per_10k", "cic_rate_per_10k"])
    ]
    comparators = ComparatorRates.from_rates(
        {f"{r.measure}/{r.area}": float(r.value) for r in comp.itertuples(index=False)},
        source="statistical neighbours, West Midlands and England (004 Section (f), Tables 9 and 10)",
    )
    facts = _numeric(_read("facts.csv"), ["value"]).set_index("key")["value"]
    return CareFlowData.from_frames(
        load_care_flows(),
        load_children_in_care(),
        population=float(facts["child_population_0_17"]),
        source="embedded Sandwell series (004 Section (f), 003, 002, 000)",
        stock_points=points,
        rolling_flows=rolling[["months_to", "entries", "exits", "source"]],
        foster=foster,
        uasc=uasc,
        comparators=comparators,
    )
