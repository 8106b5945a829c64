from pathlib import Path

import pytest

from services.core.errors import SettingsError
from services.core.settings import Settings


def test_defaults_then_environment_then_explicit_arguments():
    assert Settings.from_env({}).readings_stream == "wattcast-readings"
    env = {
        "WATTCAST_READINGS_STREAM": "from-env",
        "WATTCAST_INGEST_BATCH_SIZE": "250",
        "AWS_REGION": "eu-west-3",
    }
    from_env = Settings.from_env(env)
    assert (from_env.readings_stream, from_env.ingest_batch_size, from_env.region) == (
        "from-env",
        250,
        "eu-west-3",
    )
    assert Settings.from_env(env, readings_stream="explicit").readings_stream == "explicit"
    assert Settings.from_env({"WATTCAST_STACK_DIR": "/tmp/x"}).stack_dir == Path("/tmp/x")


def test_aws_default_region_is_the_fallback():
    assert Settings.from_env({"AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WATTCAST_INGEST_BATCH_SIZE": "many"}, "not a valid int"),
        ({"WATTCAST_INGEST_BATCH_SIZE": "20000"}, "1..10000"),
        ({"WATTCAST_STARTING_POSITION": "NOW"}, "starting_position"),
        ({"WATTCAST_RAW_PREFIX": "raw"}, "end with '/'"),
        ({"WATTCAST_INGEST_MAXIMUM_RECORD_AGE_SECONDS": "10"}, "60..604800"),
    ],
)
def test_bad_values_are_refused_with_the_reason(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_unknown_overrides_are_refused():
    with pytest.raises(SettingsError, match="unknown settings: nope"):
        Settings.from_env({}, nope=1)


def test_every_field_has_its_environment_variable():
    names = Settings.env_names()
    assert names["hourly_table"] == "WATTCAST_HOURLY_TABLE"
    assert len(names) == len(set(names.values()))


def test_the_projection_route_is_the_endpoint_or_the_batch():
    assert Settings().projection_route == "endpoint"
    assert Settings.from_env({"WATTCAST_PROJECTION_ROUTE": "batch"}).projection_route == "batch"
    with pytest.raises(SettingsError, match="projection_route must be one of"):
        Settings.from_env({"WATTCAST_PROJECTION_ROUTE": "nightly"})
