"""The embedded figures reproduce the seed documents to the penny.

Seeds live in shared/seeds; 004 is the Trust's Annual Review 2023-2024,
003 the March 2019 scrutiny report, 002 the July 2022 KPI report and 000 the
March 2023 scrutiny report.
"""

import warnings

import pytest

from sctforecast import DataQualityWarning, ReconciliationError, reconcile_outturn
from sctforecast.datasets import known_inconsistencies, load_outturn, load_sandwell


@pytest.fixture(scope="module")
def data():
    return load_sandwell()


def test_outturn_lines_2023_24(data):
    """004 Section (e), Financial Context and provisional full-year outturn table."""
    o = data.outturn
    assert o.amount("2023/24", "Contract Sum (basic)") == 74_475_000_00
    assert o.amount("2023/24", "Third-party income") == 8_753_055_00
    assert o.amount("2023/24", "Additional Council sums: funded salary settlement") == 509_144_00
    assert (
        o.amount("2023/24", "Additional Council sums: market supplement and retention payment")
        == 341_019_00
    )
    assert o.amount("2023/24", "Additional Council sums: high cost agency workers") == 600_000_00
    assert o.amount("2023/24", "Staffing") == 32_434_958_00
    assert o.amount("2023/24", "Placements") == 48_565_330_00
    assert o.amount("2023/24", "Overheads") == 7_931_600_00


def test_reconciliation_reproduces_outturn_and_reports_the_49_pound_gap():
    """004 Section (e): 84,678,218 / 88,931,888 / 4,253,670 / 11,230,962, and the
    Year End Position's 84,678,267 is £49 more than its own lines."""
    with pytest.warns(DataQualityWarning, match="84,678,267"):
        report = reconcile_outturn(load_outturn())
    c = report.computed.iloc[0]
    assert c["total_income_pence"] == 84_678_218_00
    assert c["total_expenditure_pence"] == 88_931_888_00
    assert c["in_year_deficit_pence"] == 4_253_670_00
    assert c["opening_cumulative_deficit_pence"] == 6_977_292_00
    assert c["closing_cumulative_deficit_pence"] == 11_230_962_00
    f = report.findings
    assert len(f) == 1
    assert f.loc[0, "check"] == "total_income"
    assert f.loc[0, "difference_pence"] == 49_00
    assert f.loc[0, "source"] == "004 Section (e), Year End Position"
    assert len(report.table) == 6 and (report.table["status"] == "ok").sum() == 5


def test_strict_raises_with_the_report():
    with pytest.raises(ReconciliationError) as info:
        reconcile_outturn(load_outturn(), strict=True)
    assert "difference 49" in str(info.value)
    assert len(info.value.report.findings) == 1


def test_contract_sums(data):
    """004 Section (e) Contract Sum; 003 section 6.1."""
    assert data.contract_sum("2023/24") == 74_475_000_00
    assert data.contract_sum("2024/25") == 80_800_000_00
    assert data.contract_sum("2018/19") == 58_230_000_00
    assert data.contract_sums.set_index("financial_year").loc["2018/19", "status"] == "approximate"


def test_finance_facts(data):
    """003 sections 6.1-6.3 and Chair's letter; 004 Section (e)."""
    f = data.finance_facts.set_index("key")["amount_pence"]
    assert f["support_services_paid_to_council"] == 2_150_000_00
    assert f["property_paid_to_council"] == 630_000_00
    assert f["grants_and_partner_contributions"] == 5_899_000_00
    assert f["dfe_irrecoverable_vat"] == 1_660_000_00
    assert f["placement_demand_pressure"] == 5_900_000_00
    assert f["predicted_overspend"] == 5_600_000_00
    assert f["mtfp_variance"] == 4_996_156_00
    assert f["savings_target"] == 2_500_000_00


def test_children_in_care_and_flows(data):
    """004 Section (f): Breakdown of children; Tables 9 and 10."""
    assert list(data.children_in_care["children_in_care"]) == [767, 901, 874, 888, 844, 802, 808]
    flows = data.care_flows
    assert list(flows["entries"]) == [362, 194, 226, 163, 161, 188]
    assert list(flows["exits"]) == [215, 242, 218, 201, 208, 179]
    assert list(flows["entry_rate_per_10k"]) == [44, 23, 27, 18, 19, 22]
    assert list(flows["exit_rate_per_10k"]) == [26, 29, 26, 23, 25, 21]
    pts = data.children_in_care_points.set_index("date")["children_in_care"]
    assert pts["2019-07-15"] == 937 and pts["2018-04-01"] == 778
    assert pts["2022-07-31"] == 837  # 002
    assert pts["2023-02-28"] == 811  # 000
    assert pts["2019-01-31"] == 897  # 003
    assert data.child_population == 85_824
    r = data.rolling_flows.set_index("twelve_months_to")
    assert (r.loc["2022-07-31", "entries"], r.loc["2022-07-31", "exits"]) == (187, 192)
    assert (r.loc["2023-02-28", "entries"], r.loc["2023-02-28", "exits"]) == (167, 211)


def test_placement_mix_and_care_leavers(data):
    """004 Section (f): Children in Internal and External Foster Care; care leavers."""
    mix = data.placement_mix
    inh = mix[mix["placement"] == "foster_trust_carers"]["children"].tolist()
    ext = mix[mix["placement"] == "foster_external"]["children"].tolist()
    assert inh == [288, 290, 293, 294, 295, 290, 295, 291, 304, 299, 296, 293, 285]
    assert ext == [316, 313, 314, 313, 312, 314, 308, 306, 304, 302, 296, 307, 300]
    assert data.care_leavers["care_leavers"].tolist() == [268, 282, 324, 328, 355, 356, 366]
    res = mix[mix["placement"] == "residential"]["children"].tolist()
    assert res == [49, 68]


def test_workforce_kpis_comparators(data):
    """004 Section (f) 3.1.1 and Section (j)."""
    w = data.workforce
    assert w["establishment_fte"].tolist()[:5] == [203, 203, 203, 203, 187]
    assert w["agency"].iloc[-1] == pytest.approx(33.4)
    k = data.kpi_bands.set_index("kpi")
    assert (k.loc[7, "green"], k.loc[7, "red"]) == (94.0, 100.0)
    assert k.loc[15, "green"] == 92.0
    c = data.comparators
    sn = c[(c["measure"] == "cic_rate_per_10k") & (c["area"] == "Statistical neighbours")]["value"]
    assert sn.iloc[0] == pytest.approx(96.7)
    assert data.fact("caseload_children_in_care") == 15
    assert data.fact("caseload_localities") == 18


def test_every_row_has_a_source(data):
    for name in (
        "contract_sums",
        "finance_facts",
        "children_in_care",
        "care_flows",
        "comparators",
        "placement_mix",
        "workforce",
        "care_leavers",
        "facts",
        "kpi_bands",
        "england",
    ):
        frame = getattr(data, name)
        assert "source" in frame.columns, name
        assert (frame["source"].str.len() > 0).all(), name
    assert (data.outturn.table["source"].str.len() > 0).all()


def test_known_inconsistencies_are_listed():
    t = known_inconsistencies()
    assert "84,678,267" in t.loc[0, "figure_b"]
    stock_rows = t[t["topic"].str.startswith("stock and flows")]
    assert stock_rows["difference"].tolist() == ["-13", "21", "6", "-6", "5", "-3"]
    assert "914" in stock_rows.iloc[0]["figure_a"]


def test_loading_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_sandwell()
