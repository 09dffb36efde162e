"""Aggregate care-flow model (PyMC) for published yearly or monthly counts.

Entries are negative binomial counts with a population offset and a
piecewise-linear trend whose slope may change at each changepoint (and
month-of-year seasonality for monthly data).  Exits are a hazard times the
children at risk (stock at the start plus half the period's entries).
Published stocks and flows are counted differently, so the published stock is
the flow-implied stock plus a gap with its own mean and spread, estimated and
reported rather than forced to zero.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sctforecast.constants import DEFAULT_CI_PROB
from sctforecast.demand.data import CareFlowData
from sctforecast.demand.diagnostics import Diagnostics, check_convergence
from sctforecast.demand.forecast import DemandForecast
from sctforecast.demand.simulate import Levers, neg_binomial, simulate_aggregate
from sctforecast.errors import ConfigError, DataValidationError, ModelVersionError, NotFittedError
from sctforecast.periods import FinancialYear

__all__ = ["CareFlowConfig", "CareFlowModel", "FORECAST_MEASURES", "kpi_band_probabilities"]

log = logging.getLogger(__name__)
FORECAST_MEASURES = ("entries", "exits", "children_in_care", "rate_per_10k")
_SAMPLERS = ("pymc", "nutpie")
PARAMS = ["a", "b", "delta", "log_alpha", "g", "d", "delta_x", "log_alpha_x", "gap_mu", "gap_sigma"]


@dataclass(frozen=True)
class CareFlowConfig:
    """Sampler settings and priors of :class:`CareFlowModel`."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    cores: int | None = None
    target_accept: float = 0.9
    sampler: str = "nutpie"
    changepoint_scale: float = 0.05
    trend_damping: float = 0.8
    progressbar: bool = False

    def __post_init__(self) -> None:
        problems = []
        for k in ("draws", "tune", "chains"):
            if not isinstance(getattr(self, k), int) or getattr(self, k) < 1:
                problems.append(f"{k} must be a positive whole number, got {getattr(self, k)!r}")
        if not 0.5 <= self.target_accept < 1:
            problems.append(f"target_accept must be in [0.5, 1), got {self.target_accept}")
        if self.sampler not in _SAMPLERS:
            problems.append(f"sampler must be one of {', '.join(_SAMPLERS)}, got {self.sampler!r}")
        if not self.changepoint_scale > 0:
            problems.append("changepoint_scale must be positive")
        if not 0 <= self.trend_damping <= 1:
            problems.append(f"trend_damping must be in [0, 1], got {self.trend_damping}")
        if problems:
            raise ConfigError(problems, where="CareFlowConfig")

    @property
    def hash(self) -> str:
        model_part = {
            "changepoint_scale": self.changepoint_scale,
            "trend_damping": self.trend_damping,
        }
        return hashlib.sha256(json.dumps(model_part, sort_keys=True).encode()).hexdigest()[:16]


def _design(data: CareFlowData) -> dict[str, np.ndarray]:
    T = data.T
    per_year = 12 if data.freq == "month" else 1
    t = np.arange(T) / per_year
    tt = t - t.mean()
    step = per_year
    knots = np.arange(step, T - 1, step)
    A = np.maximum(0.0, tt[:, None] - tt[knots][None, :]) if len(knots) else np.zeros((T, 0))
    out = {"tt": tt, "A": A, "knots": knots}
    if data.freq == "month":
        out["month"] = np.array([pd.Period(p, freq="M").month - 1 for p in data.periods])
    return out


@dataclass
class CareFlowModel:
    """Bayesian model of entries to and exits from care, and children in care.

    Life: construct, ``fit(data, random_seed=...)``, then ``forecast(horizon)``
    (tidy table) or ``forecast_draws(horizon)`` (all draws); ``save``/``load``.
    """

    config: CareFlowConfig = field(default_factory=CareFlowConfig)
    idata: object | None = field(default=None, repr=False)
    data: CareFlowData | None = field(default=None, repr=False)
    diagnostics: Diagnostics | None = field(default=None, repr=False)

    # --- model -------------------------------------------------------------------
    def build(self, data: CareFlowData):  # type: ignore[no-untyped-def]
        """The PyMC model for ``data`` (not sampled)."""
        import pymc as pm

        d = _design(data)
        E, X = data.entries, data.exits
        at_risk = data.stock[:-1] + E / 2
        rate0 = float(np.log(max(E.mean(), 0.5) / (data.population.mean() / 1e4)))
        haz0 = float(np.log(max(X.mean(), 0.5) / max(at_risk.mean(), 1.0)))
        gap = data.gap
        gap_scale = (
            float(max(10.0, 2 * np.std(gap)))
            if data.freq == "year"
            else float(max(3.0, 2 * np.std(gap)))
        )
        K = d["A"].shape[1]
        coords = {
            "period": list(data.periods),
            "changepoint": [data.periods[k] for k in d["knots"]],
        }
        with pm.Model(coords=coords) as model:
            a = pm.Normal("a", rate0, 1.0)
            b = pm.Normal("b", 0.0, 0.3)
            delta = pm.Normal(
                "delta", 0.0, self.config.changepoint_scale, dims="changepoint", shape=K
            )
            eta = a + b * d["tt"] + pm.math.dot(d["A"], delta)
            g = pm.Normal("g", haz0, 1.0)
            dd = pm.Normal("d", 0.0, 0.3)
            delta_x = pm.Normal(
                "delta_x", 0.0, self.config.changepoint_scale, dims="changepoint", shape=K
            )
            xi = g + dd * d["tt"] + pm.math.dot(d["A"], delta_x)
            if data.freq == "month":
                season = pm.ZeroSumNormal("season", sigma=0.3, shape=12)
                season_x = pm.ZeroSumNormal("season_x", sigma=0.3, shape=12)
                eta = eta + season[d["month"]]
                xi = xi + season_x[d["month"]]
            log_alpha = pm.Normal("log_alpha", 3.0, 1.0)
            log_alpha_x = pm.Normal("log_alpha_x", 3.0, 1.0)
            pm.NegativeBinomial(
                "entries",
                mu=data.population / 1e4 * pm.math.exp(eta),
                alpha=pm.math.exp(log_alpha),
                observed=E,
                dims="period",
            )
            pm.NegativeBinomial(
                "exits",
                mu=pm.math.exp(xi) * at_risk,
                alpha=pm.math.exp(log_alpha_x),
                observed=X,
                dims="period",
            )
            if np.any(gap != 0):
                gap_mu = pm.Normal("gap_mu", 0.0, gap_scale)
                gap_sigma = pm.HalfNormal("gap_sigma", gap_scale)
                pm.Normal("gap", gap_mu, gap_sigma, observed=gap, dims="period")
            else:  # stocks and flows agree exactly (e.g. both derived from SSDA903): no gap to estimate
                pm.Deterministic("gap_mu", pm.math.constant(0.0))
                pm.Deterministic("gap_sigma", pm.math.constant(0.0))
        return model

    def fit(self, data: CareFlowData, *, random_seed: int | np.random.Generator) -> CareFlowModel:
        """Sample the posterior; check diagnostics (a :class:`ConvergenceWarning` if poor)."""
        import warnings

        with warnings.catch_warnings():  # pip-installed PyTensor warns about BLAS on import
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            import pymc as pm

        if not isinstance(data, CareFlowData):
            raise DataValidationError("fit() takes CareFlowData (e.g. CareFlowData.sandwell())")
        seed = (
            int(random_seed.integers(2**31))
            if isinstance(random_seed, np.random.Generator)
            else int(random_seed)
        )
        c = self.config
        model = self.build(data)
        log.info("sampling %d chains x %d draws with %s", c.chains, c.draws, c.sampler)
        kwargs = dict(
            draws=c.draws,
            tune=c.tune,
            chains=c.chains,
            random_seed=seed,
            target_accept=c.target_accept,
            progressbar=c.progressbar,
            compute_convergence_checks=False,
        )
        sampler = c.sampler
        if sampler == "nutpie":
            try:
                import nutpie  # noqa: F401
            except ImportError:  # pragma: no cover - nutpie is a dependency
                log.warning("nutpie is not installed; sampling with PyMC's own NUTS")
                sampler = "pymc"
        with model:
            if sampler == "nutpie":
                idata = pm.sample(
                    nuts_sampler="nutpie", cores=c.cores or min(c.chains, 2), **kwargs
                )
            else:
                idata = pm.sample(cores=c.cores or min(c.chains, 2), **kwargs)
        self.idata, self.data = idata, data
        names = PARAMS + (["season", "season_x"] if data.freq == "month" else [])
        if data.T <= 2 + 1:
            names = [n for n in names if not n.startswith("delta")]
        names = [n for n in names if n in idata.posterior and idata.posterior[n].size > 0]
        if not np.any(data.gap != 0):
            names = [n for n in names if not n.startswith("gap_")]
        self.diagnostics = check_convergence(idata, names)
        return self

    @classmethod
    def from_posterior(
        cls,
        data: CareFlowData,
        posterior: dict[str, np.ndarray],
        *,
        config: CareFlowConfig | None = None,
    ) -> CareFlowModel:
        """A model with a posterior pinned at given draws (for tests and what-ifs):
        arrays of shape (chains, draws[, ...]) for every parameter."""
        import arviz as az

        idata = az.from_dict(posterior=posterior)
        return cls(config=config or CareFlowConfig(), idata=idata, data=data)

    def _require(self) -> tuple[object, CareFlowData]:
        if self.idata is None or self.data is None:
            raise NotFittedError(
                "this CareFlowModel is not fitted: call .fit(data, random_seed=...) first"
            )
        return self.idata, self.data

    def _flat(self, name: str) -> np.ndarray:
        idata, _ = self._require()
        v = idata.posterior[name].values  # type: ignore[attr-defined]
        return v.reshape(v.shape[0] * v.shape[1], *v.shape[2:])

    # --- results -------------------------------------------------------------------
    def gap_summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The published stock/flow gap: observed per period, and its estimated mean and spread."""
        _, data = self._require()
        lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
        rows = [
            {"quantity": f"observed gap {p}", "mean": float(g), "lower": np.nan, "upper": np.nan}
            for p, g in zip(data.periods, data.gap, strict=True)
        ]
        for name, label in (
            ("gap_mu", "gap per period (mean)"),
            ("gap_sigma", "gap per period (sd)"),
        ):
            v = self._flat(name)
            rows.append(
                {
                    "quantity": label,
                    "mean": float(v.mean()),
                    "lower": float(np.quantile(v, lo)),
                    "upper": float(np.quantile(v, hi)),
                }
            )
        return pd.DataFrame(rows)

    def future_periods(self, horizon: int) -> list[str]:
        _, data = self._require()
        last = data.periods[-1]
        if data.freq == "year":
            fy = FinancialYear.parse(last)
            return [(fy + k).label for k in range(1, horizon + 1)]
        p = pd.Period(last, freq="M")
        return [str(p + k) for k in range(1, horizon + 1)]

    def forecast_draws(
        self,
        horizon: int,
        *,
        random_seed: int | np.random.Generator = 0,
        levers: Levers | None = None,
        population: float | None = None,
    ) -> xr.Dataset:
        """Draws of entries, exits, children in care (end of period) and the rate
        per 10,000 children, dims (draw, period)."""
        if not isinstance(horizon, int) or horizon < 1:
            raise ConfigError(
                f"horizon must be a positive whole number of periods, got {horizon!r}"
            )
        _, data = self._require()
        rng = np.random.default_rng(random_seed)
        d = _design(data)
        tt_last = d["tt"][-1]
        A_last = d["A"][-1] if d["A"].shape[1] else np.zeros(0)
        a, b, g, dd = (self._flat(k) for k in ("a", "b", "g", "d"))
        delta = self._flat("delta") if d["A"].shape[1] else np.zeros((a.size, 0))
        delta_x = self._flat("delta_x") if d["A"].shape[1] else np.zeros((a.size, 0))
        eta_last = a + b * tt_last + delta @ A_last
        xi_last = g + dd * tt_last + delta_x @ A_last
        slope = b + delta.sum(axis=1)
        xslope = dd + delta_x.sum(axis=1)
        dt = 1 / 12 if data.freq == "month" else 1.0
        season = season_x = None
        first_month = 0
        if data.freq == "month":
            season, season_x = self._flat("season"), self._flat("season_x")
            first_month = pd.Period(data.periods[-1], freq="M").month % 12
        pop = float(population if population is not None else data.population[-1])
        sims = simulate_aggregate(
            rng,
            eta_last=eta_last,
            slope_last=slope,
            xi_last=xi_last,
            xslope_last=xslope,
            alpha=np.exp(self._flat("log_alpha")),
            alpha_x=np.exp(self._flat("log_alpha_x")),
            gap_mu=self._flat("gap_mu"),
            gap_sigma=self._flat("gap_sigma"),
            changepoint_scale=self.config.changepoint_scale,
            stock0=float(data.stock[-1]),
            population=pop,
            horizon=horizon,
            dt=dt,
            season=season,
            season_x=season_x,
            first_month=first_month,
            changepoint_every=12 if data.freq == "month" else 1,
            damping=self.config.trend_damping,
            levers=levers or Levers(),
        )
        periods = self.future_periods(horizon)
        ds = xr.Dataset(
            {
                "entries": (("draw", "period"), sims["entries"]),
                "exits": (("draw", "period"), sims["exits"]),
                "children_in_care": (("draw", "period"), sims["stock"]),
                "rate_per_10k": (("draw", "period"), sims["stock"] / pop * 1e4),
            },
            coords={"draw": np.arange(a.size), "period": periods},
            attrs={"freq": data.freq, "stock_start": float(data.stock[-1]), "population": pop},
        )
        return ds

    def forecast(
        self,
        horizon: int,
        *,
        ci_prob: float = DEFAULT_CI_PROB,
        random_seed: int = 0,
        levers: Levers | None = None,
    ) -> pd.DataFrame:
        """Tidy forecast: period, measure, mean, median, lower, upper, ci_prob."""
        if not 0 < ci_prob < 1:
            raise ConfigError(f"ci_prob must be between 0 and 1, got {ci_prob}")
        ds = self.forecast_draws(horizon, random_seed=random_seed, levers=levers)
        return summarise_draws(ds, ci_prob=ci_prob)

    def posterior_predictive(self, *, random_seed: int = 0) -> xr.Dataset:
        """Replicated entries and exits for the observed periods, from the posterior."""
        _, data = self._require()
        rng = np.random.default_rng(random_seed)
        d = _design(data)
        a, b, g, dd = (self._flat(k) for k in ("a", "b", "g", "d"))
        K = d["A"].shape[1]
        eta = a[:, None] + b[:, None] * d["tt"][None, :]
        xi = g[:, None] + dd[:, None] * d["tt"][None, :]
        if K:
            eta = eta + self._flat("delta") @ d["A"].T
            xi = xi + self._flat("delta_x") @ d["A"].T
        if data.freq == "month":
            eta = eta + self._flat("season")[:, d["month"]]
            xi = xi + self._flat("season_x")[:, d["month"]]
        mu_e = data.population[None, :] / 1e4 * np.exp(eta)
        mu_x = np.exp(xi) * (data.stock[:-1] + data.entries / 2)[None, :]
        return xr.Dataset(
            {
                "entries": (
                    ("draw", "period"),
                    neg_binomial(rng, mu_e, np.exp(self._flat("log_alpha"))[:, None]),
                ),
                "exits": (
                    ("draw", "period"),
                    neg_binomial(rng, mu_x, np.exp(self._flat("log_alpha_x"))[:, None]),
                ),
            },
            coords={"period": list(data.periods)},
        )

    def plot_ppc(self, *, ax=None, ci_prob: float = DEFAULT_CI_PROB):  # type: ignore[no-untyped-def]
        """Posterior predictive check: observed entries and exits against replicated intervals."""
        import matplotlib.pyplot as plt

        _, data = self._require()
        ppc = self.posterior_predictive()
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        x = np.arange(data.T)
        lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
        for name, obs, color in (
            ("entries", data.entries, "tab:blue"),
            ("exits", data.exits, "tab:orange"),
        ):
            q = np.quantile(ppc[name].values, [lo, 0.5, hi], axis=0)
            ax.fill_between(
                x, q[0], q[2], alpha=0.25, color=color, label=f"{name}: {ci_prob:.0%} predictive"
            )
            ax.plot(x, obs, "o", color=color, label=f"{name}: published")
        ax.set_xticks(x, list(data.periods), rotation=45 if data.freq == "month" else 0)
        ax.set_title("Posterior predictive check")
        ax.legend(frameon=False, fontsize=8)
        return ax

    # --- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the posterior, the data and the config to NetCDF (never pickle)."""
        import sctforecast
        from sctforecast._io import atomic_file

        idata, data = self._require()
        meta = {
            "sctforecast_model": "CareFlowModel",
            "sctforecast_version": sctforecast.__version__,
            "config_json": json.dumps(asdict(self.config)),
            "config_hash": self.config.hash,
            "data_json": json.dumps(
                {
                    "periods": list(data.periods),
                    "entries": data.entries.tolist(),
                    "exits": data.exits.tolist(),
                    "stock": data.stock.tolist(),
                    "population": data.population.tolist(),
                    "freq": data.freq,
                    "source": data.source,
                }
            ),
        }
        post = idata.posterior.copy()  # type: ignore[attr-defined]
        post.attrs = {
            **{k: v for k, v in post.attrs.items() if isinstance(v, str | int | float)},
            **meta,
        }
        with atomic_file(path) as tmp:
            post.to_netcdf(tmp, engine="h5netcdf")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> CareFlowModel:
        """Load a saved model; :class:`ModelVersionError` if it was saved by another
        version of the library or for another model."""
        import arviz as az

        import sctforecast

        p = Path(path)
        if not p.exists():
            raise DataValidationError(f"{p}: no such saved model")
        try:
            post = xr.load_dataset(p, engine="h5netcdf")
        except Exception as err:  # noqa: BLE001 - any read failure is a bad file
            raise DataValidationError(f"{p}: not a saved sctforecast model ({err})") from err
        attrs = post.attrs
        if attrs.get("sctforecast_model") != "CareFlowModel":
            raise ModelVersionError(
                f"{p}: holds {attrs.get('sctforecast_model')!r}, not a CareFlowModel"
            )
        saved, now = str(attrs.get("sctforecast_version")), sctforecast.__version__
        if saved.split(".")[:2] != now.split(".")[:2]:
            raise ModelVersionError(
                f"{p}: saved by sctforecast {saved}, this is {now}; refit the model with this version"
            )
        config = CareFlowConfig(**json.loads(attrs["config_json"]))
        if config.hash != attrs.get("config_hash"):
            raise ModelVersionError(
                f"{p}: the stored config does not match its hash; the file was changed"
            )
        dj = json.loads(attrs["data_json"])
        data = CareFlowData(
            periods=tuple(dj["periods"]),
            entries=np.array(dj["entries"]),
            exits=np.array(dj["exits"]),
            stock=np.array(dj["stock"]),
            population=np.array(dj["population"]),
            freq=dj["freq"],
            source=dj["source"],
        )
        post.attrs = {}
        return cls(config=config, idata=az.InferenceData(posterior=post), data=data)

    # --- demand for the cost model and the MTFP ------------------------------------------
    def demand(
        self,
        first_year: FinancialYear | str | int,
        n_years: int,
        *,
        mix: dict[str, float],
        random_seed: int | np.random.Generator = 0,
        levers: Levers | None = None,
    ) -> DemandForecast:
        """Forecast draws over whole financial years for the cost model and the MTFP.

        The yearly model forecasts 31 March stocks; month ends in between are
        interpolated on a straight line, and split by ``mix`` (shares by
        placement type, e.g. :attr:`sctforecast.profile.AuthorityProfile.mix`).
        """
        from sctforecast.demand.forecast import split_by_mix

        _, data = self._require()
        if data.freq != "year":
            raise ConfigError(
                "demand() packages yearly forecasts; fit the model to financial-year data"
            )
        fy = FinancialYear.parse(first_year)
        last = FinancialYear.parse(data.periods[-1])
        if fy != last + 1:
            raise ConfigError(
                f"the data end with {last}, so the forecast starts in {last + 1}, not {fy}"
            )
        ds = self.forecast_draws(n_years, random_seed=random_seed, levers=levers)
        ends = np.concatenate(
            [np.full((ds.sizes["draw"], 1), float(data.stock[-1])), ds["children_in_care"].values],
            axis=1,
        )
        w = np.arange(1, 13) / 12.0
        monthly = np.concatenate(
            [ends[:, k, None] * (1 - w) + ends[:, k + 1, None] * w for k in range(n_years)], axis=1
        )
        months = pd.period_range(f"{fy.start_year}-04", periods=12 * n_years, freq="M")
        out = split_by_mix(monthly, months, mix, start_total=float(data.stock[-1]))
        return DemandForecast(out, source=f"aggregate model on {data.source}")


def summarise_draws(ds: xr.Dataset, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Mean, median and central interval of every variable of a (draw, period) dataset."""
    lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
    rows = []
    for measure in ds.data_vars:
        v = ds[measure].values
        q = np.quantile(v, [lo, 0.5, hi], axis=0)
        for j, p in enumerate(ds["period"].values):
            rows.append(
                {
                    "period": str(p),
                    "measure": measure,
                    "mean": float(v[:, j].mean()),
                    "median": float(q[1, j]),
                    "lower": float(q[0, j]),
                    "upper": float(q[2, j]),
                    "ci_prob": ci_prob,
                }
            )
    return pd.DataFrame(rows)


def kpi_band_probabilities(
    ds: xr.Dataset, *, green: float = 94.0, red: float = 100.0
) -> pd.DataFrame:
    """P(green / amber / red) of the children-in-care rate per 10,000 at each period end.

    Contract KPI 7 (004 Section (j)): green at or below 94.0, red at or above 100.0.
    """
    r = ds["rate_per_10k"].values
    return pd.DataFrame(
        {
            "period": [str(p) for p in ds["period"].values],
            "p_green": (r <= green).mean(axis=0),
            "p_amber": ((r > green) & (r < red)).mean(axis=0),
            "p_red": (r >= red).mean(axis=0),
        }
    )
