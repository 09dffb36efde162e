"""What ``run-many`` saves and reuses, keyed by what made it.

Every key comes from :func:`sctforecast.cache.result_key`: the content of the
inputs, every setting and the library version (see ``docs/speed.md``).

* The pooled fit of the CSV series: its posterior as NetCDF, keyed by the
  panel's numbers and the model's configuration and seed.
* An authority's forecast from the pooled posterior: keyed by the pooled
  fit's key, the authority, the horizon and its seed.
* An authority folder's forecast (SSDA903 returns, and its ledger, profile and
  scenario when it has them): keyed by the bytes of every file in the folder,
  the run's scenario (as resolved, inheritance included) and the settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sctforecast.cache import ResultCache, content_hash, result_key
from sctforecast.regional.data import AuthorityPanel

__all__ = [
    "POOLED_KIND",
    "fit_pooled",
    "folder_task_key",
    "panel_hash",
    "pooled_key",
    "scenario_setting",
    "series_task_key",
]

log = logging.getLogger(__name__)
POOLED_KIND = "pooled-fit"
#: Variables a saved pooled posterior must hold to be used.
POSTERIOR_VARIABLES = ("a", "g", "b", "d", "season", "season_x")


def panel_hash(panel: AuthorityPanel) -> str:
    """The content of a panel: authorities, periods and every count."""
    return content_hash(
        data={
            "authorities": list(panel.authorities),
            "periods": list(panel.periods),
            "entries": panel.entries,
            "exits": panel.exits,
            "stock": panel.stock,
            "population": panel.population,
            "freq": panel.freq,
        }
    )


def pooled_key(panel: AuthorityPanel, config: Mapping[str, Any], *, random_seed: int) -> str:
    return result_key(
        POOLED_KIND, inputs=panel_hash(panel), settings={**config, "random_seed": random_seed}
    )


def _save_posterior(post: Any, path: Path) -> None:
    out = post.copy()
    out.attrs = {k: v for k, v in out.attrs.items() if isinstance(v, str | int | float)}
    out.to_netcdf(path, engine="h5netcdf")


def _load_posterior(path: Path) -> Any:
    import xarray as xr

    post = xr.load_dataset(path, engine="h5netcdf")
    missing = [v for v in POSTERIOR_VARIABLES if v not in post]
    if missing:
        raise ValueError(f"the saved posterior has no {', '.join(missing)}")
    return post


def fit_pooled(
    panel: AuthorityPanel,
    config: Mapping[str, Any],
    *,
    random_seed: int,
    cache: ResultCache | None,
) -> tuple[Any, bool, str]:
    """The pooled model's posterior (an xarray Dataset, dims chain x draw x ...)
    for ``panel``: the saved one when its key matches, else fitted and saved.
    Returns (posterior, reused, key)."""
    from sctforecast.regional.pooled import PooledCareFlowModel

    key = pooled_key(panel, config, random_seed=random_seed)

    def compute() -> Any:
        model = PooledCareFlowModel(**config).fit(panel, random_seed=random_seed)
        return model.idata.posterior  # type: ignore[attr-defined]

    if cache is None:
        return compute(), False, key
    post, reused = cache.fetch(
        POOLED_KIND, key, ".nc", load=_load_posterior, compute=compute, save=_save_posterior
    )
    if reused:
        log.info("reusing the pooled fit of %d authorities (%s)", panel.A, key)
    return post, reused, key


def series_task_key(pooled: str, authority: str, *, horizon: int, seed: int) -> str:
    """Key of one authority's forecast from the pooled posterior ``pooled``."""
    return result_key(
        "series-forecast",
        inputs=pooled,
        settings={"authority": authority, "horizon": horizon, "seed": seed},
    )


def scenario_setting(scenario: str | os.PathLike[str] | None) -> Any:
    """A scenario as a setting: its resolved content (inheritance applied), so
    editing the file, or a file it inherits from, changes the key."""
    if scenario is None:
        return None
    from sctforecast.mtfp import Scenario

    return Scenario.resolve(scenario).raw


def folder_task_key(folder: str | os.PathLike[str], settings: Mapping[str, Any]) -> str:
    """Key of one authority folder's forecast: every file's bytes and the settings."""
    return result_key("folder-forecast", inputs=content_hash(folder), settings=settings)
