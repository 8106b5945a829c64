"""Terraform for real (opt-in: `make test-terraform`, or pytest -m terraform): init and validate both
roots with the real provider from the offline mirror, then apply `envs/local` against the embedded
emulator, run the pipeline on the resources Terraform created, plan again (no changes) and destroy.

Skipped with the reason where there is no terraform binary or no provider mirror.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from scripts.data.replay import ReplayOptions, replay
from scripts.devtools.terraform_cli import Workspace, provider_mirror
from scripts.local.emulator import MotoEmulator
from scripts.stores.forecasts import forecast_items
from scripts.stores.readings import hourly_rows
from services.core.clients import AwsClients, reset_clients
from services.core.settings import Settings
from tests.functional.test_pipeline_e2e import start_pipeline

MIRROR = provider_mirror()
OPENAPI = Path(__file__).resolve().parents[2] / "services/portal/openapi.yaml"
pytestmark = [
    pytest.mark.terraform,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH"),
    pytest.mark.skipif(
        MIRROR is None, reason="no registry.terraform.io provider mirror (WATTCAST_TF_PLUGIN_DIR)"
    ),
]


@pytest.mark.parametrize("env", ["local", "aws"])
def test_each_root_inits_and_validates_with_the_real_provider(env: str, tmp_path: Path) -> None:
    assert MIRROR is not None
    root = Workspace.copy(tmp_path, env, MIRROR)
    root.init()
    assert json.loads(root.run("validate", "-json").stdout)["valid"] is True


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    moto = MotoEmulator()
    endpoint = moto.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    reset_clients()
    yield endpoint
    moto.stop()


def test_envs_local_applies_runs_the_pipeline_plans_clean_and_destroys(
    emulator: str, sample_bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MIRROR is not None
    root = Workspace.copy(tmp_path, "local", MIRROR)
    root.init()
    endpoint = f"-var=localstack_endpoint={emulator}"
    started = time.monotonic()
    root.run("apply", "-auto-approve", "-input=false", endpoint)
    apply_seconds = time.monotonic() - started
    # moto 5.2.5 keeps no tags that CreateStream carries; the provider's update-in-place sets them.
    root.run("apply", "-auto-approve", "-input=false", endpoint)
    outputs = json.loads(root.run("output", "-json").stdout)
    state = json.loads(root.run("show", "-json").stdout)
    resources = state["values"]["root_module"].get("child_modules", [])
    created = sum(1 for m in resources for r in m.get("resources", []) if r["mode"] == "managed")
    print(f"envs/local: {created} resources applied in {apply_seconds:.0f} s")

    run_pipeline_on(tmp_path, sample_bundles, monkeypatch)

    assert root.run("plan", "-detailed-exitcode", "-input=false", endpoint, ok_codes=(0, 2)).returncode == 0
    root.run("destroy", "-auto-approve", "-input=false", endpoint)
    clients = AwsClients(Settings.from_env())
    assert clients.kinesis.list_streams()["StreamNames"] == []
    assert clients.dynamodb.list_tables()["TableNames"] == []
    assert outputs  # the root's outputs were readable while it stood


def run_pipeline_on(tmp_path: Path, sample_bundles: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay through ingest, preprocess and the forecaster on what Terraform created: no bootstrap."""
    stack = start_pipeline(sample_bundles, tmp_path, monkeypatch, create_resources=False)
    try:
        assert stack.clients is not None
        options = ReplayOptions(
            households=2, days=3, start="2010-01-04", readings_per_record=60, progress=False
        )
        replay(options, stack.clients)
        stack.run_until_idle(idle_seconds=1.0, timeout=300)
        for household in ("h000", "h001"):
            assert len(hourly_rows(stack.clients, household)) == 72
            assert len(forecast_items(stack.clients, household, "lstm")) == 70 - 47 + 1
            assert len(forecast_items(stack.clients, household, "month")) == 2
    finally:
        stack.stop()


def test_envs_aws_first_step_applies_against_the_emulator_plans_clean_and_destroys(
    emulator: str, tmp_path: Path
) -> None:
    # Step one of the two-step apply (no image tags yet): storage, ECR, streams. Step two (functions,
    # mappings, the endpoint) is not applied here: see terraform/README.md.
    assert MIRROR is not None
    root = Workspace.copy(tmp_path, "aws", MIRROR)
    root.point_at_emulator(emulator)
    root.init()
    bucket = "-var=data_bucket=wattcast-data-emulator"
    started = time.monotonic()
    root.run("apply", "-auto-approve", "-input=false", bucket)
    apply_seconds = time.monotonic() - started
    root.run("apply", "-auto-approve", "-input=false", bucket)  # moto's stream tags, as in envs/local
    state = json.loads(root.run("show", "-json").stdout)
    modules = state["values"]["root_module"].get("child_modules", [])
    created = sum(1 for m in modules for r in m.get("resources", []) if r["mode"] == "managed")
    print(f"envs/aws step 1: {created} resources applied in {apply_seconds:.0f} s")
    assert created >= 20
    assert root.run("plan", "-detailed-exitcode", "-input=false", bucket, ok_codes=(0, 2)).returncode == 0
    # As the README tells a platform team: lift the deletion protection with an apply, then destroy.
    unprotected = "-var=deletion_protection=false"
    root.run("apply", "-auto-approve", "-input=false", bucket, unprotected)
    root.run("destroy", "-auto-approve", "-input=false", bucket, unprotected)
    clients = AwsClients(Settings.from_env())
    assert clients.kinesis.list_streams()["StreamNames"] == []
    assert clients.dynamodb.list_tables()["TableNames"] == []


def test_envs_aws_household_api_applies_against_the_emulator_plans_clean_and_destroys(
    emulator: str, tmp_path: Path
) -> None:
    # Step two for the household API alone (the portal image's tag set, the others not): Cognito with
    # its hosted UI, the HTTP API with its JWT authorizer and routes, the three functions, the alerts
    # and statements mappings on the hourly stream, the topic and the schedule.
    assert MIRROR is not None
    root = Workspace.copy(tmp_path, "aws", MIRROR)
    root.point_at_emulator(emulator)
    root.init()
    variables = ["-var=data_bucket=wattcast-data-emulator", '-var=image_tags={portal="emulator"}']
    root.run("apply", "-auto-approve", "-input=false", *variables)
    root.run("apply", "-auto-approve", "-input=false", *variables)  # moto's stream tags, as above
    outputs = json.loads(root.run("output", "-json").stdout)
    clients = AwsClients(Settings.from_env())
    gateway = clients.client("apigatewayv2")
    api_id = outputs["household_api_id"]["value"]
    routes = {r["RouteKey"]: r for r in gateway.get_routes(ApiId=api_id)["Items"]}
    operations = openapi_route_keys()
    public = [key for key, is_public in operations.items() if is_public]
    assert set(public) == {"GET /", "GET /operator", "GET /app/{file}", "GET /page-config"}
    assert set(routes) == set(operations)
    for key in public:  # the pages and what they load: no authorizer
        assert routes[key]["AuthorizationType"] == "NONE" and not routes[key].get("AuthorizerId"), key
    secured = [route for key, route in routes.items() if key not in public]
    assert len(secured) >= 10 and {r["AuthorizationType"] for r in secured} == {"JWT"}
    [authorizer_id] = {r["AuthorizerId"] for r in secured}
    authorizer = gateway.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    pool = outputs["household_api_user_pool_id"]["value"]
    assert authorizer["JwtConfiguration"]["Issuer"].endswith(f"/{pool}")
    cognito = clients.client("cognito-idp")
    attributes = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["SchemaAttributes"]
    assert "custom:household_id" in {a["Name"] for a in attributes}
    # The hosted UI: an implicit-grant client returning to the pages, and the URL the pages link to.
    client_id = outputs["household_api_user_pool_client_id"]["value"]
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
    assert client["AllowedOAuthFlows"] == ["implicit"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    page = outputs["household_api_page_url"]["value"]
    assert page.endswith("/") and set(client["CallbackURLs"]) >= {page, f"{page}operator"}
    sign_in = outputs["household_api_sign_in_url"]["value"]
    assert f"client_id={client_id}&response_type=token&scope=openid&redirect_uri=" in sign_in, sign_in
    assert sign_in.endswith(quote(page, safe="")), sign_in
    domain = sign_in.removeprefix("https://").split(".auth.")[0]
    assert cognito.describe_user_pool_domain(Domain=domain)["DomainDescription"]["UserPoolId"] == pool
    lambdas = clients.client("lambda")
    portal = lambdas.get_function_configuration(
        FunctionName=outputs["household_api_portal_lambda_function_name"]["value"]
    )
    assert portal["Environment"]["Variables"]["WATTCAST_PORTAL_SIGN_IN_URL"] == sign_in
    # The statements function and its mapping on the hourly stream (the alerts one's semantics).
    name = outputs["household_api_statements_lambda_function_name"]["value"]
    assert name == Settings().statements_function
    statements = lambdas.get_function_configuration(FunctionName=name)
    assert (statements["Timeout"], statements["MemorySize"]) == (300, 1024)
    # moto matches FunctionName as given at creation (Terraform gives the ARN); AWS takes either.
    arn = statements["FunctionArn"]
    [mapping] = lambdas.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
    assert mapping["EventSourceArn"] == outputs["hourly_stream_arn"]["value"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    topics = [t["TopicArn"] for t in clients.client("sns").list_topics()["Topics"]]
    assert outputs["household_api_alerts_topic_arn"]["value"] in topics
    assert root.run("plan", "-detailed-exitcode", "-input=false", *variables, ok_codes=(0, 2)).returncode == 0
    unprotected = "-var=deletion_protection=false"
    root.run("apply", "-auto-approve", "-input=false", *variables, unprotected)
    root.run("destroy", "-auto-approve", "-input=false", *variables, unprotected)
    assert clients.dynamodb.list_tables()["TableNames"] == []


def openapi_route_keys() -> dict[str, bool]:
    """`METHOD /path` of each services/portal/openapi.yaml operation -> public (`security: []`)."""
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return {
        f"{method.upper()} {path}": operation.get("security") == []
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete", "head", "options")
    }
