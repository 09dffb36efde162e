"""Money as integer pence.

Money that must reconcile is held as Python ``int`` (or ``numpy.int64``) pence.
:func:`to_pence` is the one place where a float becomes pence.  Its rule:

* round half away from zero to the nearest penny;
* a Python float is read through its shortest decimal form (``repr``), so
  ``0.285`` is 28.5p and rounds to 29p, as an analyst would expect;
* arrays of floats are rounded half away from zero after allowing for the
  binary noise of values written with at most four decimal places of a pound
  (a fraction of a penny within a few float spacings below one half counts as
  a half), giving the same answer as the scalar rule for any such amount up to
  about £200bn.

:func:`parse_money` reads what analysts paste: ``"£84,678,218"``,
``"(4,253,670)"`` (brackets are negative), ``"-£1.50"``, and amounts with an
explicit unit suffix ``"4.25m"`` (millions of pounds) or ``"750k"`` (thousands).

Bounds: money is at most :data:`MAX_ABS_POUNDS` (£1 trillion) either way.
Anything larger is refused with a :class:`DataValidationError` by both
:func:`to_pence` and :func:`parse_money`: no children's services budget comes
near it, so such a figure is a typing or unit mistake, and refusing it keeps
every sum of pence well inside ``int64``.  Text longer than
:data:`MAX_MONEY_TEXT` characters is not read as an amount.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import overload

import numpy as np
import numpy.typing as npt

from sctforecast.errors import DataValidationError

__all__ = [
    "MAX_ABS_POUNDS",
    "MAX_ABS_PENCE",
    "MAX_MONEY_TEXT",
    "to_pence",
    "parse_money",
    "format_money",
    "pence_to_pounds",
    "round_to_total",
]

#: The largest amount of money accepted, either way: £1 trillion.
MAX_ABS_POUNDS = 10**12
MAX_ABS_PENCE = MAX_ABS_POUNDS * 100
#: The longest text read as an amount of money.
MAX_MONEY_TEXT = 64
_LIMIT_TEXT = "£1,000,000,000,000"

_UNITS = {
    "": Decimal(1),
    "k": Decimal(1_000),
    "m": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
}
_MONEY_RE = re.compile(
    r"""^\s*
    (?P<open>\()?\s*
    (?P<sign>[-+\u2212])?\s*
    (?P<cur>£|GBP)?\s*
    (?P<sign2>[-+\u2212])?\s*
    (?P<num>(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)\s*
    (?P<unit>k|m|bn)?\s*
    (?P<close>\))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


@overload
def to_pence(  # type: ignore[overload-overlap]
    value: float | int | str | Decimal | Fraction, *, where: str | None = None
) -> int: ...
@overload
def to_pence(value: npt.ArrayLike, *, where: str | None = None) -> npt.NDArray[np.int64]: ...


def to_pence(value, *, where=None):  # type: ignore[no-untyped-def]
    """Convert pounds to integer pence, rounding half away from zero.

    Parameters
    ----------
    value
        Pounds as ``int``, ``float``, ``Decimal``, ``Fraction``, a string
        (read by :func:`parse_money`) or a numpy array of numbers.
    where
        Where the value came from (file, row, column or key), put at the
        start of any error message.

    Returns
    -------
    int or numpy.ndarray of int64
        Pence.  A scalar in gives a Python ``int`` out.

    Raises
    ------
    DataValidationError
        For a boolean, NaN or an infinite value, a non-numeric array, or any
        amount beyond :data:`MAX_ABS_POUNDS` (£1 trillion) either way.
    """
    loc = f"{where}: " if where else ""
    if isinstance(value, bool):
        raise DataValidationError(f"{loc}{value!r} is a boolean, not an amount of money")
    if isinstance(value, int | np.integer):
        return _bounded(int(value) * 100, value, loc)
    if isinstance(value, str):
        return parse_money(value, where=where)
    if isinstance(value, Fraction):
        return _bounded(_round_fraction(value * 100), value, loc)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DataValidationError(f"{loc}{value!r} is not a finite amount of money")
        _check_pounds(value, value, loc)
        return _round_decimal(value)
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise DataValidationError(f"{loc}{value!r} is not a finite amount of money")
        _check_pounds(float(value), value, loc)
        return _round_decimal(Decimal(repr(float(value))))
    return _array_to_pence(np.asarray(value), loc)


def _array_to_pence(arr: np.ndarray, loc: str) -> npt.NDArray[np.int64]:
    if arr.dtype.kind in "iu":
        too_big = (arr > MAX_ABS_POUNDS) | (arr < -MAX_ABS_POUNDS)
        if np.any(too_big):
            _array_out_of_range(arr, too_big, loc)
        return arr.astype(np.int64) * 100
    if arr.dtype.kind != "f":
        raise DataValidationError(f"{loc}cannot convert an array of dtype {arr.dtype} to pence")
    if not np.all(np.isfinite(arr)):
        raise DataValidationError(f"{loc}cannot convert NaN or infinite amounts to pence")
    too_big = np.abs(arr) > MAX_ABS_POUNDS
    if np.any(too_big):
        _array_out_of_range(arr, too_big, loc)
    # |x| x 100 = whole + frac.  An amount written with at most four decimals of
    # a pound has frac a multiple of 0.01 penny, so frac within a few units of
    # float spacing below 0.5 is a half penny written exactly: round it up.
    mag = np.abs(arr.astype(np.float64, copy=False)) * 100.0
    whole = np.floor(mag)
    tol = np.maximum(5e-5, 4 * np.spacing(mag))
    mag -= whole
    whole += mag >= 0.5 - tol
    out = whole.astype(np.int64)
    np.negative(out, out=out, where=arr < 0)
    return out


def _out_of_range(shown: str) -> str:
    return (
        f"{shown} is beyond the largest amount of money accepted ({_LIMIT_TEXT} either way); "
        "check that it is in pounds (not pence) and has no extra digits"
    )


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, Decimal | Fraction) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_pounds(pounds: float | Decimal | Fraction, value: object, loc: str) -> None:
    if pounds > MAX_ABS_POUNDS or pounds < -MAX_ABS_POUNDS:
        raise DataValidationError(loc + _out_of_range(_show(value)))


def _bounded(pence: int, value: object, loc: str) -> int:
    if abs(pence) > MAX_ABS_PENCE:
        raise DataValidationError(loc + _out_of_range(_show(value)))
    return pence


def _array_out_of_range(arr: np.ndarray, too_big: np.ndarray, loc: str) -> None:
    worst = arr[too_big].flat[int(np.argmax(np.abs(arr[too_big].astype(np.float64))))]
    raise DataValidationError(
        f"{loc}{int(np.count_nonzero(too_big))} amount(s) beyond the largest amount of money "
        f"accepted ({_LIMIT_TEXT} either way), the largest {float(worst):.4g} pounds; "
        "check the units of the inputs and any growth rates that compound them"
    )


def _round_decimal(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _round_fraction(pence: Fraction) -> int:
    sign = -1 if pence < 0 else 1
    mag = abs(pence)
    whole, rem = divmod(mag.numerator, mag.denominator)
    if 2 * rem >= mag.denominator:
        whole += 1
    return sign * whole


def parse_money(text: str, *, where: str | None = None) -> int:
    """Parse a pasted amount of pounds into integer pence.

    ``"£84,678,218"`` → 8467821800; ``"(4,253,670)"`` → -425367000;
    ``"4.25m"`` → 425000000 (``m`` is millions of pounds, ``k`` thousands,
    ``bn`` billions).  Anything else raises :class:`DataValidationError`
    naming ``where`` when given, and so does an amount beyond
    :data:`MAX_ABS_POUNDS` (£1 trillion) either way or text longer than
    :data:`MAX_MONEY_TEXT` characters.
    """
    loc = f"{where}: " if where else ""
    if not isinstance(text, str):
        raise DataValidationError(f"{loc}expected text such as '£84,678,218', got {_show(text)}")
    if len(text) > MAX_MONEY_TEXT:
        raise DataValidationError(
            f"{loc}{_show(text)} ({len(text):,} characters) is too long to be an amount of "
            f"money (at most {MAX_MONEY_TEXT}); check the cell holds only the amount"
        )
    m = _MONEY_RE.match(text)
    if m is None or bool(m.group("open")) != bool(m.group("close")):
        raise DataValidationError(
            f"{loc}{text!r} is not an amount of money; write it as e.g. '84,678,218', "
            "'£84,678,218', '(4,253,670)' for a negative, or '4.25m' for millions"
        )
    if m.group("sign") and m.group("sign2"):
        raise DataValidationError(
            f"{loc}{text!r} has two signs; keep one, e.g. '-£1.50' or '(1.50)'"
        )
    try:
        number = Decimal(m.group("num").replace(",", ""))
    except InvalidOperation as err:  # pragma: no cover - the regex admits only digits
        raise DataValidationError(f"{loc}{text!r} is not a number") from err
    number *= _UNITS[(m.group("unit") or "").lower()]
    _check_pounds(number, text, loc)
    sign = m.group("sign") or m.group("sign2") or "+"
    negative = (sign in "-\u2212") ^ bool(m.group("open"))
    pence = _round_decimal(number)
    return -pence if negative else pence


def pence_to_pounds(pence: int) -> Decimal:
    """Exact pounds (as ``Decimal``) for an amount of pence."""
    return Decimal(int(pence)) / 100


def format_money(pence: int | np.integer, *, show_pence: bool = False, symbol: bool = False) -> str:
    """Format pence as an analyst reads it: ``84,678,218`` or ``(4,253,670)``.

    Whole pounds are shown by rounding half away from zero, unless
    ``show_pence`` is true (``84,678,218.00``).  Negatives are bracketed.
    """
    pence = int(pence)
    mag = abs(pence)
    if show_pence:
        body = f"{mag // 100:,}.{mag % 100:02d}"
    else:
        pounds, rem = divmod(mag, 100)
        if rem >= 50:
            pounds += 1
        body = f"{pounds:,}"
    if symbol:
        body = "£" + body
    return f"({body})" if pence < 0 and body.strip("£0,.") else body


def round_to_total(
    values: Sequence[float] | npt.ArrayLike, *, unit: int = 1
) -> npt.NDArray[np.int64]:
    """Round amounts so that the rounded parts add up to the rounded total.

    Largest-remainder rounding: each value is floored to a multiple of
    ``unit`` and the units still missing from ``round(sum(values))`` go to the
    values with the largest remainders.  Used wherever a displayed table must
    foot (its lines add to its total).  Values and result are in the same
    units (pence, or pounds with ``unit=1``); the total rounds half away from
    zero.
    """
    arr = np.asarray(values, dtype=np.float64) / unit
    if arr.ndim != 1:
        raise DataValidationError("round_to_total takes a one-dimensional list of amounts")
    total = float(np.sum(arr))
    target = int(np.sign(total) * np.floor(abs(total) + 0.5 + 1e-9))
    floors = np.floor(arr)
    remainders = arr - floors
    short = target - int(np.sum(floors))
    order = np.argsort(-remainders, kind="stable")
    out = floors.astype(np.int64)
    if short > 0:
        out[order[:short]] += 1
    elif short < 0:  # only when floating noise pushed the floors above the total
        out[order[::-1][:-short]] -= 1
    return out * unit
