"""Resolving the main job's inputs: defaults are the embedded authority, and the
user's data are never mixed silently with it."""

import warnings

import pytest
from authority_b import NAME, POPULATION, make_authority

from sctforecast import ConfigError, DataQualityWarning
from sctforecast.cli import main
from sctforecast.datasets import load_outturn, sandwell_profile
from sctforecast.pipeline import PublishedCounts, RunInputs, SSDA903Returns
from sctforecast.profile import AuthorityProfile


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return make_authority(tmp_path_factory.mktemp("northfield"))


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        yield


def test_nothing_given_is_the_embedded_authority():
    inputs = RunInputs.resolve()
    assert inputs.profile.name == sandwell_profile().name
    assert inputs.ledger is load_outturn()
    assert isinstance(inputs.demand, PublishedCounts)
    assert inputs.scenario.name == "default" and inputs.draws == 2000
    assert inputs.variance is not None and inputs.variance.closes
    assert inputs.notes is not None and len(inputs.notes) > 2
    assert repr(inputs).startswith("<RunInputs \"Sandwell Children's Trust\": scenario 'default'")


def test_the_users_data_make_every_input_theirs(authority):
    inputs = RunInputs.resolve(
        ledger=authority["ledger"],
        ssda903=authority["ssda903"],
        profile=authority["profile"],
        scenario=authority["scenario"],
    )
    assert isinstance(inputs.demand, SSDA903Returns)
    assert inputs.profile.name == NAME and inputs.profile.child_population == POPULATION
    assert inputs.variance is None and inputs.notes is None
    assert inputs.scenario.name == "northfield"


def test_population_option_replaces_the_profile_files(authority):
    inputs = RunInputs.resolve(
        ledger=authority["ledger"],
        ssda903=authority["ssda903"],
        profile=authority["profile"],
        population=50_000,
        scenario=authority["scenario"],
    )
    assert inputs.profile.child_population == 50_000
    assert inputs.profile.name == NAME  # the rest of the file still applies


def test_returns_and_population_alone_name_the_profile_after_the_folder(authority):
    inputs = RunInputs.resolve(
        ledger=authority["ledger"],
        ssda903=authority["ssda903"],
        population=30_000,
        scenario=authority["scenario"],
    )
    assert inputs.profile.name == "returns" and inputs.profile.child_population == 30_000


MIXES = {
    "a ledger but no profile": (
        {"ledger": "ledger"},
        "a ledger of your own needs your authority's profile",
    ),
    "returns without a population": (
        {"ledger": "ledger", "ssda903": "ssda903", "scenario": "scenario"},
        "needs the child population aged 0-17",
    ),
    "returns with the embedded ledger": (
        {"ssda903": "ssda903", "population": 30_000},
        "the baseline ledger is the embedded authority's 2023/24 outturn",
    ),
    "a population with nothing to apply it to": (
        {"population": 30_000},
        "population needs SSDA903 returns or a profile CSV",
    ),
    "a population with the embedded profile": (
        {"profile": "sandwell", "population": 30_000},
        "population applies to a profile built from SSDA903 returns or a profile CSV",
    ),
    "own profile and ledger but the embedded demand": (
        {"ledger": "ledger", "profile": "full_profile", "scenario": "scenario"},
        "your authority's demand needs its SSDA903 returns",
    ),
    "children both in the profile CSV and the returns": (
        {"ledger": "ledger", "ssda903": "ssda903", "profile": "full_profile"},
        "lists children by placement type, and the SSDA903 returns give them too",
    ),
    "too few draws": ({"draws": 50}, "draws must be at least 100"),
    "a sheet without a ledger": ({"sheet": "Outturn"}, "a sheet needs a ledger workbook"),
}


@pytest.mark.parametrize("case", sorted(MIXES))
def test_inputs_that_mix_authorities_or_do_nothing_are_refused(authority, tmp_path, case):
    given, message = MIXES[case]
    full = tmp_path / "full.csv"
    full.write_text(
        f"key,value\nname,{NAME}\nbaseline_year,2023/24\nchild_population,{POPULATION}\n"
        "foster_ifa,100\nfoster_in_house,150\n"
    )
    kwargs = {
        k: (full if v == "full_profile" else authority[v] if v in authority else v)
        for k, v in given.items()
    }
    with pytest.raises(ConfigError) as err:
        RunInputs.resolve(**kwargs)
    assert message in str(err.value)


def test_profile_and_scenario_must_describe_the_same_year(authority):
    profile = AuthorityProfile.from_counts(
        "Elsewhere", baseline_year="2022/23", children={"foster_ifa": 10}, child_population=1e4
    )
    with pytest.raises(ConfigError, match="describes 2022/23 but the scenario's baseline year is"):
        RunInputs.resolve(
            ledger=authority["ledger"],
            ssda903=authority["ssda903"],
            profile=profile,
            scenario=authority["scenario"],
        )


def test_the_command_line_refuses_a_mix_in_one_line(authority, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["run", "--ssda903", str(authority["ssda903"]), "--population", "3e4", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("sctforecast run: error: ") and "embedded authority's" in err
    assert "Traceback" not in err and not out.exists()
