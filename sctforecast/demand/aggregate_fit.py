"""Settings of the aggregate model and the call to the sampler.

:class:`CareFlowConfig` holds the sampler settings and the model's options
(their hash goes into saved models); :func:`sample_posterior` runs nutpie
(default: the model is compiled with Numba, timed apart from sampling) or
PyMC's own NUTS.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from sctforecast.errors import ConfigError

__all__ = ["CareFlowConfig", "as_seed", "sample_posterior"]

log = logging.getLogger(__name__)
_SAMPLERS = ("pymc", "nutpie")


@dataclass(frozen=True)
class CareFlowConfig:
    """Sampler settings and the options of :class:`CareFlowModel`.

    ``level_prior_sd``: sd of the log long-run entry rate and exit hazard
    around the comparator rates (0.25: a factor of about 1.5 either way at 90%).
    ``uasc_ceiling_share``: caps UASC in care in forecasts at this share of the
    child population (the national transfer scheme's 0.1% is 0.001); ``None``
    sets no cap.  Only for data with a UASC stream.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    cores: int | None = None
    target_accept: float = 0.95
    sampler: str = "nutpie"
    progressbar: bool = False
    level_prior_sd: float = 0.25
    uasc_ceiling_share: float | None = None

    def __post_init__(self) -> None:
        problems = []
        for k in ("draws", "tune", "chains"):
            if not isinstance(getattr(self, k), int) or getattr(self, k) < 1:
                problems.append(f"{k} must be a positive whole number, got {getattr(self, k)!r}")
        if not 0.5 <= self.target_accept < 1:
            problems.append(f"target_accept must be in [0.5, 1), got {self.target_accept}")
        if self.sampler not in _SAMPLERS:
            problems.append(f"sampler must be one of {', '.join(_SAMPLERS)}, got {self.sampler!r}")
        if not (isinstance(self.level_prior_sd, int | float) and self.level_prior_sd > 0):
            problems.append(
                f"level_prior_sd must be a positive number, got {self.level_prior_sd!r}"
            )
        u = self.uasc_ceiling_share
        if u is not None and not (isinstance(u, int | float) and 0 < u < 1):
            problems.append(
                f"uasc_ceiling_share must be a share between 0 and 1 (0.001 is 0.1%), got {u!r}"
            )
        if problems:
            raise ConfigError(problems, where="CareFlowConfig")

    @property
    def hash(self) -> str:
        """Hash of the options that change the model or its forecasts."""
        part = {
            "level_prior_sd": self.level_prior_sd,
            "uasc_ceiling_share": self.uasc_ceiling_share,
        }
        return hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest()[:16]


def as_seed(random_seed: int | np.random.Generator) -> int:
    """The sampler's integer seed from an int or a ``numpy.random.Generator``."""
    if isinstance(random_seed, np.random.Generator):
        return int(random_seed.integers(2**31))
    return int(random_seed)


def sample_posterior(pm, model, c: CareFlowConfig, seed: int) -> tuple[Any, float]:  # type: ignore[no-untyped-def]
    """Sample ``model`` with the config's sampler: (InferenceData, seconds compiling)."""
    cores = c.cores or min(c.chains, 2)
    log.info("sampling %d chains x %d draws with %s", c.chains, c.draws, c.sampler)
    if c.sampler == "nutpie":
        import nutpie

        t0 = time.perf_counter()
        compiled = nutpie.compile_pymc_model(model)
        compile_s = time.perf_counter() - t0
        idata = nutpie.sample(
            compiled,
            draws=c.draws,
            tune=c.tune,
            chains=c.chains,
            cores=cores,
            seed=seed,
            target_accept=c.target_accept,
            progress_bar=c.progressbar,
            save_warmup=False,
        )
        return idata, compile_s
    with model:
        idata = pm.sample(
            draws=c.draws,
            tune=c.tune,
            chains=c.chains,
            cores=cores,
            random_seed=seed,
            target_accept=c.target_accept,
            progressbar=c.progressbar,
            compute_convergence_checks=False,
        )
    return idata, 0.0
