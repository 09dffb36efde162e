"""Fuzzing the readers: any input gives a value or an SctForecastError, nothing else.

Hypothesis writes arbitrary and near-valid ledgers (CSV and xlsx, long and
wide), scenario files (TOML: nesting, wrong types, huge numbers, unicode,
odd encodings) and SSDA903 folders (broken dates, missing columns, unknown
codes, odd encodings).  Each reader must return its object or raise a typed
error whose message names the file.  The budget is fixed and derandomized so
that CI is reproducible.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from strategies import ledger_files, scenario_files, ssda903_folders, write_files

from sctforecast import Ledger, SctForecastError, read_ledger
from sctforecast.money import MAX_ABS_PENCE
from sctforecast.mtfp import Scenario
from sctforecast.ssda903 import SSDA903Data, read_ssda903

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _read(files, target, reader):
    """``reader(folder / target)`` on the files written to a fresh folder: its value, or the
    typed error it raised after checking that the message names a file it was given."""
    with tempfile.TemporaryDirectory() as folder:
        write_files(folder, files)
        path = Path(folder) / target
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return reader(path)
            except SctForecastError as err:
                # the target, or for a scenario the file it inherits from
                named = {target, *(Path(f).name for f in files)}
                assert any(name in str(err) for name in named), str(err)
                return err


@FUZZ
@given(ledger_files())
def test_read_ledger_returns_a_ledger_or_a_typed_error(case):
    result = _read(*case, read_ledger)
    if isinstance(result, SctForecastError):
        return
    assert isinstance(result, Ledger) and len(result) > 0
    amounts = result.table["amount_pence"]
    assert amounts.dtype == np.int64 and (amounts.abs() <= MAX_ABS_PENCE).all()


@FUZZ
@given(scenario_files())
def test_scenario_from_toml_returns_a_scenario_or_a_typed_error(case):
    result = _read(*case, Scenario.from_toml)
    if isinstance(result, SctForecastError):
        return
    assert isinstance(result, Scenario) and 3 <= result.horizon <= 10
    assert result.config_hash  # the validated scenario can be hashed (json of the raw dict)


@FUZZ
@given(ssda903_folders())
def test_read_ssda903_returns_data_or_a_typed_error(case):
    result = _read(*case, read_ssda903)
    if isinstance(result, SctForecastError):
        return
    assert isinstance(result, SSDA903Data)
    assert result.observed_from is None or result.observed_from <= result.observed_to
