from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import signed_pence

from sctforecast import DataValidationError, format_money, parse_money, round_to_total, to_pence


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£84,678,218", 8_467_821_800),
        ("84,678,218", 8_467_821_800),
        ("(4,253,670)", -425_367_000),
        ("(£4,253,670)", -425_367_000),
        ("-£1.50", -150),
        ("£-1.50", -150),
        ("4.25m", 425_000_000),
        ("£2.5M", 250_000_000),
        ("750k", 75_000_000),
        ("0.005", 1),
        ("1.004", 100),
        ("3.1bn", 310_000_000_000),
    ],
)
def test_parse_money(text, pence):
    assert parse_money(text) == pence


@pytest.mark.parametrize(
    "bad", ["", "abc", "£", "1,23", "(12", "12)", "--5", "1.2.3", "4.25 million"]
)
def test_parse_money_rejects(bad):
    with pytest.raises(DataValidationError, match="not an amount|two signs|expected text"):
        parse_money(bad, where="row 3")


def test_parse_money_names_where():
    with pytest.raises(DataValidationError, match="row 7, column amount"):
        parse_money("n/a", where="row 7, column amount")


def test_to_pence_scalars_round_half_away_from_zero():
    assert to_pence(0.285) == 29  # 28.5p as written rounds up, despite binary 0.28499...
    assert to_pence(-0.285) == -29
    assert to_pence(0.284) == 28
    assert to_pence(84_678_218) == 8_467_821_800
    assert to_pence(Decimal("1.005")) == 101
    assert to_pence(Fraction(1, 3)) == 33
    assert to_pence(Fraction(-1, 200)) == -1
    with pytest.raises(DataValidationError):
        to_pence(float("nan"))
    with pytest.raises(DataValidationError):
        to_pence(True)


@given(st.integers(-(10**11), 10**11), st.integers(0, 99))
def test_to_pence_array_agrees_with_scalar_on_written_amounts(pounds, hundredths):
    # An amount written with four decimals of a pound: x.yy50 is a half-penny case.
    value = float(Decimal(pounds) + Decimal(hundredths) / 100 + Decimal("0.0050") * (pounds % 2))
    assert int(to_pence(np.array([value]))[0]) == to_pence(value)


def test_format_money():
    assert format_money(-425_367_000) == "(4,253,670)"
    assert format_money(8_467_821_800) == "84,678,218"
    assert format_money(150, show_pence=True) == "1.50"
    assert format_money(-49, show_pence=True) == "(0.49)"
    assert format_money(50) == "1"
    assert format_money(-20) == "0"  # rounds to nothing: no brackets round zero
    assert format_money(100, symbol=True) == "£1"


@given(signed_pence)
def test_format_then_parse_round_trips(p):
    assert parse_money(format_money(p, show_pence=True)) == p


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=30))
def test_round_to_total_foots(values):
    out = round_to_total(values)
    total = sum(values)
    assert int(out.sum()) == int(np.sign(total) * np.floor(abs(total) + 0.5 + 1e-9))
    assert np.all(np.abs(out - np.asarray(values)) < 1 + 1e-6)


def test_round_to_total_example():
    assert list(round_to_total([33.4, 33.3, 33.3])) == [34, 33, 33]
