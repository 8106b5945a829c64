"""No request may make the forecaster answer 5xx: hypothesis drives methods, paths, headers and
bodies (random, and near-valid ones with a field broken) at a multi-model server with both flavours."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.local.sagemaker_runtime import create_local_app as create_app
from services.core.clients import reset_clients
from services.core.settings import Settings
from tests.unit.test_forecaster_app import lstm_request, prophet_request

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)


def broken(document: Any, path: list[str | int], value: Any) -> Any:
    """A copy of a valid request with the value at `path` (if it exists) replaced."""
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return copy
    with contextlib.suppress(IndexError, TypeError):
        target[path[-1]] = value
    return copy


LSTM_PATHS = [
    ["instances"],
    ["instances", 0],
    ["instances", 0, "hours"],
    ["instances", 0, "hours", 3],
    ["instances", 0, "hours", 3, "ts"],
    ["instances", 0, "hours", 47, "voltage"],
]
PROPHET_PATHS = [["as_of"], ["days"], ["days", 0], ["days", 0, "date"], ["days", 0, "kwh"], ["household_id"]]


@pytest.fixture(scope="module")
def client(sample_bundles: dict[str, Path]) -> Iterator[FlaskClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # target fetches fail fast, on loopback
        patch.setenv("WATTCAST_AWS_MAX_ATTEMPTS", "1")
        reset_clients()
        yield _loaded_client(sample_bundles)
    reset_clients()


def _loaded_client(sample_bundles: dict[str, Path]) -> FlaskClient:
    client = create_app(Settings.from_env(), multi_model=True).test_client()
    for name in ("lstm", "prophet"):
        client.post("/models", json={"model_name": name, "url": str(sample_bundles[name])})
    return client


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.tuples(st.sampled_from(LSTM_PATHS), json_values).map(
        lambda p: json.dumps(broken(lstm_request(), *p)).encode()
    ),
    st.tuples(st.sampled_from(PROPHET_PATHS), json_values).map(
        lambda p: json.dumps(broken(prophet_request(), *p)).encode()
    ),
)
paths = st.sampled_from(
    [
        "/models/lstm/invoke",
        "/models/prophet/invoke",
        "/models",
        "/models/lstm",
        "/invocations",
        "/ping",
        "/models/nope/invoke",
        "/endpoints/wattcast-forecaster/invocations",
        "/endpoints/other/invocations",
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    path=paths,
    body=bodies,
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/csv", "", "*/*"]
    ),
    accept=st.sampled_from(
        ["application/json", "image/png", "*/*", "text/html", "", "image/*, application/json"]
    ),
    target=st.sampled_from([None, "lstm", "../etc/passwd", "prophet/none.tar.gz", "x" * 2000]),
)
def test_no_request_gets_a_5xx(client, method, path, body, content_type, accept, target) -> None:
    headers = {"Accept": accept}
    if target is not None:
        headers["X-Amzn-SageMaker-Target-Model"] = target
    response = client.open(path, method=method, data=body, content_type=content_type, headers=headers)
    assert response.status_code < 500, (response.status_code, response.data[:300])
    if response.status_code >= 400:
        assert response.is_json
