"""The forecaster's HTTP contract on Flask's test client, with the sample bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from services.core import features
from services.core.settings import Settings
from services.forecaster.app import create_app
from services.forecaster.runtimes import OnnxRuntime, SavedModelRuntime
from tests.bundle_fixtures import with_inference

LOOKBACK, HORIZON = 48, 24


def lstm_request(hours: int = LOOKBACK, households: int = 1, scale: float = 1.0) -> dict[str, Any]:
    def hour(i: int) -> dict[str, Any]:
        return {
            "ts": features.hour_ts(352_000 + i),
            "global_active_power": scale * (1.0 + 0.6 * np.sin(i / 3.8)),
            "global_reactive_power": 0.1,
            "voltage": 240.0 + (i % 5),
            "global_intensity": scale * 4.5,
            "sub_metering_1": 0.0,
            "sub_metering_2": 1.0,
            "sub_metering_3": float(i % 17),
        }

    return {
        "instances": [
            {"household_id": f"h{n}", "hours": [hour(i) for i in range(hours)]} for n in range(households)
        ]
    }


def prophet_request(as_of: str = "2010-02-15", days: int = 14) -> dict[str, Any]:
    return {
        "household_id": "h1",
        "as_of": as_of,
        "days": [{"date": f"2010-02-{d:02d}", "kwh": 30.0 + d} for d in range(1, days + 1)],
    }


@pytest.fixture(scope="module")
def single(sample_bundles: dict[str, Path]) -> FlaskClient:
    app = create_app(
        Settings.from_env({}), multi_model=False, model_dir=sample_bundles["lstm"], load_in_background=False
    )
    return app.test_client()


@pytest.fixture
def multi(sample_bundles: dict[str, Path]) -> FlaskClient:
    client = create_app(Settings.from_env({}), multi_model=True).test_client()
    for name in ("lstm", "prophet"):
        assert (
            client.post("/models", json={"model_name": name, "url": str(sample_bundles[name])}).status_code
            == 200
        )
    return client


def test_single_model_pings_and_forecasts_the_horizon(single: FlaskClient) -> None:
    assert single.get("/ping").status_code == 200
    response = single.post("/invocations", json=lstm_request(households=2))
    assert response.status_code == 200
    predictions = response.json["predictions"]
    assert [p["household_id"] for p in predictions] == ["h0", "h1"]
    forecast = predictions[0]["forecast"]
    assert [f["ts"] for f in forecast] == [features.hour_ts(352_000 + LOOKBACK + k) for k in range(HORIZON)]
    assert all(f["global_active_power"] >= 0 for f in forecast)


def test_the_server_answers_the_bundles_own_offline_prediction(
    single: FlaskClient, sample_bundles: dict[str, Path]
) -> None:
    request = lstm_request(hours=100)
    served = single.post("/invocations", json=request).json["predictions"][0]["forecast"]
    series = features.series_from_hours(request["instances"][0]["hours"])
    x, scaling = features.model_input(series, features.WindowSpec(LOOKBACK, HORIZON))
    offline = features.decode_forecast(
        OnnxRuntime(sample_bundles["lstm"] / "model.onnx").predict(x[None])[0], scaling
    )
    assert [f["global_active_power"] for f in served] == pytest.approx(offline.tolist(), abs=1e-5)


def test_onnx_and_savedmodel_give_the_same_numbers(sample_bundles: dict[str, Path]) -> None:
    batch = np.random.default_rng(0).normal(size=(64, LOOKBACK, len(features.CHANNELS))).astype(np.float32)
    onnx = OnnxRuntime(sample_bundles["lstm"] / "model.onnx").predict(batch)
    saved = SavedModelRuntime(sample_bundles["lstm"] / "1").predict(batch)
    assert onnx.shape == (64, HORIZON)
    np.testing.assert_allclose(onnx, saved, atol=1e-5)


def test_a_scaled_household_is_forecast_on_its_own_scale(single: FlaskClient) -> None:
    base = single.post("/invocations", json=lstm_request(scale=1.0)).json["predictions"][0]["forecast"]
    tripled = single.post("/invocations", json=lstm_request(scale=3.0)).json["predictions"][0]["forecast"]
    ratios = [t["global_active_power"] / b["global_active_power"] for t, b in zip(tripled, base, strict=True)]
    assert ratios == pytest.approx([3.0] * HORIZON, rel=0.02)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"nope", "application/json", 400, "not JSON"),
        (json.dumps({"instances": []}).encode(), "application/json", 400, "instances"),
        (json.dumps(lstm_request(hours=10)).encode(), "application/json", 400, "needs the last 48 hours"),
        (
            json.dumps({"instances": [{"hours": [{"ts": "yesterday"}]}]}).encode(),
            "application/json",
            400,
            "instances[0]",
        ),
        (b"a,b\n1,2", "text/csv", 415, "Content-Type must be application/json"),
        (json.dumps({"instances": [["not", "an", "object"]]}).encode(), "application/json", 400, "object"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message(single, body, content_type, status, words) -> None:
    response = single.post("/invocations", data=body, content_type=content_type)
    assert response.status_code == status
    assert words in response.json["message"]


def test_png_is_refused_where_the_bundle_offers_none(single: FlaskClient) -> None:
    response = single.post("/invocations", json=lstm_request(), headers={"Accept": "image/png"})
    assert response.status_code == 406 and "application/json" in response.json["message"]


def test_bodies_over_the_limit_are_413(sample_bundles: dict[str, Path]) -> None:
    settings = Settings.from_env({}, forecaster_max_body_bytes=1000)
    client = create_app(
        settings, multi_model=False, model_dir=sample_bundles["lstm"], load_in_background=False
    ).test_client()
    response = client.post("/invocations", data=b"x" * 2000, content_type="application/json")
    assert response.status_code == 413 and response.is_json


def test_unknown_routes_and_methods_answer_json(single: FlaskClient) -> None:
    assert single.get("/nope").status_code == 404 and single.get("/nope").is_json
    assert single.get("/invocations").status_code == 405 and single.get("/invocations").is_json
    assert single.post("/models", json={}).status_code == 400


def test_ping_is_unhealthy_until_the_model_loads(tmp_path: Path) -> None:
    client = create_app(
        Settings.from_env({}), multi_model=False, model_dir=tmp_path, load_in_background=False
    ).test_client()
    assert client.get("/ping").status_code == 503
    assert client.post("/invocations", json={}).status_code == 503


def test_multi_model_lifecycle_with_the_documented_statuses(
    multi: FlaskClient, sample_bundles: dict[str, Path]
) -> None:
    again = multi.post("/models", json={"model_name": "lstm", "url": str(sample_bundles["lstm"])})
    assert again.status_code == 409
    listing = multi.get("/models?max_results=1").json
    assert listing["models"] == [{"modelName": "lstm", "modelUrl": str(sample_bundles["lstm"])}]
    second: dict[str, Any] = multi.get(
        f"/models?max_results=1&next_page_token={listing['nextPageToken']}"
    ).get_json()
    assert [m["modelName"] for m in second["models"]] == ["prophet"] and "nextPageToken" not in second
    described = multi.get("/models/lstm").json
    assert described["flavour"] == "lstm" and described["runtime"] == "onnxruntime"
    assert multi.post("/models/lstm/invoke", json=lstm_request()).status_code == 200
    assert multi.delete("/models/lstm").status_code == 200
    assert multi.post("/models/lstm/invoke", json=lstm_request()).status_code == 404
    assert multi.get("/models/lstm").status_code == 404
    assert multi.delete("/models/lstm").status_code == 404


def test_a_model_that_cannot_fit_is_507(tmp_path: Path, sample_bundles: dict[str, Path]) -> None:
    big = with_inference(
        sample_bundles["prophet"],
        tmp_path / "big",
        "def handler(data, context):\n    return '{}', 'application/json'\n",
    )
    (big / "padding.bin").write_bytes(b"\0" * (2 * 1024 * 1024))
    client = create_app(Settings.from_env({}, forecaster_memory_budget_mb=1), multi_model=True).test_client()
    response = client.post("/models", json={"model_name": "big", "url": str(big)})
    assert response.status_code == 507 and "budget" in response.json["message"]


def test_prophet_projects_the_rest_of_the_month(multi: FlaskClient) -> None:
    answer = multi.post("/models/prophet/invoke", json=prophet_request()).json
    assert answer["month"] == "2010-02" and answer["actual_to_date_kwh"] == sum(
        30.0 + d for d in range(1, 15)
    )
    assert [f["date"] for f in answer["forecast"]] == [f"2010-02-{d:02d}" for d in range(15, 29)]
    for day in answer["forecast"]:
        assert 0 <= day["kwh_lower"] <= day["kwh"] <= day["kwh_upper"]
    low, mid, high = (answer[f"projected_month_kwh{s}"] for s in ("_lower", "", "_upper"))
    assert answer["actual_to_date_kwh"] < low <= mid <= high
    assert mid == pytest.approx(
        answer["actual_to_date_kwh"] + sum(f["kwh"] for f in answer["forecast"]), rel=0.05
    )


def test_prophet_answers_a_png_plot_when_asked(multi: FlaskClient) -> None:
    response = multi.post("/models/prophet/invoke", json=prophet_request(), headers={"Accept": "image/png"})
    assert response.status_code == 200 and response.content_type == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("request_body", "words"),
    [
        ({"household_id": "h1", "as_of": "soon", "days": []}, "as_of"),
        (
            {"household_id": "h1", "as_of": "2010-02-15", "days": [{"date": "2010-01-31", "kwh": 3}]},
            "days[0].date",
        ),
        (
            {"household_id": "h1", "as_of": "2010-02-15", "days": [{"date": "2010-02-01", "kwh": -3}]},
            "days[0].kwh",
        ),
    ],
)
def test_bad_prophet_requests_name_the_field(multi, request_body, words) -> None:
    response = multi.post("/models/prophet/invoke", json=request_body)
    assert response.status_code == 400 and words in response.json["message"]


def test_input_and_output_handlers_run_around_tf_serving_predict(
    tmp_path: Path, sample_bundles: dict[str, Path]
) -> None:
    code = """
        import json
        def input_handler(data, context):
            request = json.loads(data.read())
            return json.dumps({"instances": request["windows"]})
        def output_handler(response, context):
            assert response.status_code == 200
            return json.dumps({"first": response.json()["predictions"][0][0]}), "application/json"
    """
    bundle = with_inference(sample_bundles["lstm"], tmp_path / "io", code)
    client = create_app(
        Settings.from_env({}), multi_model=False, model_dir=bundle, load_in_background=False
    ).test_client()
    window = np.zeros((LOOKBACK, len(features.CHANNELS)), np.float32)
    answer = client.post("/invocations", json={"windows": [window.tolist()]}).json
    expected = OnnxRuntime(bundle / "model.onnx").predict(window[None])[0][0]
    assert answer["first"] == pytest.approx(expected, abs=1e-6)


def test_custom_attributes_reach_the_handler_and_come_back(
    tmp_path: Path, sample_bundles: dict[str, Path]
) -> None:
    code = """
        def handler(data, context):
            return "{}", "application/json", "echo=" + (context.custom_attributes or "")
    """
    bundle = with_inference(sample_bundles["lstm"], tmp_path / "echo", code)
    client = create_app(
        Settings.from_env({}), multi_model=False, model_dir=bundle, load_in_background=False
    ).test_client()
    response = client.post(
        "/invocations", json={}, headers={"X-Amzn-SageMaker-Custom-Attributes": "trace=42"}
    )
    assert response.headers["X-Amzn-SageMaker-Custom-Attributes"] == "echo=trace=42"


def test_the_request_custom_attributes_come_back_when_the_handler_returns_none(
    single: FlaskClient,
) -> None:
    response = single.post(
        "/invocations", json=lstm_request(), headers={"X-Amzn-SageMaker-Custom-Attributes": "trace=7f3a"}
    )
    assert response.status_code == 200
    assert response.headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=7f3a"


@pytest.mark.parametrize(
    ("raised", "status"),
    [("BadRequest('hours: too few')", 400), ("KeyError('hours')", 500), ("TypeError('bug')", 500)],
)
def test_only_the_bundles_declared_bad_input_blames_the_caller(
    tmp_path: Path,
    sample_bundles: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
    raised: str,
    status: int,
) -> None:
    code = f"""
        class BadRequest(ValueError):
            pass
        BAD_INPUT = (BadRequest,)
        def handler(data, context):
            raise {raised}
    """
    bundle = with_inference(sample_bundles["lstm"], tmp_path / "raises", code)
    client = create_app(
        Settings.from_env({}), multi_model=False, model_dir=bundle, load_in_background=False
    ).test_client()
    response = client.post("/invocations", json={})
    assert response.status_code == status and response.is_json
    logged = [r for r in caplog.records if "failed on a request it accepted" in r.getMessage()]
    assert len(logged) == (status == 500)


def test_an_invocation_during_the_load_waits_for_the_model(
    sample_bundles: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from services.forecaster import registry as registry_module

    real_load = registry_module.load_model  # type: ignore[attr-defined]
    release = threading.Event()

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(registry_module, "load_model", slow_load)
    client = create_app(
        Settings.from_env({}), multi_model=False, model_dir=sample_bundles["lstm"]
    ).test_client()
    assert client.get("/ping").status_code == 503  # still loading: /ping says so at once
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    response = client.post("/invocations", json=lstm_request())
    assert response.status_code == 200 and len(response.json["predictions"][0]["forecast"]) == HORIZON
    assert time.monotonic() - started >= 0.4
    assert client.get("/ping").status_code == 200


def test_the_production_app_has_no_runtime_api_path(single: FlaskClient) -> None:
    response = single.post("/endpoints/wattcast-forecaster/invocations", json=lstm_request())
    assert response.status_code == 404 and response.is_json
