"""Save and load a fitted :class:`CareFlowModel` as NetCDF (never pickle).

The posterior is written with, in its attributes, the library version, the
config and its hash, the data, the placement mix and the population
projection, so a loaded model forecasts exactly as the saved one did.
Loading refuses a file from another minor version of the library, another
model, or whose config no longer matches its hash.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from sctforecast.errors import DataValidationError, ModelVersionError

if TYPE_CHECKING:
    from sctforecast.demand.aggregate import CareFlowModel

__all__ = ["save_care_flow_model", "load_care_flow_model", "MODEL_NAME"]

MODEL_NAME = "CareFlowModel"
#: Bumped when the model's parameters change meaning: files of another layout are refused.
LAYOUT = "ou-2"


def save_care_flow_model(model: CareFlowModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically."""
    import sctforecast
    from sctforecast._io import atomic_file

    data = model._require()[1]
    meta = {
        "sctforecast_model": MODEL_NAME,
        "sctforecast_layout": LAYOUT,
        "sctforecast_version": sctforecast.__version__,
        "config_json": json.dumps(asdict(model.config)),
        "config_hash": model.config.hash,
        "data_json": json.dumps(data.to_json_dict()),
        "mix_json": json.dumps(model.mix),
        "population_json": json.dumps(
            None if model.population is None else model.population.to_json_list()
        ),
    }
    post = model.posterior_dataset().copy()
    post.attrs = {
        **{k: v for k, v in post.attrs.items() if isinstance(v, str | int | float)},
        **meta,
    }
    with atomic_file(path) as tmp:
        post.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def load_care_flow_model(path: str | Path) -> CareFlowModel:
    """Read a model written by :func:`save_care_flow_model`."""
    import sctforecast
    from sctforecast.demand.aggregate import CareFlowConfig, CareFlowModel
    from sctforecast.demand.data import CareFlowData
    from sctforecast.demand.population import PopulationProjection

    p = Path(path)
    if not p.exists():
        raise DataValidationError(f"{p}: no such saved model")
    try:
        post = xr.load_dataset(p, engine="h5netcdf")
    except Exception as err:  # noqa: BLE001 - any read failure is a bad file
        raise DataValidationError(f"{p}: not a saved sctforecast model ({err})") from err
    a = post.attrs
    if a.get("sctforecast_model") != MODEL_NAME:
        raise ModelVersionError(f"{p}: holds {a.get('sctforecast_model')!r}, not a {MODEL_NAME}")
    saved, now = str(a.get("sctforecast_version")), sctforecast.__version__
    if saved.split(".")[:2] != now.split(".")[:2]:
        raise ModelVersionError(
            f"{p}: saved by sctforecast {saved}, this is {now}; refit the model with this version"
        )
    if a.get("sctforecast_layout") != LAYOUT:
        raise ModelVersionError(
            f"{p}: saved with model layout {a.get('sctforecast_layout')!r}, this library reads {LAYOUT!r}; refit"
        )
    config = CareFlowConfig(**json.loads(a["config_json"]))
    if config.hash != a.get("config_hash"):
        raise ModelVersionError(
            f"{p}: the stored config does not match its hash; the file was changed"
        )
    data = CareFlowData.from_json_dict(json.loads(a["data_json"]))
    pop = json.loads(a["population_json"])
    model = CareFlowModel(
        config,
        mix=json.loads(a["mix_json"]),
        population=None if pop is None else PopulationProjection.from_json_list(pop),
    )
    post.attrs = {}
    model._posterior, model.data = post, data  # ArviZ wraps it only if asked for idata
    return model
