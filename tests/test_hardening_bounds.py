"""Bounds on every input: money beyond £1 trillion, TOML too big or too deep.

Each test names the failure mode and asserts the error type and the message
(file, row, column or key, the value, and how to fix it).
"""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from sctforecast import ConfigError, DataValidationError, Ledger, parse_money, read_ledger, to_pence
from sctforecast._io import MAX_TOML_BYTES, MAX_TOML_DEPTH, read_toml
from sctforecast.money import MAX_ABS_PENCE, MAX_ABS_POUNDS
from sctforecast.mtfp import Scenario

HUGE = "1000000000000000000"  # about £1e18: once an OverflowError into int64


# --- money ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [10**12, -(10**12), 10**12 * 1.0, "1,000,000,000,000", "(£1,000,000,000,000)", "1000bn"],
)
def test_one_trillion_either_way_is_accepted(value):
    assert abs(to_pence(value)) == MAX_ABS_PENCE


@pytest.mark.parametrize(
    "value",
    [
        10**12 + 1,
        -(10**13),
        1e18,
        np.float64(-2e12),
        np.int64(2**62),
        Decimal("1E+999999"),
        Fraction(10**30, 7),
        "1,000,000,000,000.01",
        "1001bn",
        HUGE,
    ],
)
def test_money_beyond_one_trillion_is_a_typed_error(value):
    with pytest.raises(DataValidationError, match=r"row 7: .*beyond the largest amount") as info:
        to_pence(value, where="row 7")
    assert "£1,000,000,000,000" in str(info.value) and "pounds (not pence)" in str(info.value)


def test_arrays_beyond_the_bound_are_refused_not_wrapped():
    for arr in (np.array([1.0, -3e12]), np.array([1, 2**62]), np.array([1e20])):
        with pytest.raises(DataValidationError, match=r"1 amount\(s\) beyond the largest"):
            to_pence(arr)
    assert to_pence(np.array([MAX_ABS_POUNDS, -MAX_ABS_POUNDS])).tolist() == [
        MAX_ABS_PENCE,
        -MAX_ABS_PENCE,
    ]


def test_parse_money_bounds_length_and_value():
    with pytest.raises(DataValidationError, match=r"cell B3: .*beyond the largest"):
        parse_money("2,000,000,000,000", where="cell B3")
    with pytest.raises(
        DataValidationError, match=r"too long to be an amount of money \(at most 64\)"
    ):
        parse_money("1" * 10_000, where="cell B3")
    with pytest.raises(DataValidationError, match="not a finite amount"):
        to_pence(Decimal("NaN"))


# --- ledgers -------------------------------------------------------------------------------
def _csv(tmp_path, text, name="ledger.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_long_csv_ledger_with_an_absurd_amount(tmp_path):
    p = _csv(
        tmp_path,
        f"financial_year,line,kind,amount\n2023/24,CS,income,{HUGE}\n2023/24,P,expenditure,4\n",
    )
    with pytest.raises(DataValidationError) as info:
        read_ledger(p)
    msg = str(info.value)
    assert msg.startswith(str(p)) and "row 2, column amount" in msg and HUGE in msg


def test_wide_csv_ledger_with_an_absurd_amount(tmp_path):
    p = _csv(
        tmp_path,
        f"line,kind,2022/23,2023/24\nCS,income,1,2\nP,expenditure,1,-{HUGE}\n",
    )
    with pytest.raises(DataValidationError, match=rf"row 3, column 2023/24: '-{HUGE}' is beyond"):
        read_ledger(p)


def _xlsx(tmp_path, rows, name="ledger.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = "Outturn"
    for r in rows:
        ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return p


def test_xlsx_ledgers_with_absurd_amounts_long_and_wide(tmp_path):
    long = _xlsx(
        tmp_path,
        [
            ["financial_year", "line", "kind", "amount"],
            ["2023/24", "CS", "income", int(HUGE)],
            ["2023/24", "P", "expenditure", 4],
        ],
    )
    with pytest.raises(DataValidationError) as info:
        read_ledger(long)
    msg = str(info.value)
    assert (
        "ledger.xlsx, sheet 'Outturn'" in msg and f"row 2, column amount: {HUGE} is beyond" in msg
    )
    wide = _xlsx(
        tmp_path,
        [["line", "kind", "2023/24"], ["CS", "income", 5], ["P", "expenditure", -(10**15)]],
        "wide.xlsx",
    )
    with pytest.raises(DataValidationError, match=r"row 3, column 2023/24: -1000000000000000 is"):
        read_ledger(wide)


def test_ledger_totals_must_stay_exact_in_int64():
    n = 46_200  # 46,200 lines at the bound add up to more than 2**62 pence
    frame = pd.DataFrame(
        {
            "financial_year": "2023/24",
            "line": [f"line {i}" for i in range(n)],
            "kind": ["income"] * (n - 1) + ["expenditure"],
            "amount": [MAX_ABS_POUNDS] * n,
        }
    )
    with pytest.raises(DataValidationError, match="the amounts add up to more than"):
        Ledger.from_frame(frame, origin="big.csv")
    assert len(Ledger.from_frame(frame.head(1000).assign(kind=["income"] * 999 + ["expenditure"])))


# --- TOML ----------------------------------------------------------------------------------
def _toml(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_arrays_nested_too_deep_for_the_parser(tmp_path):
    p = _toml(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(
        ConfigError, match=r"s\.toml: arrays or inline tables are nested too deeply"
    ):
        read_toml(p)
    with pytest.raises(
        ConfigError, match=r"s\.toml: arrays or inline tables are nested too deeply"
    ):
        Scenario.from_toml(p)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("x = " + "[" * 25 + "]" * 25, "x[0][0][0]"),
        ("x = " + "{a=" * 25 + "1" + "}" * 25, "x.a.a.a"),
        (".".join(["k"] * 3000) + " = 1", "k.k.k.k"),  # dotted keys: no brackets at all
    ],
)
def test_nesting_deeper_than_the_bound(tmp_path, text, key):
    p = _toml(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as info:
        read_toml(p)
    msg = str(info.value)
    assert msg.startswith(str(p)) and key in msg and f"more than {MAX_TOML_DEPTH}" in msg


def test_nesting_within_the_bound_is_read(tmp_path):
    depth = MAX_TOML_DEPTH - 1
    data = read_toml(_toml(tmp_path, "x = " + "[" * depth + "1" + "]" * depth + "\n"))
    node = data["x"]
    for _ in range(depth - 1):
        node = node[0]
    assert node == [1]


def test_files_over_the_size_bound(tmp_path):
    p = _toml(tmp_path, "# padding\n" * (MAX_TOML_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match=r"s\.toml: the file is [\d,]+ bytes, more than"):
        read_toml(p)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "a = nan\n[b]\nc = [1, -inf]\n",
            r"2 problems:\n  - key a is nan.*\n  - key b\.c\[1\] is -inf",
        ),
        ("x = " + "9" * 5000 + "\n", "holds a value that cannot be read"),
        ("x = [1, 'a'\ny = 2\n", r"s\.toml: not valid TOML \(.*line 2, column 1\)"),
    ],
)
def test_values_toml_cannot_hold_or_we_do_not_use(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        read_toml(_toml(tmp_path, text))


def test_encodings_and_paths(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('name = "Café"\n'.encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"latin1\.toml: is not UTF-8 text \(line 1 holds the byte 0xe9\)"
    ):
        read_toml(bad)
    bom = tmp_path / "bom.toml"
    bom.write_bytes('name = "Café"\n'.encode("utf-8-sig"))
    assert read_toml(bom) == {"name": "Café"}
    with pytest.raises(ConfigError, match="missing.toml: no such TOML file; check the path"):
        read_toml(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="missing.toml: no such scenario file"):
        Scenario.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        read_toml(tmp_path)
