"""Care-flow data, the embedded Sandwell counts, comparators and population projections."""

import numpy as np
import pandas as pd
import pytest

from sctforecast import DataValidationError
from sctforecast.datasets import known_inconsistencies, sandwell_care_flows
from sctforecast.demand import (
    CareFlowData,
    ComparatorRates,
    PopulationProjection,
    read_population_csv,
)
from sctforecast.demand.design import design_for, stock_weights

SANDWELL = sandwell_care_flows()
YEARS3 = ("2018/19", "2019/20", "2020/21")


def test_sandwell_yearly_series_and_its_gap():
    """004 Section (f): 767 + 362 - 215 = 914, not 901: the gap is reported, not forced."""
    assert SANDWELL.periods == ("2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "2023/24")
    assert SANDWELL.stock.tolist() == [767, 901, 874, 888, 844, 802, 808]
    assert SANDWELL.entries.tolist() == [362, 194, 226, 163, 161, 188]
    assert SANDWELL.exits.tolist() == [215, 242, 218, 201, 208, 179]
    assert SANDWELL.gap.tolist() == [-13, 21, 6, -6, 5, -3]
    assert SANDWELL.population.tolist() == [85_824] * 6  # 004 Executive Summary


def test_sandwell_every_other_published_count_rides_along():
    """004 (778 on 1 April 2018, 937 mid-July 2019), 003 (890 and 897, December 2018 and
    January 2019), 002 (853, 837 and 187/192 in the 12 months to July 2022), 000 (848,
    811 and 167/211 to February 2023), 004 foster month ends and UASC 15 to 42."""
    pts = SANDWELL.stock_points.set_index("date")["children_in_care"]
    assert pts[pd.Timestamp("2018-04-01")] == 778 and pts[pd.Timestamp("2019-07-15")] == 937
    assert pts[pd.Timestamp("2018-12-31")] == 890 and pts[pd.Timestamp("2019-01-31")] == 897
    assert pts[pd.Timestamp("2022-07-31")] == 837 and pts[pd.Timestamp("2023-02-28")] == 811
    assert len(pts) == 8 and (SANDWELL.stock_points["source"].str.len() > 0).all()
    r = SANDWELL.rolling_flows.set_index("months_to")
    assert r.loc[pd.Period("2022-07", "M"), ["entries", "exits"]].tolist() == [187, 192]
    assert r.loc[pd.Period("2023-02", "M"), ["entries", "exits"]].tolist() == [167, 211]
    f = SANDWELL.foster.set_index("month")["children"]
    assert f[pd.Period("2023-03", "M")] == 288 + 316 and f[pd.Period("2024-03", "M")] == 285 + 300
    assert SANDWELL.uasc["children"].tolist() == [15, 42] and SANDWELL.has_uasc_stream
    c = SANDWELL.comparators
    assert c.entry_rate_per_10k == pytest.approx((32.4 * 26.8 * 27) ** (1 / 3))
    assert c.exit_hazard == pytest.approx(np.sqrt(29.2 / 96.7 * 28 / 77.1))


def test_the_two_counts_of_1_april_2018_are_a_listed_inconsistency():
    t = known_inconsistencies().set_index("topic")
    assert t.loc["children in care at 1 April 2018", "difference"] == "-11"


def test_head_keeps_what_was_published_by_then():
    h = SANDWELL.head(3)
    assert h.periods == ("2018/19", "2019/20", "2020/21") and h.stock.tolist() == [
        767,
        901,
        874,
        888,
    ]
    assert h.stock_points["date"].max() == pd.Timestamp("2019-07-15")
    assert h.rolling_flows is None and h.foster is None and h.uasc is None
    assert not h.has_uasc_stream and h.comparators == SANDWELL.comparators
    with pytest.raises(DataValidationError, match="head"):
        SANDWELL.head(2)


def test_bad_series():
    with pytest.raises(DataValidationError, match="entries is negative"):
        CareFlowData(YEARS3, np.array([1, -2, 3.0]), np.ones(3), np.ones(4), np.ones(3))
    with pytest.raises(DataValidationError, match="a single year cannot show a trend"):
        CareFlowData(("2023/24",), np.ones(1), np.ones(1), np.ones(2), np.ones(1))
    with pytest.raises(
        DataValidationError, match="gap or is out of order between 2019/20 and 2021/22"
    ):
        CareFlowData(
            ("2018/19", "2019/20", "2021/22"), np.ones(3), np.ones(3), np.ones(4), np.ones(3)
        )
    with pytest.raises(DataValidationError, match="whole counts"):
        CareFlowData(YEARS3, np.array([1.5, 1, 1]), np.ones(3), np.ones(4), np.ones(3))
    flows = pd.DataFrame({"financial_year": list(YEARS3), "entries": [1, 2, 3], "exits": [1, 1, 1]})
    stocks = pd.DataFrame(
        {"date": ["2018-03-31", "2019-03-31", "2021-03-31"], "children_in_care": [5, 6, 7]}
    )
    with pytest.raises(DataValidationError, match="children in care are missing at 31 March 2020"):
        CareFlowData.from_frames(flows, stocks, population=1000)


def _data(**extras):
    return CareFlowData(
        YEARS3, np.full(3, 200.0), np.full(3, 190.0), np.full(4, 800.0), np.full(3, 85e3), **extras
    )


def test_bad_extra_tables_name_table_row_and_date():
    with pytest.raises(DataValidationError) as info:
        _data(
            stock_points=pd.DataFrame(
                {"date": ["2019-07-15", "2025-01-31"], "children_in_care": [900, -3]}
            ),
            uasc=pd.DataFrame({"date": ["2019-04-01"]}),
            rolling_flows=pd.DataFrame({"months_to": ["2018-12"], "entries": [100], "exits": [90]}),
        )
    msg = str(info.value)
    assert "stock_points row 2 (2025-01-31): children_in_care must be a whole count" in msg
    assert "uasc: missing column(s) children" in msg
    with pytest.raises(DataValidationError) as info:
        _data(
            stock_points=pd.DataFrame({"date": ["2025-01-31"], "children_in_care": [900]}),
            rolling_flows=pd.DataFrame({"months_to": ["2018-12"], "entries": [100], "exits": [90]}),
            foster=pd.DataFrame({"month": ["2017-01"], "children": [600]}),
        )
    msg = str(info.value)
    assert (
        "stock_points row 1: 2025-01-31 is outside the flows' window (2018-03-31 to 2021-03-31)"
        in msg
    )
    assert "rolling_flows row 1: the 12 months to 2018-12 are not all inside" in msg
    assert "foster row 1: 2017-01 is outside" in msg


def test_json_round_trip_keeps_every_table():
    back = CareFlowData.from_json_dict(SANDWELL.to_json_dict())
    assert back.periods == SANDWELL.periods and back.comparators == SANDWELL.comparators
    for name in ("stock_points", "rolling_flows", "foster", "uasc"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(SANDWELL, name))


def test_design_puts_each_count_at_its_date():
    d = design_for(SANDWELL)
    assert d.M == 72 and d.step == 12 and d.transients == 4
    W = dict(zip(d.stock_labels, d.stock_weights, strict=True))
    assert W["2018-03-31"][0] == 1 and W["2024-03-31"][72] == 1
    assert W["2018-04-01"][0] == pytest.approx(29 / 30) and W["2018-04-01"][1] == pytest.approx(
        1 / 30
    )
    assert W["2019-07-15"][15] == pytest.approx(16 / 31) and W["2019-07-15"][16] == pytest.approx(
        15 / 31
    )
    rolling = dict(zip(d.flow_labels, d.flow_windows, strict=True))["12 months to 2022-07"]
    assert np.flatnonzero(rolling).tolist() == list(range(40, 52))  # August 2021 to July 2022
    assert d.uasc_start == 60 and d.foster_index.tolist() == list(range(60, 73))
    w = stock_weights(pd.period_range("2020-01", periods=2, freq="M"), [pd.Timestamp("2020-02-29")])
    assert w.tolist() == [[0.0, 0.0, 1.0]]


def test_comparator_rates_from_a_profile_mapping():
    c = ComparatorRates.from_rates(
        {
            "entry_rate_per_10k/A": 20.0,
            "entry_rate_per_10k/B": 45.0,
            "exit_rate_per_10k/A": 30.0,
            "cic_rate_per_10k/A": 100.0,
        }
    )
    assert c.entry_rate_per_10k == pytest.approx(30.0) and c.exit_hazard == pytest.approx(0.3)
    with pytest.raises(DataValidationError, match="no area has both"):
        ComparatorRates.from_rates({"entry_rate_per_10k/A": 20.0, "exit_rate_per_10k/B": 30.0})


# --- population projections -----------------------------------------------------------
def test_population_csv_is_read_and_interpolated(tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text(
        "year,population,source\n2025,86000,ONS SNPP 2022-based\n2024,85000,ONS SNPP 2022-based\n"
    )
    p = read_population_csv(f)
    assert p.years == (2024, 2025) and p.source == "ONS SNPP 2022-based" and not p.flat
    months = pd.PeriodIndex(["2024-01", "2024-06", "2024-12", "2025-06", "2026-03"], freq="M")
    np.testing.assert_allclose(p.monthly(months), [85000, 85000, 85500, 86000, 86000])
    assert "held at 86,000 after mid-2025" in p.text


def test_population_csv_problems_name_file_and_row(tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text("year,population\n2024,85000\n24/25,86000\n2026,-5\n2024,1\n")
    with pytest.raises(DataValidationError) as info:
        read_population_csv(f)
    msg = str(info.value)
    assert str(f) in msg and "3 problems" in msg
    assert "row 3: year '24/25' is not a calendar year" in msg
    assert "row 4 (2026): population '-5' is not a positive number" in msg
    assert "row 5: year 2024 is given twice" in msg
    f.write_text("yr,children\n2024,1\n")
    with pytest.raises(DataValidationError, match="missing column.*year, population"):
        read_population_csv(f)
    with pytest.raises(DataValidationError, match="no such file"):
        read_population_csv(tmp_path / "none.csv")
    f.write_text("year,population\n")
    with pytest.raises(DataValidationError, match="no rows"):
        read_population_csv(f)


def test_flat_population_is_a_stated_assumption():
    p = PopulationProjection.held_flat(85_824, year=2024)
    assert p.flat and "held at 85,824 (the last known)" in p.text
    np.testing.assert_allclose(p.monthly(pd.period_range("2024-04", periods=60, freq="M")), 85_824)
