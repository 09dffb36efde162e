"""Price / volume / mix variance bridge between two years or plan and actual.

For placement types i with volume v (children, or placement-weeks) and unit
cost p (pounds per unit of volume) in periods A and B, with totals V and
average cost P = C / V:

* volume effect  = (V_B - V_A) x P_A                  (more or fewer children)
* mix effect     = sum_i v_iB p_iA - V_B x P_A        (a different mix at A's prices)
* price effect   = sum_i v_iB (p_iB - p_iA)           (dearer placements)

They add to C_B - C_A exactly.  Per type: volume_i = (V_B - V_A) s_iA p_iA,
mix_i = (v_iB - V_B s_iA) p_iA, price_i = v_iB (p_iB - p_iA), with s_iA the
type's share of A's volume, and each type's three parts add to its own change.
The arithmetic is exact (fractions); pence are allocated by largest remainder
so that the displayed parts add to the displayed change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from sctforecast.errors import DataValidationError
from sctforecast.money import format_money, to_pence

__all__ = ["PriceVolumeMix", "price_volume_mix"]


def _frac(x: object, what: str) -> Fraction:
    try:
        f = Fraction(str(x)) if isinstance(x, str) else Fraction(x)  # type: ignore[call-overload]
    except (TypeError, ValueError) as err:
        raise DataValidationError(f"{what}: {x!r} is not a number") from err
    return f


def _allocate(parts: list[Fraction], total: int) -> list[int]:
    """Integers that add to ``total``, each within one unit of its exact part."""
    floors = [p.numerator // p.denominator for p in parts]
    rems = [p - f for p, f in zip(parts, floors, strict=True)]
    short = total - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: rems[i], reverse=True)
    out = list(floors)
    if short >= 0:
        for i in order[:short]:
            out[i] += 1
    else:
        for i in order[::-1][:-short]:
            out[i] -= 1
    return out


@dataclass(frozen=True)
class PriceVolumeMix:
    """The bridge: ``table`` by type and ``totals`` (pence) that close exactly."""

    table: pd.DataFrame
    cost_a_pence: int
    cost_b_pence: int
    labels: tuple[str, str]

    @property
    def change_pence(self) -> int:
        return self.cost_b_pence - self.cost_a_pence

    @property
    def totals(self) -> dict[str, int]:
        return {k: int(self.table[f"{k}_pence"].sum()) for k in ("volume", "mix", "price")}

    @property
    def closes(self) -> bool:
        return sum(self.totals.values()) == self.change_pence

    @property
    def text(self) -> str:
        t = self.totals
        a, b = self.labels
        return (
            f"Cost moved from {format_money(self.cost_a_pence)} ({a}) to {format_money(self.cost_b_pence)} "
            f"({b}), a change of {format_money(self.change_pence)}: volume {format_money(t['volume'])}, "
            f"mix {format_money(t['mix'])}, price {format_money(t['price'])}."
        )

    def __repr__(self) -> str:
        return f"<PriceVolumeMix {self.labels[0]} -> {self.labels[1]}: {format_money(self.change_pence)}>"


def price_volume_mix(
    volume_a: Mapping[str, object],
    unit_cost_a: Mapping[str, object],
    volume_b: Mapping[str, object],
    unit_cost_b: Mapping[str, object],
    *,
    labels: tuple[str, str] = ("A", "B"),
) -> PriceVolumeMix:
    """Split a change in cost into volume, mix and price effects.

    Volumes and unit costs are keyed by placement type (or any category).  A
    type absent from A takes B's unit cost as its A price (so its whole cost
    is volume and mix, no price effect); a type absent from B has volume 0.
    """
    types = list(dict.fromkeys([*volume_a, *volume_b]))
    va = {t: _frac(volume_a.get(t, 0), f"volume A {t}") for t in types}
    vb = {t: _frac(volume_b.get(t, 0), f"volume B {t}") for t in types}
    problems = [f"negative volume for {t}" for t in types if va[t] < 0 or vb[t] < 0]
    pa: dict[str, Fraction] = {}
    pb: dict[str, Fraction] = {}
    for t in types:
        if vb[t] > 0 and t not in unit_cost_b:
            problems.append(f"no unit cost B for {t}")
        if va[t] > 0 and t not in unit_cost_a:
            problems.append(f"no unit cost A for {t}")
        pb[t] = _frac(unit_cost_b.get(t, unit_cost_a.get(t, 0)), f"unit cost B {t}")
        pa[t] = _frac(unit_cost_a.get(t, unit_cost_b.get(t, 0)), f"unit cost A {t}")
        if pa[t] < 0 or pb[t] < 0:
            problems.append(f"negative unit cost for {t}")
    VA, VB = sum(va.values()), sum(vb.values())
    if VA == 0:
        problems.append("period A has no volume, so there is no average cost to bridge from")
    if problems:
        raise DataValidationError(problems, where="price_volume_mix")
    ca = sum(va[t] * pa[t] for t in types)
    cb = sum(vb[t] * pb[t] for t in types)
    PA = ca / VA
    vol = {t: (VB - VA) * (va[t] / VA) * pa[t] for t in types}
    mix = {t: (vb[t] - VB * va[t] / VA) * pa[t] for t in types}
    price = {t: vb[t] * (pb[t] - pa[t]) for t in types}
    if (
        sum(vol.values()) != (VB - VA) * PA
        or sum(vol.values()) + sum(mix.values()) + sum(price.values()) != cb - ca
    ):
        raise ArithmeticError(
            "price/volume/mix identities failed"
        )  # pragma: no cover - exact arithmetic
    ca_p, cb_p = to_pence(ca), to_pence(cb)
    flat = [x * 100 for d in (vol, mix, price) for x in d.values()]
    pence = _allocate(flat, cb_p - ca_p)
    n = len(types)
    table = pd.DataFrame(
        {
            "placement_type": types,
            "volume_a": [float(va[t]) for t in types],
            "volume_b": [float(vb[t]) for t in types],
            "unit_cost_a": [float(pa[t]) for t in types],
            "unit_cost_b": [float(pb[t]) for t in types],
            "volume_pence": pence[:n],
            "mix_pence": pence[n : 2 * n],
            "price_pence": pence[2 * n :],
        }
    )
    table["change_pence"] = table["volume_pence"] + table["mix_pence"] + table["price_pence"]
    return PriceVolumeMix(table=table, cost_a_pence=ca_p, cost_b_pence=cb_p, labels=labels)
