"""Many authorities and many scenarios: partial pooling and a Dask engine."""

from sctforecast.regional.data import AuthorityPanel, read_authority_folder
from sctforecast.regional.engine import ManyResult, make_client, run_tasks
from sctforecast.regional.many import run_many, run_scenario_grid, scenario_grid
from sctforecast.regional.pooled import PooledCareFlowModel
from sctforecast.regional.synthetic import AuthorityTruth, synthetic_authorities

__all__ = [
    "AuthorityPanel",
    "AuthorityTruth",
    "ManyResult",
    "PooledCareFlowModel",
    "make_client",
    "read_authority_folder",
    "run_many",
    "run_scenario_grid",
    "run_tasks",
    "scenario_grid",
    "synthetic_authorities",
]
