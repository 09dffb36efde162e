"""A seeded generator of SSDA903-like returns with known true rates.

Children enter care at a Poisson rate per age band, start in a placement type
drawn from a known mix, and each month leave care or move placement with known
probabilities by age band and type; everyone leaves at 18.  The truth is
returned with the data, so tests and backtests can check that a model recovers
it and that its intervals cover it.

Real authorities' rates are not constant.  Options make them move, and the
truth carries the monthly multipliers actually used (``SyntheticTruth.months``,
``entry_multiplier``, ``exit_multiplier``; ``entry_rate_at`` and
``exit_hazard_at`` give the rates of a month):

- ``entry_trend`` / ``exit_trend``: a yearly change in the log entry rate / log
  exit hazard (``-0.15``: about 14% fewer a year);
- ``rate_shift=(date, entry_multiplier, exit_multiplier)``: a step change from
  the month containing ``date``;
- ``rate_volatility``: the monthly sd of a random walk on both logs;
- ``history_years``: the children in care at ``start`` carry histories up to
  that many years long (a current episode, sometimes earlier placements,
  starting before the window).

:mod:`sctforecast.ssda903.writer` writes the episodes as yearly returns, with
the mess real returns have.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from sctforecast.errors import ConfigError
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.reader import AGE_BANDS, age_band
from sctforecast.ssda903.truth import NB, NT, SyntheticTruth, default_truth

__all__ = [
    "SyntheticTruth",
    "default_truth",
    "synthetic_ssda903",
    "rate_path",
    "CODE_OF_TYPE",
]

CODE_OF_TYPE = {
    "residential_in_house": ("K2", "PR1"),
    "residential_external": ("K2", "PR4"),
    "residential_secure": ("K1", "PR3"),
    "foster_in_house": ("U4", "PR1"),
    "foster_kinship": ("U1", "PR1"),
    "foster_ifa": ("U4", "PR4"),
    "supported_accommodation": ("H5", "PR4"),
    "supported_accommodation_uasc": ("H5", "PR4"),
    "placed_with_parents": ("P1", "PR0"),
    "adoption_placement": ("A4", "PR1"),
    "parent_and_child": ("R3", "PR4"),
    "other_settings": ("Z1", "PR4"),
}
_EPOCH = np.datetime64("1970-01-01", "D")
#: Chance that a child in care at ``start`` with a long history (``history_years``)
#: had earlier placements in the same period of care, and how many at most.
_EARLIER_SHARE, _EARLIER_MAX = 0.5, 3


def rate_path(
    n_months: int,
    *,
    trend: float = 0.0,
    shift_month: int | None = None,
    shift: float = 1.0,
    walk: np.ndarray | None = None,
) -> np.ndarray:
    """Monthly multipliers on a rate (numpy kernel).

    ``exp(trend * k / 12)`` in month ``k`` (``trend`` a yearly log change),
    times ``shift`` from month ``shift_month`` on, times ``exp(walk[k])``.
    All options at their defaults give ones.
    """
    log_m = trend * np.arange(n_months) / 12.0
    if shift_month is not None:
        log_m[shift_month:] += math.log(shift)
    if walk is not None:
        log_m = log_m + walk
    return np.exp(log_m)


def _check_options(
    *,
    years: int,
    initial_children: int,
    months: pd.PeriodIndex,
    entry_trend: float,
    exit_trend: float,
    rate_shift: tuple[str, float, float] | None,
    rate_volatility: float,
    history_years: float,
) -> int | None:
    """Refuse options that would do nothing or nonsense; the month index of the shift."""
    problems = []
    if not isinstance(years, int) or years < 1:
        problems.append(f"years must be a whole number of at least 1, got {years!r}")
    if initial_children < 0:
        problems.append(f"initial_children must be 0 or more, got {initial_children}")
    for name, v in (("entry_trend", entry_trend), ("exit_trend", exit_trend)):
        if not math.isfinite(v) or abs(v) > 2:
            problems.append(f"{name} is a yearly log change between -2 and 2, got {v!r}")
    if not math.isfinite(rate_volatility) or not 0 <= rate_volatility <= 1:
        problems.append(f"rate_volatility is a monthly sd between 0 and 1, got {rate_volatility!r}")
    if not math.isfinite(history_years) or not 0 <= history_years <= 18:
        problems.append(f"history_years must be between 0 and 18, got {history_years!r}")
    shift_month = None
    if rate_shift is not None:
        try:
            when, e_mult, x_mult = rate_shift
            month = pd.Period(pd.Timestamp(when), freq="M")
            e_mult, x_mult = float(e_mult), float(x_mult)
        except (TypeError, ValueError) as err:
            problems.append(
                f"rate_shift must be (date, entry_multiplier, exit_multiplier), e.g. "
                f"('2020-04-01', 1.3, 0.8); got {rate_shift!r} ({err})"
            )
        else:
            if not (e_mult > 0 and x_mult > 0 and math.isfinite(e_mult * x_mult)):
                problems.append(f"rate_shift multipliers must be positive, got {e_mult}, {x_mult}")
            if len(months) and not months[0] <= month <= months[-1]:
                problems.append(
                    f"rate_shift date {when} is outside the simulation ({months[0]} to "
                    f"{months[-1]}), so it would change nothing"
                )
            elif len(months):
                shift_month = int((month - months[0]).n)
    if problems:
        raise ConfigError(problems, where="synthetic_ssda903")
    return shift_month


class _Children:
    """The simulation's state: one entry per child, days counted from 1970."""

    def __init__(self) -> None:
        self.dob: list[int] = []
        self.type: list[int] = []
        self.ep_start: list[int] = []
        self.in_care: list[bool] = []
        self.uasc: list[bool] = []
        self.adult: list[int] = []
        self.episodes: list[tuple[int, int, str, str, int | None, str]] = []

    def add(self, birth: int, t: int, when: int) -> int:
        self.dob.append(birth)
        self.type.append(t)
        self.ep_start.append(when)
        self.in_care.append(True)
        self.uasc.append(PLACEMENT_TYPES[t] == "supported_accommodation_uasc")
        b = pd.Timestamp(_EPOCH + np.timedelta64(birth, "D")) + pd.DateOffset(years=18)
        self.adult.append(_day(b))
        return len(self.dob) - 1

    def record(self, i: int, t: int, start: int, end: int | None, rec: str) -> None:
        place, prov = CODE_OF_TYPE[PLACEMENT_TYPES[t]]
        self.episodes.append((i, start, place, prov, end, rec))

    def close(self, i: int, when: int, rec: str) -> None:
        self.record(i, self.type[i], self.ep_start[i], when, rec)


def _day(t: pd.Timestamp | pd.Period) -> int:
    ts = t.start_time if isinstance(t, pd.Period) else t
    return int((np.datetime64(ts.date(), "D") - _EPOCH) // np.timedelta64(1, "D"))


def _initial_stock(
    kids: _Children,
    n: int,
    truth: SyntheticTruth,
    day0: int,
    history_years: float,
    rng: np.random.Generator,
) -> None:
    """The children in care at ``start``, with their current episode (and,
    with ``history_years``, sometimes earlier placements) begun before it."""
    for b in rng.choice(NB, size=n, p=np.array([0.05, 0.15, 0.2, 0.4, 0.2])):
        lo, hi = AGE_BANDS[b][1], AGE_BANDS[b][2]
        age_years = rng.uniform(lo, hi)
        t = int(rng.choice(NT, p=truth.initial_mix[b]))
        since = min(age_years, rng.uniform(0, history_years if history_years > 0 else 3))
        birth, care_start = day0 - int(age_years * 365.25), day0 - int(since * 365.25)
        cuts: list[int] = []
        if history_years > 0 and rng.random() < _EARLIER_SHARE and day0 - care_start > 60:
            k = int(rng.integers(1, _EARLIER_MAX + 1))
            cuts = sorted(set(rng.integers(care_start + 1, day0, size=k).tolist()))
        i = kids.add(birth, t, cuts[-1] if cuts else care_start)
        for s, e in zip([care_start, *cuts], cuts, strict=False):  # earlier placements
            kids.record(i, int(rng.choice(NT, p=truth.initial_mix[b])), s, e, "X1")


def _month_step(
    kids: _Children,
    m: pd.Period,
    truth: SyntheticTruth,
    entry_mult: float,
    exit_mult: float,
    rng: np.random.Generator,
) -> None:
    """One month: exits, moves and ageing out of the children in care, then entries."""
    m0, ndays = _day(m), m.days_in_month
    idx = np.flatnonzero(kids.in_care)
    if len(idx):
        ages = (m0 - np.array(kids.dob)[idx]) / 365.25
        bands = np.clip(age_band(ages), 0, NB - 1)
        types = np.array(kids.type)[idx]
        u = rng.random(len(idx))
        moves = truth.move[bands, types]
        p_exit = np.minimum(truth.exit_hazard[bands, types] * exit_mult, 1.0 - moves.sum(axis=1))
        cum = p_exit[:, None] + np.cumsum(moves, axis=1)
        day = rng.integers(1, ndays, size=len(idx))
        adult = np.array(kids.adult)[idx]
        for k, i in enumerate(idx.tolist()):
            when = m0 + int(day[k])
            if adult[k] < m0 + ndays:
                kids.close(i, max(int(adult[k]), kids.ep_start[i]), "E8")
                kids.in_care[i] = False
            elif u[k] < p_exit[k]:
                kids.close(i, when, "E4A")
                kids.in_care[i] = False
            elif u[k] < cum[k, -1] and when > kids.ep_start[i]:
                kids.close(i, when, "X1")
                kids.type[i] = int(np.searchsorted(cum[k], u[k], side="right"))
                kids.ep_start[i] = when
    for b in range(NB):
        for _ in range(rng.poisson(truth.entry_rate[b] * entry_mult)):
            lo, hi = AGE_BANDS[b][1], AGE_BANDS[b][2]
            age_years = rng.uniform(lo, hi - 0.05)
            when = m0 + int(rng.integers(0, ndays))
            t = int(rng.choice(NT, p=truth.initial_mix[b]))
            kids.add(when - int(age_years * 365.25), t, when)


def _frames(kids: _Children, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The header and episodes in DfE columns."""

    def fmt(d: int | None) -> str:
        return (
            "" if d is None else pd.Timestamp(_EPOCH + np.timedelta64(d, "D")).strftime("%d/%m/%Y")
        )

    ids = [f"C{i:06d}" for i in range(len(kids.dob))]
    header = pd.DataFrame(
        {
            "CHILD": ids,
            "SEX": rng.choice(["1", "2"], len(kids.dob)),
            "DOB": [fmt(d) for d in kids.dob],
            "UASC": [int(x) for x in kids.uasc],
        }
    )
    ep = pd.DataFrame(
        kids.episodes, columns=["i", "start", "PLACE", "PLACE_PROVIDER", "end", "REC"]
    )
    ep = ep.sort_values(["i", "start"], kind="stable")
    first = ~ep["i"].duplicated()
    episodes = pd.DataFrame(
        {
            "CHILD": [ids[i] for i in ep["i"]],
            "DECOM": [fmt(d) for d in ep["start"]],
            "RNE": np.where(first, "S", "P"),
            "LS": "C2",
            "CIN": "N1",
            "PLACE": ep["PLACE"].to_numpy(),
            "PLACE_PROVIDER": ep["PLACE_PROVIDER"].to_numpy(),
            "DEC": [fmt(None if pd.isna(d) else int(d)) for d in ep["end"]],
            "REC": ep["REC"].to_numpy(),
        }
    )
    return header, episodes.reset_index(drop=True)


def synthetic_ssda903(
    *,
    years: int = 8,
    initial_children: int = 800,
    truth: SyntheticTruth | None = None,
    start: str = "2016-04-01",
    random_seed: int | np.random.Generator = 0,
    entry_trend: float = 0.0,
    exit_trend: float = 0.0,
    rate_shift: tuple[str, float, float] | None = None,
    rate_volatility: float = 0.0,
    history_years: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame, SyntheticTruth]:
    """Simulate ``years`` of episodes from ``start``; returns (header, episodes, truth).

    Parameters
    ----------
    years, initial_children, truth, start, random_seed
        The window (``years`` from ``start``), the children in care at its
        start, the base rates (default :func:`default_truth`) and the seed.
    entry_trend, exit_trend
        Yearly log change of the entry rates / exit hazards (``-0.15``: entries
        about 14% fewer each year; ``0.1``: about 10.5% more).
    rate_shift
        ``(date, entry_multiplier, exit_multiplier)``: a step change from the
        month containing ``date`` (inside the window).
    rate_volatility
        Monthly sd of a random walk on the log entry rate and, independently,
        the log exit hazard (rates that drift).
    history_years
        Children in care at ``start`` began their current period of care up to
        this many years before it (default 0: up to 3 years, no earlier
        placements); half of them had up to three earlier placements in it.

    The episodes carry ``attrs["window_start"]`` (``start``), which
    :func:`~sctforecast.ssda903.writer.write_ssda903` uses as the first
    collection year.  With every option at its default the output is the same,
    seed for seed, as before the options existed.
    """
    rng = np.random.default_rng(random_seed)
    truth = truth or default_truth()
    t0 = pd.Timestamp(start)
    months = pd.period_range(t0, periods=12 * years, freq="M")
    shift_month = _check_options(
        years=years,
        initial_children=initial_children,
        months=months,
        entry_trend=entry_trend,
        exit_trend=exit_trend,
        rate_shift=rate_shift,
        rate_volatility=rate_volatility,
        history_years=history_years,
    )
    walks: list[np.ndarray | None] = [None, None]
    if rate_volatility > 0:
        steps = rng.normal(0.0, rate_volatility, size=(2, len(months) - 1))
        walks = [np.concatenate([[0.0], np.cumsum(s)]) for s in steps]
    e_shift, x_shift = (1.0, 1.0) if rate_shift is None else (rate_shift[1], rate_shift[2])
    entry_mult = rate_path(
        len(months), trend=entry_trend, shift_month=shift_month, shift=e_shift, walk=walks[0]
    )
    exit_mult = rate_path(
        len(months), trend=exit_trend, shift_month=shift_month, shift=x_shift, walk=walks[1]
    )
    kids = _Children()
    _initial_stock(kids, initial_children, truth, _day(t0), history_years, rng)
    for k, m in enumerate(months):
        _month_step(kids, m, truth, float(entry_mult[k]), float(exit_mult[k]), rng)
    for i in np.flatnonzero(kids.in_care):
        kids.record(int(i), kids.type[i], kids.ep_start[i], None, "")
    header, episodes = _frames(kids, rng)
    episodes.attrs["window_start"] = str(t0.date())
    used = replace(
        truth,
        months=tuple(str(m) for m in months),
        entry_multiplier=entry_mult,
        exit_multiplier=exit_mult,
    )
    return header, episodes, used
