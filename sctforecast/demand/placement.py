"""Placement-level model from SSDA903 episodes: conjugate Bayesian rates and
forward simulation over posterior draws in vectorised numpy.

Rates, by DfE age band (under 1, 1-4, 5-9, 10-15, 16-17):

* entries per month: Gamma(0.5 + entries, 0.01 + months) (Gamma-Poisson);
* the placement type a child enters: Dirichlet(0.5 + counts over types);
* each month, for a child of an age band in a placement type, the chance of
  leaving care, moving to each other type, or staying:
  Dirichlet(prior + counts), where staying counts the child-months of exposure
  without an event.  Moves to a type never seen from that type get no prior
  weight (they are not simulated); leaving and staying get 0.5 each.

Leaving at 18 is certain and is not estimated: ageing out is simulated from
each child's age.  The simulation keeps children by single year of age (0-17)
and type; each month a twelfth of each age moves up a year (binomially), those
turning 18 leave, then exits and moves are drawn, then entrants arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB
from sctforecast.demand.forecast import DemandForecast, forecast_for_years
from sctforecast.errors import ConfigError, DataValidationError, NotFittedError
from sctforecast.periods import FinancialYear
from sctforecast.placements import PLACEMENT_TYPES
from sctforecast.ssda903.derive import care_events
from sctforecast.ssda903.reader import AGE_BANDS, SSDA903Data, age_band

__all__ = ["PlacementFlowModel", "PlacementPosterior"]

NB, NT = len(AGE_BANDS), len(PLACEMENT_TYPES)
_BAND_OF_AGE = age_band(np.arange(18) + 0.5)
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class PlacementPosterior:
    """Conjugate posterior parameters (all counts are the prior plus the data)."""

    entry_shape: np.ndarray  # (bands,)
    entry_rate: np.ndarray  # (bands,) months of exposure
    mix_conc: np.ndarray  # (bands, types)
    trans_conc: np.ndarray  # (bands, types, 2 + types): [stay, exit, move to each type]
    months: int

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """``n`` posterior draws of every rate."""
        lam = rng.gamma(self.entry_shape, 1.0 / self.entry_rate, size=(n, NB))
        mix = _dirichlet(rng, self.mix_conc, n)
        trans = _dirichlet(rng, self.trans_conc, n)
        return {"entry_rate": lam, "mix": mix, "trans": trans}


def _dirichlet(rng: np.random.Generator, conc: np.ndarray, n: int) -> np.ndarray:
    """Dirichlet draws over the last axis, zero concentration meaning probability 0."""
    g = np.where(conc > 0, rng.gamma(np.maximum(conc, 1e-300), 1.0, size=(n, *conc.shape)), 0.0)
    s = g.sum(axis=-1, keepdims=True)
    return np.divide(g, s, out=np.zeros_like(g), where=s > 0)


@dataclass
class PlacementFlowModel:
    """Rates of entering each placement type, moving between types and leaving
    care, by age band, from SSDA903 episodes; forward simulation over draws."""

    n_draws: int = 1000
    posterior: PlacementPosterior | None = field(default=None, repr=False)
    start_state: np.ndarray | None = field(
        default=None, repr=False
    )  # (18, types) at the end of the data
    observed_to: pd.Timestamp | None = None

    def fit(
        self, data: SSDA903Data, *, random_seed: int | None = None, since: str | None = None
    ) -> PlacementFlowModel:
        """Count events and exposure (from ``since``, default the first full
        month of the data) and form the conjugate posterior.  ``random_seed``
        is accepted for a uniform interface; fitting is exact and uses none."""
        e = data.episodes
        t0 = (
            pd.Timestamp(since)
            if since
            else e["start"].min().to_period("M").to_timestamp() + pd.offsets.MonthBegin(1)
        )
        t1 = data.observed_to + pd.Timedelta(days=1)
        months = (t1.to_period("M") - t0.to_period("M")).n
        if months < 12:
            raise DataValidationError(
                f"{data.origin}: {months} month(s) of episodes from {t0.date()}; "
                "the placement model needs at least 12"
            )
        ev = care_events(data)
        ev = ev[(ev["date"] >= t0) & (ev["date"] < t1)]
        band = age_band(ev["age"].to_numpy())
        band = np.clip(band, 0, NB - 1)
        tcode = {t: i for i, t in enumerate(PLACEMENT_TYPES)}
        entries = np.zeros(NB)
        mix = np.zeros((NB, NT))
        trans = np.zeros((NB, NT, 2 + NT))
        for (kind, f, to), b in zip(
            ev[["event", "from_type", "to_type"]].itertuples(index=False), band, strict=True
        ):
            if kind == "entry":
                entries[b] += 1
                mix[b, tcode[to]] += 1
            elif kind == "exit":
                trans[b, tcode[f], 1] += 1
            elif kind == "move":
                trans[b, tcode[f], 2 + tcode[to]] += 1
        exposure = self._exposure(data, t0, t1)  # child-months (bands, types)
        events = trans[:, :, 1:].sum(axis=2)
        trans[:, :, 0] = np.maximum(exposure - events, 0.0)
        prior = np.zeros_like(trans)
        prior[:, :, :2] = 0.5
        seen = trans[:, :, 2:].sum(axis=0) > 0  # moves seen from a type to another, any age
        prior[:, :, 2:] = np.where(seen[None, :, :], 0.5, 0.0)
        for t in range(NT):
            prior[:, t, 2 + t] = 0.0
        self.posterior = PlacementPosterior(
            entry_shape=0.5 + entries,
            entry_rate=0.01 + np.full(NB, float(months)),
            mix_conc=0.5 / NT + mix,
            trans_conc=prior + trans,
            months=months,
        )
        self.start_state = self._state_at(data, data.observed_to)
        self.observed_to = data.observed_to
        return self

    @staticmethod
    def _exposure(data: SSDA903Data, t0: pd.Timestamp, t1: pd.Timestamp) -> np.ndarray:
        e = data.episodes
        s = np.maximum(e["start"].to_numpy("datetime64[D]"), np.datetime64(t0.date(), "D"))
        en = np.minimum(
            e["end"].fillna(t1).to_numpy("datetime64[D]"), np.datetime64(t1.date(), "D")
        )
        days = np.clip((en - s).astype(np.int64), 0, None).astype(float)
        mid = s + ((en - s) // 2)
        age = (mid - e["dob"].to_numpy("datetime64[D]")).astype(np.int64) / 365.25
        b = np.clip(age_band(age), 0, NB - 1)
        t = pd.Categorical(e["placement_type"], categories=list(PLACEMENT_TYPES)).codes
        out = np.zeros((NB, NT))
        np.add.at(out, (b, t), days / _DAYS_PER_MONTH)
        return out

    @staticmethod
    def _state_at(data: SSDA903Data, when: pd.Timestamp) -> np.ndarray:
        e = data.episodes
        live = (e["start"] <= when) & (e["end"].isna() | (e["end"] > when))
        age = ((when - e.loc[live, "dob"]).dt.days / 365.25).to_numpy()
        a = np.clip(np.floor(age).astype(int), 0, 17)
        t = pd.Categorical(e.loc[live, "placement_type"], categories=list(PLACEMENT_TYPES)).codes
        out = np.zeros((18, NT))
        np.add.at(out, (a, t), 1)
        return out

    def _require(self) -> PlacementPosterior:
        if self.posterior is None or self.start_state is None:
            raise NotFittedError("this PlacementFlowModel is not fitted: call .fit(data) first")
        return self.posterior

    # --- simulation -----------------------------------------------------------------
    def simulate(
        self, months: int, *, random_seed: int | np.random.Generator = 0, n_draws: int | None = None
    ) -> xr.Dataset:
        """Simulate ``months`` from the end of the data for every draw.

        Returns a Dataset over (draw, month[, placement_type]) with
        ``children`` (by type, at the end of each month), ``placement_days``
        (by type), ``entries``, ``exits`` and ``aged_out``.
        """
        post = self._require()
        if not isinstance(months, int) or months < 1:
            raise ConfigError(f"months must be a positive whole number, got {months!r}")
        n = n_draws or self.n_draws
        rng = np.random.default_rng(random_seed)
        par = post.draw(rng, n)
        trans = par["trans"][:, _BAND_OF_AGE]  # (n, 18, types, 2 + types)
        p_exit = trans[..., 1]
        p_move = trans[..., 2:]  # (n, 18, types, types)
        cond = np.zeros_like(p_move)  # sequential conditional probabilities for binomial splitting
        remaining = 1.0 - p_exit
        left = np.maximum(remaining, 1e-300)
        acc = np.zeros_like(p_exit)
        for k in range(NT):
            denom = np.maximum(left - acc, 1e-300)
            cond[..., k] = np.clip(p_move[..., k] / denom, 0.0, 1.0)
            acc = acc + p_move[..., k]
        active_moves = [k for k in range(NT) if p_move[..., k].any()]
        # entries: per band, ages spread evenly over the band's single years
        band_ages = [list(range(lo, hi)) for _, lo, hi in AGE_BANDS]
        state = np.broadcast_to(self.start_state, (n, 18, NT)).astype(np.int64).copy()
        start = (self.observed_to + pd.Timedelta(days=1)).to_period("M")
        labels = pd.period_range(start, periods=months, freq="M")
        days_in = labels.days_in_month.to_numpy(dtype=float)
        children = np.empty((n, months, NT))
        pdays = np.empty((n, months, NT))
        entries_out = np.empty((n, months))
        exits_out = np.empty((n, months))
        aged_out = np.empty((n, months))
        for m in range(months):
            before = state.sum(axis=1)
            # ageing: a twelfth of each single year moves up; 17-year-olds turning 18 leave
            up = rng.binomial(state, 1.0 / 12.0)
            state -= up
            aged = up[:, 17].sum(axis=1)
            state[:, 1:] += up[:, :17]
            # exits then moves
            ex = rng.binomial(state, p_exit)
            state -= ex
            stay = state.copy()
            moved_in = np.zeros_like(state)
            for k in active_moves:
                mv = rng.binomial(stay, cond[..., k])
                stay -= mv
                moved_in[:, :, k] += mv.sum(axis=2)
            state = stay + moved_in
            # entries
            new = rng.poisson(par["entry_rate"])  # (n, bands)
            for b, ages in enumerate(band_ages):
                if not new[:, b].any():
                    continue
                by_type = rng.multinomial(new[:, b], par["mix"][:, b])  # (n, types)
                for t in np.flatnonzero(by_type.any(axis=0)):
                    spread = rng.multinomial(by_type[:, t], np.full(len(ages), 1.0 / len(ages)))
                    state[:, ages, t] += spread
            after = state.sum(axis=1)
            children[:, m] = after
            pdays[:, m] = (before + after) / 2.0 * days_in[m]
            entries_out[:, m] = new.sum(axis=1)
            exits_out[:, m] = ex.sum(axis=(1, 2)) + aged
            aged_out[:, m] = aged
        coords = {
            "draw": np.arange(n),
            "month": [str(p) for p in labels],
            "placement_type": list(PLACEMENT_TYPES),
        }
        return xr.Dataset(
            {
                "children": (("draw", "month", "placement_type"), children),
                "placement_days": (("draw", "month", "placement_type"), pdays),
                "entries": (("draw", "month"), entries_out),
                "exits": (("draw", "month"), exits_out),
                "aged_out": (("draw", "month"), aged_out),
            },
            coords=coords,
        )

    def forecast(
        self,
        months: int,
        *,
        ci_prob: float = DEFAULT_CI_PROB,
        by: str = "financial_year",
        random_seed: int = 0,
    ) -> pd.DataFrame:
        """Tidy forecast of children in care by type (average over the period),
        entries and exits (totals), by financial year or month."""
        ds = self.simulate(months, random_seed=random_seed)
        lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
        labels = [str(m) for m in ds["month"].values]
        key = (
            [FinancialYear.containing(pd.Period(m, freq="M").start_time).label for m in labels]
            if by == "financial_year"
            else labels
        )
        groups = pd.Index(key)
        rows = []
        for g in dict.fromkeys(key):
            sel = np.flatnonzero(groups == g)
            parts = {
                f"children: {t}": ds["children"].values[:, sel, j].mean(axis=1)
                for j, t in enumerate(PLACEMENT_TYPES)
            }
            parts["children: total"] = ds["children"].values[:, sel].sum(axis=2).mean(axis=1)
            parts["entries"] = ds["entries"].values[:, sel].sum(axis=1)
            parts["exits"] = ds["exits"].values[:, sel].sum(axis=1)
            for name, v in parts.items():
                q = np.quantile(v, [lo, 0.5, hi])
                rows.append(
                    {
                        "period": g,
                        "measure": name,
                        "mean": float(v.mean()),
                        "median": float(q[1]),
                        "lower": float(q[0]),
                        "upper": float(q[2]),
                        "ci_prob": ci_prob,
                    }
                )
        return pd.DataFrame(rows)

    # --- the DemandModel protocol (sctforecast.demand.forecast) ---------------------------
    @property
    def origin(self) -> pd.Period:
        """The first forecast month: the month after the data end."""
        self._require()
        return (self.observed_to + pd.Timedelta(days=1)).to_period("M")  # type: ignore[operator]

    def forecast_draws(
        self, months: int, *, random_seed: int | np.random.Generator = 0
    ) -> xr.Dataset:
        """Children by placement type at each month end, placement-days, entries
        and exits, (draw, month[, placement_type]), from the month after the data."""
        return self.simulate(months, random_seed=random_seed)

    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        random_seed: int | np.random.Generator = 0,
    ) -> DemandForecast:
        """Forecast draws over whole financial years, for the cost model and the MTFP."""
        return forecast_for_years(
            self,
            self.origin,
            first_year,
            n_years,
            random_seed=random_seed,
            source=f"placement-level model on SSDA903 episodes to {self.observed_to.date()}",  # type: ignore[union-attr]
        )
