"""MCMC diagnostics after every fit: r_hat, effective sample size, divergences."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sctforecast.errors import ConvergenceWarning

__all__ = ["Diagnostics", "check_convergence", "RHAT_MAX", "ESS_MIN"]

RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass(frozen=True)
class Diagnostics:
    """Per-parameter r_hat and bulk/tail ESS (``table``), divergences, and advice."""

    table: pd.DataFrame
    divergences: int
    n_draws: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def max_r_hat(self) -> float:
        return float(self.table["r_hat"].max())

    @property
    def min_ess_bulk(self) -> float:
        return float(self.table["ess_bulk"].min())

    @property
    def text(self) -> str:
        head = (
            f"max r_hat {self.max_r_hat:.3f}, min bulk ESS {self.min_ess_bulk:.0f}, "
            f"{self.divergences} divergence(s) in {self.n_draws} draws"
        )
        return head if self.ok else head + ". " + " ".join(self.problems)


def check_convergence(
    idata: Any,  # arviz.InferenceData (ArviZ is imported here, not with the library)
    var_names: list[str],
    *,
    warn: bool = True,
    stacklevel: int = 3,
) -> Diagnostics:
    """Compute diagnostics and warn with a :class:`ConvergenceWarning` that says what to change."""
    import arviz as az

    post = idata.posterior
    n_chains = post.sizes["chain"]
    summ = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    table = summ[["r_hat", "ess_bulk", "ess_tail"]].copy()
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    n = int(post.sizes["chain"] * post.sizes["draw"])
    problems = []
    if n_chains > 1:
        bad = table[table["r_hat"] > RHAT_MAX]
        if len(bad):
            worst = bad["r_hat"].idxmax()
            problems.append(
                f"r_hat is {bad['r_hat'].max():.3f} for {worst} (above {RHAT_MAX}): the chains disagree; "
                "run more tuning and draws (tune=2000, draws=2000)."
            )
    low = table[table["ess_bulk"] < min(ESS_MIN, 0.1 * n)]
    if len(low):
        problems.append(
            f"bulk ESS is {low['ess_bulk'].min():.0f} for {low['ess_bulk'].idxmin()}: too few effective draws; "
            "run more draws."
        )
    if div:
        problems.append(
            f"{div} divergent transition(s): raise target_accept (e.g. CareFlowConfig(target_accept=0.95) "
            "or 0.99) and run more tuning (tune=2000)."
        )
    diag = Diagnostics(table=table, divergences=div, n_draws=n, problems=tuple(problems))
    if warn and problems:
        warnings.warn("MCMC diagnostics: " + diag.text, ConvergenceWarning, stacklevel=stacklevel)
    return diag
