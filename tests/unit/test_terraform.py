"""terraform/, checked statically (python-hcl2, no terraform binary, no network).

1. every .tf parses; 2. the wiring resolves as `terraform validate` would check it; 3. the names, keys,
environment variables and mapping knobs Terraform gives the services equal services/core/settings.py,
tables.py and mappings.py; 4. every variable is described and typed; plus the security conventions.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.devtools import terraform as tf_checks
from scripts.devtools.terraform import (
    TERRAFORM_DIR,
    TfDir,
    expression,
    load_tree,
    optional_defaults,
    references,
)
from scripts.local.mappings import (
    EventSourceMapping,
    accuracy_mapping,
    alerts_mapping,
    ingest_mapping,
    preprocess_mapping,
    statements_mapping,
)
from scripts.local.tables import table_specs
from services.core.settings import Settings

SETTINGS = Settings()
DEFAULTS: dict[str, Any] = {f.name: getattr(SETTINGS, f.name) for f in dataclasses.fields(Settings)}
ENV_TO_FIELD = {env: name for name, env in Settings.env_names().items()}
MODULES = (
    "accuracy", "household_api", "kinesis_stream", "lambda_image_function", "monitoring",
    "nightly_projections", "retraining", "sagemaker_endpoint", "storage",
)  # fmt: skip
ROOTS = ("envs/aws", "envs/local")
NAME_FIELDS = (
    "readings_stream", "hourly_stream", "forecasted_stream", "data_bucket", "raw_prefix",
    "dead_letter_prefix", "models_prefix", "hourly_table", "households_table", "forecasts_table",
    "settings_table", "alerts_table", "accuracy_table", "dead_letter_queue", "stream_failures_queue",
    "operations_topic", "metrics_namespace", "model_pointer_prefix",
)  # fmt: skip
# The Settings fields the household API module takes (names, the API's contract, the alerts and
# statements knobs, and what the operator page watches).
HOUSEHOLD_API_FIELDS = (
    "hourly_table", "households_table", "forecasts_table", "settings_table", "alerts_table", "alerts_topic",
    "alerts_function", "portal_household_claim", "portal_operator_group", "portal_max_range_hours",
    "alerts_batch_size", "alerts_batching_window_seconds", "alerts_maximum_retry_attempts",
    "alerts_maximum_record_age_seconds", "alerts_function_timeout_seconds", "silent_sweep_interval_seconds",
    "starting_position", "data_bucket", "statements_prefix", "statement_link_seconds", "statements_function",
    "statements_batch_size", "statements_batching_window_seconds", "statements_maximum_retry_attempts",
    "statements_maximum_record_age_seconds", "statements_function_timeout_seconds", "pipeline_window_minutes",
    "dead_letter_queue", "stream_failures_queue", "ingest_function", "preprocess_function",
    "metrics_namespace",
)  # fmt: skip
# The Settings fields the accuracy, monitoring and retraining modules take.
ACCURACY_FIELDS = (
    "accuracy_function", "hourly_table", "forecasts_table", "accuracy_table", "data_bucket",
    "models_prefix", "model_pointer_prefix", "metrics_namespace", "accuracy_ttl_days",
    "accuracy_window_days", "drift_multiple", "drift_days", "drift_sweep_interval_seconds",
    "starting_position", "accuracy_batch_size", "accuracy_batching_window_seconds",
    "accuracy_maximum_retry_attempts", "accuracy_maximum_record_age_seconds",
    "accuracy_function_timeout_seconds",
)  # fmt: skip
MONITORING_FIELDS = (
    "operations_topic", "metrics_namespace", "dead_letter_queue", "stream_failures_queue",
    "forecaster_endpoint",
)  # fmt: skip
# Settings fields Terraform fills in from what it created (their Settings default is empty).
MADE_BY_TERRAFORM = ("alerts_topic_arn", "operations_topic_arn")
RETRAINING_FIELDS = (
    "hourly_table", "households_table", "data_bucket", "models_prefix", "model_pointer_prefix",
    "retrain_holdout_days", "metrics_namespace",
)  # fmt: skip
# What `python -m services.projections` reads (the batch projection route's processing job).
PROJECTIONS_FIELDS = (
    "households_table", "hourly_table", "forecasts_table", "data_bucket", "models_prefix",
    "model_pointer_prefix", "prophet_default_model", "allowed_lateness_seconds", "metrics_namespace",
)  # fmt: skip
# Module calls inside a module of the aws root: the call's name -> the aws root's module that holds it.
WRAPPED = {"portal": "household_api", "alerts": "household_api", "statements": "household_api",
           "accuracy": "accuracy", "sweep": "accuracy"}  # fmt: skip
OPENAPI = Path(__file__).resolve().parents[2] / "services/portal/openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
ECR_REPOSITORIES = {
    "ingest": "wattcast-ingest",
    "preprocess": "wattcast-preprocess",
    "forecaster": "wattcast-forecaster",
    "portal": "wattcast-portal",
    "accuracy": "wattcast-accuracy",
    "trainer": "wattcast-trainer",
}
MAPPINGS = {
    "ingest": ingest_mapping,
    "preprocess": preprocess_mapping,
    "alerts": alerts_mapping,
    "statements": statements_mapping,
    "accuracy": accuracy_mapping,
}


@pytest.fixture(scope="module")
def tree() -> dict[Path, TfDir]:
    return load_tree()


def tf(tree: dict[Path, TfDir], name: str) -> TfDir:
    return tree[(TERRAFORM_DIR / name).resolve()]


def var_of(value: Any) -> str:
    """The variable a value is exactly (`"${var.x}"` -> "x"); fails for anything else."""
    expr = expression(value)
    assert expr is not None and re.fullmatch(r"var\.\w+", expr), f"{value!r} is not a plain var reference"
    return expr.removeprefix("var.")


# ---------------------------------------------------------------- 1. parsing and layout


def test_every_tf_file_parses():
    files = sorted(p for p in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in p.parts)
    parsed = [tf_checks.parse_file(p) for p in files]
    assert len(files) >= 30 and all(isinstance(p, dict) and p for p in parsed)


def test_layout(tree):
    for module in MODULES:
        for file in ("main.tf", "iam.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (TERRAFORM_DIR / "modules" / module / file).is_file(), f"modules/{module}/{file}"
    for root in ROOTS:
        assert (TERRAFORM_DIR / root / "README.md").is_file()
        assert tf(tree, root).modules, root
    assert (TERRAFORM_DIR / "envs/aws/example.tfvars").is_file()


def test_example_tfvars_sets_only_declared_variables_and_attributes(tree):
    variables = tf(tree, "envs/aws").variables
    example = tf_checks.parse_file(TERRAFORM_DIR / "envs/aws/example.tfvars")
    for name, value in example.items():
        if name.startswith("__"):
            continue
        assert name in variables, f"example.tfvars sets undeclared {name!r}"
        if isinstance(value, dict) and str(variables[name]["type"]).startswith("${object("):
            attributes = set(re.findall(r"(\w+)\s*=", variables[name]["type"]))
            assert {k for k in value if not k.startswith("__")} <= attributes, name


# ---------------------------------------------------------------- 2. wiring (like terraform validate)


def test_references_resolve(tree):
    assert [p for d in tree.values() for p in tf_checks.check_references(d, tree)] == []


def test_module_calls_pass_declared_and_required_variables(tree):
    assert [p for d in tree.values() for p in tf_checks.check_module_calls(d, tree)] == []


def test_outputs_are_described_and_named_after_what_they_expose(tree):
    assert [p for d in tree.values() for p in tf_checks.check_outputs(d)] == []


def test_nothing_declared_is_unused(tree):
    assert [p for d in tree.values() for p in tf_checks.check_unused(d)] == []


def test_the_checker_catches_broken_wiring(tmp_path):
    module, root = tmp_path / "modules" / "m", tmp_path / "root"
    module.mkdir(parents=True)
    root.mkdir()
    (module / "main.tf").write_text(
        'variable "needed" {\n  description = "d"\n  type = string\n}\n'
        'resource "aws_sqs_queue" "q" {\n  name = var.needed\n}\n'
        'output "sqs_queue_arn" {\n  description = "d"\n  value = aws_sqs_queue.q.arn\n}\n'
    )
    (root / "main.tf").write_text(
        'module "m" {\n  source = "../modules/m"\n  unknown = var.missing\n}\n'
        'output "m_arn" {\n  description = "d"\n  value = module.m.nope\n}\n'
        'output "x" {\n  description = "d"\n  value = aws_s3_bucket.ghost.arn\n}\n'
    )
    tree = {d: tf_checks.load_dir(d) for d in (module.resolve(), root.resolve())}
    problems = "\n".join(tf_checks.check_tree(tree))
    assert "var 'missing' is not declared" in problems
    assert "module.m has no output 'nope'" in problems
    assert "resource 'aws_s3_bucket.ghost' is not declared" in problems
    assert "passes 'unknown'" in problems and "misses required variable 'needed'" in problems


# ---------------------------------------------------------------- 3. the contract with the services


STREAMS = ("readings_stream", "hourly_stream", "forecasted_stream")


@pytest.mark.parametrize(
    ("directory", "names"),
    [
        *((root, NAME_FIELDS) for root in ROOTS),
        ("modules/storage", [n for n in NAME_FIELDS if n not in (*STREAMS, *MONITORING_FIELDS)]),
        ("modules/household_api", HOUSEHOLD_API_FIELDS),
        ("modules/accuracy", ACCURACY_FIELDS),
        ("modules/monitoring", MONITORING_FIELDS),
        ("modules/retraining", RETRAINING_FIELDS),
        ("modules/nightly_projections", PROJECTIONS_FIELDS),
    ],
)
def test_variables_named_after_settings_default_to_them(tree, directory, names):
    variables = tf(tree, directory).variables
    shared = sorted(set(variables) & set(DEFAULTS) - set(MADE_BY_TERRAFORM))
    assert set(names) <= set(shared), "every resource name is a variable"
    for name in shared:
        assert variables[name].get("default") == DEFAULTS[name], f"{directory}: var.{name}"


def test_the_aws_root_has_every_name_and_mapping_knob_of_settings(tree):
    prefixes = ("ingest_", "preprocess_", "alerts_", "statements_", "accuracy_", "drift_")
    knobs = {n for n in DEFAULTS if n.startswith(prefixes)}
    knobs = knobs - {"alerts_topic_arn"} | {"starting_position"}  # the ARN exists once Terraform made it
    names = {*NAME_FIELDS, *HOUSEHOLD_API_FIELDS, *ACCURACY_FIELDS, *MONITORING_FIELDS, *RETRAINING_FIELDS}
    names |= {*PROJECTIONS_FIELDS, "projection_route"}
    names |= {"forecaster_endpoint", "ingest_function", "preprocess_function", "lstm_target_model"}
    names |= {"prophet_default_model"}
    assert names | knobs <= set(tf(tree, "envs/aws").variables)


TOPIC = {"operations_topic_arn": "module.monitoring.sns_topic_arn"}
ENDPOINT = "local.forecaster_on ? module.forecaster[0].sagemaker_endpoint_name : null"


@pytest.mark.parametrize(
    ("call", "fields", "made_here"),
    [
        ("accuracy", ACCURACY_FIELDS, TOPIC),
        ("retraining", RETRAINING_FIELDS, TOPIC),
        ("nightly_projections", PROJECTIONS_FIELDS, TOPIC),
        ("monitoring", MONITORING_FIELDS, {"forecaster_endpoint": ENDPOINT}),  # once the endpoint exists
    ],
)
def test_the_aws_root_feeds_the_new_modules_their_settings_variables(tree, call, fields, made_here):
    body = tf(tree, "envs/aws").modules[call]
    shared = set(tf(tree, f"modules/{call}").variables) & set(DEFAULTS)
    assert set(fields) <= shared
    for name in sorted(shared):
        if name in made_here:
            assert expression(body[name]) == made_here[name], name
        else:
            assert var_of(body[name]) == name, f"{call}: {name} = {body[name]}"


def test_the_aws_root_feeds_the_household_api_its_settings_variables(tree):
    call = tf(tree, "envs/aws").modules["household_api"]
    shared = set(tf(tree, "modules/household_api").variables) & set(DEFAULTS)
    assert set(HOUSEHOLD_API_FIELDS) <= shared
    for name in sorted(shared):
        assert var_of(call[name]) == name, f"household_api: {name} = {call[name]}"
    assert expression(call["count"]) == "var.image_tags.portal == null ? 0 : 1"
    assert expression(call["image_uri"]) == "local.images.portal"
    assert expression(call["dynamodb_table_arns"]) == "module.storage.dynamodb_table_arns"
    assert expression(call["hourly_stream_arn"]) == "module.hourly_stream.kinesis_stream_arn"
    assert expression(call["stream_failures_queue_arn"]) == 'module.storage.sqs_queue_arns["stream_failures"]'
    assert expression(call["dead_letter_queue_arn"]) == 'module.storage.sqs_queue_arns["dead_letter"]'
    assert expression(call["data_bucket_arn"]) == "module.storage.s3_bucket_arn"
    root, module = tf(tree, "envs/aws").variables, tf(tree, "modules/household_api").variables
    for handler in ("portal_handler", "alerts_handler", "statements_handler"):
        assert var_of(call[handler]) == handler
        assert root[handler]["default"] == module[handler]["default"], handler


def test_the_aws_roots_household_api_defaults_are_the_modules(tree):
    type_ = tf(tree, "envs/aws").variables["household_api"]["type"]
    module = tf(tree, "modules/household_api").variables
    defaults = optional_defaults(type_)
    assert len(defaults) >= 15
    for attribute, default in defaults.items():
        assert module[attribute]["default"] == default, attribute
    call = tf(tree, "envs/aws").modules["household_api"]
    for attribute in re.findall(r"(\w+)\s*=\s*optional\(", type_):
        assert expression(call[attribute]) == f"var.household_api.{attribute}", attribute


def test_table_keys_equal_table_specs(tree):
    storage = tf(tree, "modules/storage")
    terraform_tables = {}
    for table in storage.locals["tables"].values():
        name = storage.variables[var_of(table["name"])]["default"]
        terraform_tables[name] = (table["hash_key"], table["range_key"], table["ttl_attribute"])
    services_tables = {s.name: (s.hash_key, s.range_key, s.ttl_attribute) for s in table_specs(SETTINGS)}
    assert terraform_tables == services_tables
    table = storage.resources["aws_dynamodb_table.this"]
    assert [a["type"] for a in table["attribute"]] == ["S"] and "S" in str(table["dynamic"])
    assert table["point_in_time_recovery"][0]["enabled"] is True


def function_calls(tree: dict[Path, TfDir]) -> dict[str, dict[str, Any]]:
    """Every lambda_image_function call, by call name: the aws root's and those of the household API and
    accuracy modules (an environment given as one local is that local's map)."""
    calls = {}
    for directory in ("envs/aws", "modules/household_api", "modules/accuracy"):
        for call, body in tf(tree, directory).modules.items():
            if str(body["source"]).endswith("/lambda_image_function"):
                local = re.fullmatch(r"local\.(\w+)", expression(body.get("environment")) or "")
                environment = tf(tree, directory).locals[local.group(1)] if local else body.get("environment")
                calls[call] = {**body, "environment": environment}
    return calls


def test_function_environment_is_settings_names_fed_by_matching_variables(tree):
    calls = function_calls(tree)
    assert set(calls) == {"ingest", "preprocess", "portal", "alerts", "statements", "accuracy", "sweep"}
    # What the household API module creates itself: the topic, and the hosted UI's sign-in URL.
    made_here = {
        "WATTCAST_ALERTS_TOPIC_ARN": "aws_sns_topic.alerts.arn",
        "WATTCAST_PORTAL_SIGN_IN_URL": "local.sign_in_url",
    }
    for call, body in calls.items():
        for env_name, value in body["environment"].items():
            assert env_name in ENV_TO_FIELD, f"{call}: {env_name} is not in Settings.env_names()"
            if env_name in made_here:
                assert expression(value) == made_here[env_name], call
                continue
            assert var_of(value) == ENV_TO_FIELD[env_name], f"{call}: {env_name} = {value}"
    uses = {
        "ingest": {"readings_stream", "hourly_stream", "data_bucket", "raw_prefix", "dead_letter_prefix",
                   "hourly_table", "households_table", "dead_letter_queue", "allowed_lateness_seconds",
                   "max_clock_skew_seconds", "metrics_namespace"},
        "preprocess": {"hourly_stream", "forecasted_stream", "hourly_table", "forecasts_table",
                       "forecaster_endpoint", "model_pointer_prefix", "metrics_namespace",
                       "projection_route"},
        "portal": {"hourly_table", "forecasts_table", "households_table", "settings_table", "alerts_table",
                   "portal_household_claim", "portal_operator_group", "portal_max_range_hours",
                   "portal_sign_in_url", "data_bucket", "statements_prefix", "statement_link_seconds",
                   "dead_letter_queue", "stream_failures_queue", "ingest_function", "preprocess_function",
                   "alerts_function", "statements_function", "pipeline_window_minutes", "metrics_namespace",
                   "accuracy_table"},
        "alerts": {"hourly_table", "forecasts_table", "households_table", "settings_table", "alerts_table",
                   "alerts_topic_arn", "metrics_namespace"},
        "statements": {"hourly_table", "forecasts_table", "households_table", "settings_table", "data_bucket",
                       "statements_prefix", "metrics_namespace"},
    }  # fmt: skip
    accuracy = {"hourly_table", "forecasts_table", "accuracy_table", "data_bucket", "models_prefix",
                "model_pointer_prefix", "operations_topic_arn", "drift_multiple", "drift_days",
                "accuracy_window_days", "accuracy_ttl_days", "metrics_namespace"}  # fmt: skip
    uses |= {"accuracy": accuracy, "sweep": accuracy}
    for call, fields in uses.items():
        assert {ENV_TO_FIELD[e] for e in calls[call]["environment"]} == fields, call


@pytest.mark.parametrize("root", ROOTS)
def test_service_environment_outputs_name_settings(tree, root):
    environment = tf(tree, root).outputs["service_environment"]["value"]
    wattcast = {k: v for k, v in environment.items() if k.startswith("WATTCAST_")}
    assert {ENV_TO_FIELD[k] for k in wattcast} >= set(NAME_FIELDS)
    # The topic's ARN exists once Terraform made it (the monitoring module's output, through a local).
    assert expression(wattcast.pop("WATTCAST_OPERATIONS_TOPIC_ARN")) == "local.operations_topic_arn"
    assert tf(tree, root).locals["operations_topic_arn"] == "${module.monitoring.sns_topic_arn}"
    for env_name, value in wattcast.items():
        assert var_of(value) == ENV_TO_FIELD[env_name]


def in_aws_root(tree: dict[Path, TfDir], call: str, value: Any) -> str | None:
    """The aws root's expression behind a value: itself, or for a call inside a module of the root
    (modules/household_api, modules/accuracy: `var.x`), what the root passes that module as `x`."""
    if call in WRAPPED:
        value = tf(tree, "envs/aws").modules[WRAPPED[call]][var_of(value)]
    return expression(value)


@pytest.mark.parametrize(
    ("call", "source", "prefix"),
    [
        ("ingest", "readings", "ingest"),
        ("preprocess", "hourly", "preprocess"),
        ("alerts", "hourly", "alerts"),
        ("statements", "hourly", "statements"),
        ("accuracy", "forecasted", "accuracy"),
    ],
)
def test_mapping_knobs_are_the_settings_variables(tree, call, source, prefix):
    body = function_calls(tree)[call]
    (mapping,) = body["event_source_mappings"].values()
    knobs = {
        "batch_size": f"{prefix}_batch_size",
        "maximum_batching_window_in_seconds": f"{prefix}_batching_window_seconds",
        "maximum_retry_attempts": f"{prefix}_maximum_retry_attempts",
        "maximum_record_age_in_seconds": f"{prefix}_maximum_record_age_seconds",
        "starting_position": "starting_position",
    }
    for argument, field in knobs.items():
        assert var_of(mapping[argument]) == field, argument
    assert var_of(body["timeout"]) == f"{prefix}_function_timeout_seconds"
    assert var_of(body["function_name"]) == f"{prefix}_function"
    expected = MAPPINGS[call](SETTINGS)
    assert mapping["report_batch_item_failures"] is expected.report_batch_item_failures
    assert mapping["bisect_batch_on_function_error"] is expected.bisect_batch_on_function_error
    assert expected.stream_name == DEFAULTS[f"{source}_stream"]
    assert expected.on_failure_queue == SETTINGS.stream_failures_queue
    stream_arn = f"module.{source}_stream.kinesis_stream_arn"
    assert in_aws_root(tree, call, mapping["event_source_arn"]) == stream_arn
    assert (
        in_aws_root(tree, call, mapping["on_failure_destination_arn"])
        == 'module.storage.sqs_queue_arns["stream_failures"]'
    )
    assert var_of(tf(tree, "envs/aws").modules[f"{source}_stream"]["name"]) == f"{source}_stream"
    (command,) = body["image_command"]
    declared = tf(tree, f"modules/{WRAPPED[call]}" if call in WRAPPED else "envs/aws")
    assert declared.variables[var_of(command)]["default"] == expected.handler


def test_module_mapping_defaults_are_event_source_mapping_defaults(tree):
    type_ = tf(tree, "modules/lambda_image_function").variables["event_source_mappings"]["type"]
    defaults = optional_defaults(type_)
    fields = {f.name: f.default for f in dataclasses.fields(EventSourceMapping)}
    pairs = {
        "batch_size": "batch_size",
        "maximum_batching_window_in_seconds": "maximum_batching_window_seconds",
        "starting_position": "starting_position",
        "report_batch_item_failures": "report_batch_item_failures",
        "bisect_batch_on_function_error": "bisect_batch_on_function_error",
        "maximum_retry_attempts": "maximum_retry_attempts",
        "maximum_record_age_in_seconds": "maximum_record_age_seconds",
        "enabled": "enabled",
    }
    for argument, field in pairs.items():
        assert defaults[argument] == fields[field], argument


def test_images_repositories_and_handlers(tree):
    aws = tf(tree, "envs/aws")
    assert optional_defaults(aws.variables["ecr_repositories"]["type"]) == ECR_REPOSITORIES
    assert set(tf(tree, "modules/storage").variables["ecr_repositories"]["default"]) == set(
        ECR_REPOSITORIES.values()
    )
    assert aws.variables["ingest_handler"]["default"] == ingest_mapping(SETTINGS).handler
    assert aws.variables["accuracy_handler"]["default"] == accuracy_mapping(SETTINGS).handler
    assert var_of(aws.modules["forecaster"]["endpoint_name"]) == "forecaster_endpoint"
    # Each new module is created once its image's tag is set, from that image.
    for call, image in (("accuracy", "accuracy"), ("retraining", "trainer")):
        assert expression(aws.modules[call]["count"]) == f"var.image_tags.{image} == null ? 0 : 1"
        assert expression(aws.modules[call]["image_uri"]) == f"local.images.{image}"
    assert "image_tags.accuracy" not in str(aws.modules["monitoring"].get("count"))  # monitoring: step one
    # The nightly projections: on the batch route only, from the forecaster image they share the
    # bundle runtime with.
    projections = aws.modules["nightly_projections"]
    assert expression(projections["count"]) == (
        'var.projection_route == "batch" && var.image_tags.forecaster != null ? 1 : 0'
    )
    assert expression(projections["image_uri"]) == "local.images.forecaster"


def test_each_function_may_touch_exactly_what_it_uses(tree):
    calls = function_calls(tree)
    ingest, preprocess = (
        str({k: v for k, v in calls[c].items() if k not in ("environment", "event_source_mappings")})
        for c in ("ingest", "preprocess")
    )
    needles = ("module.hourly_stream", '["hourly"]', '["households"]', '["dead_letter"]')
    for needle in (*needles, "var.raw_prefix", "var.dead_letter_prefix"):
        assert needle in ingest, needle
    assert "sagemaker_endpoint_arns" not in ingest and '["forecasts"]' not in ingest
    for needle in ("module.forecaster", '["hourly"]', '["forecasts"]'):
        assert needle in preprocess, needle
    for absent in ("s3_write_prefixes", "sqs_send_queue_arns", '["households"]'):
        assert absent not in preprocess, absent
    # Preprocess announces the hours it forecast on the forecasted stream only, and reads the pointers.
    puts = [expression(a) for a in calls["preprocess"]["kinesis_put_stream_arns"]]
    assert puts == ["module.forecasted_stream.kinesis_stream_arn"]
    pointers = "values(module.storage.model_pointer_parameter_arns)"
    assert expression(calls["preprocess"]["ssm_read_parameter_arns"]) == pointers


def table_roles(directory: TfDir, value: Any) -> list[str]:
    """The tables (by role of var.dynamodb_table_arns) a list of ARNs names, through one local."""
    local = re.fullmatch(r"local\.(\w+)", expression(value) or "")
    if local:
        value = directory.locals[local.group(1)]
    roles = [re.fullmatch(r"var\.dynamodb_table_arns\.(\w+)", expression(v) or "") for v in value]
    assert all(roles), value
    return sorted(r.group(1) for r in roles if r)


def s3_prefixes(directory: TfDir, value: Any) -> list[tuple[str | None, str | None]]:
    """(bucket ARN, prefix) expressions of an s3_*_prefixes list, through locals."""
    local = re.fullmatch(r"local\.(\w+)", expression(value) or "")
    items = directory.locals[local.group(1)] if local else value
    pairs = []
    for item in items:
        named = re.fullmatch(r"local\.(\w+)", expression(item) or "")
        entry = directory.locals[named.group(1)] if named else item
        pairs.append((expression(entry["bucket_arn"]), expression(entry["prefix"])))
    return pairs


def test_the_household_api_functions_may_touch_exactly_what_they_use(tree):
    module = tf(tree, "modules/household_api")
    calls = function_calls(tree)
    every_table = sorted(["hourly", "forecasts", "households", "settings", "alerts"])
    arguments = ("dynamodb_read_table_arns", "dynamodb_write_table_arns", "dynamodb_scan_table_arns")
    grants = {
        call: {a: table_roles(module, calls[call][a]) for a in arguments if a in calls[call]}
        for call in ("portal", "alerts", "statements")
    }
    assert grants["portal"] == {
        "dynamodb_read_table_arns": sorted([*every_table, "accuracy"]),  # the fleet's drift marks
        "dynamodb_write_table_arns": ["alerts", "settings"],
        "dynamodb_scan_table_arns": ["households"],  # the fleet list
    }
    assert grants["alerts"] == {
        "dynamodb_read_table_arns": every_table,
        "dynamodb_write_table_arns": ["alerts"],
        "dynamodb_scan_table_arns": ["households"],  # the silent-meter sweep
    }
    assert grants["statements"] == {
        "dynamodb_read_table_arns": ["forecasts", "hourly", "households", "settings"],
        "dynamodb_scan_table_arns": ["households"],  # a direct re-run: every household
    }
    assert [expression(a) for a in calls["alerts"]["sns_publish_topic_arns"]] == ["aws_sns_topic.alerts.arn"]
    # Statements: written by their function, read (and presigned) by the API's, under the prefix only.
    statements = [("var.data_bucket_arn", "var.statements_prefix")]
    assert s3_prefixes(module, calls["statements"]["s3_write_prefixes"]) == statements
    assert s3_prefixes(module, calls["portal"]["s3_read_prefixes"]) == statements
    # The operator page's pipeline health: the two queues' depth and the mappings' IteratorAge.
    assert [expression(a) for a in calls["portal"]["sqs_read_queue_arns"]] == [
        "var.dead_letter_queue_arn",
        "var.stream_failures_queue_arn",
    ]
    assert calls["portal"]["cloudwatch_read_metrics"] is True
    granted = {
        "portal": {"s3_read_prefixes", "sqs_read_queue_arns", "cloudwatch_read_metrics"},
        "alerts": {"sns_publish_topic_arns"},
        "statements": {"s3_write_prefixes"},
    }
    others = {"kinesis_put_stream_arns", "s3_write_prefixes", "s3_read_prefixes", "sqs_send_queue_arns",
              "sqs_read_queue_arns", "sagemaker_endpoint_arns", "kms_key_arns", "sns_publish_topic_arns",
              "cloudwatch_read_metrics"}  # fmt: skip
    for call, expected in granted.items():
        assert others & set(calls[call]) == expected, call
    assert "event_source_mappings" not in calls["portal"]
    assert expression(module.resources["aws_sns_topic.alerts"]["kms_master_key_id"]) == "var.kms_key_arn"


def openapi_operations() -> dict[str, tuple[str, bool]]:
    """`METHOD /path` -> (operationId, public) of every operation in services/portal/openapi.yaml;
    public when the operation overrides the document's security with `security: []`."""
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert document["security"] == [{"bearer": []}]  # a bearer token unless an operation says otherwise
    return {
        f"{method.upper()} {path}": (operation["operationId"], operation.get("security") == [])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_the_http_api_routes_are_the_openapi_operations_each_behind_the_jwt_authorizer(tree):
    module = tf(tree, "modules/household_api")
    operations = openapi_operations()
    assert module.locals["routes"] == {key: op for key, (op, public) in operations.items() if not public}
    assert module.locals["public_routes"] == {key: op for key, (op, public) in operations.items() if public}
    routes = {a: body for a, body in module.resources.items() if a.startswith("aws_apigatewayv2_route.")}
    assert set(routes) == {"aws_apigatewayv2_route.this", "aws_apigatewayv2_route.public"}
    for address, route in routes.items():
        jwt = address == "aws_apigatewayv2_route.this"
        assert expression(route["for_each"]) == ("local.routes" if jwt else "local.public_routes")
        assert expression(route["route_key"]) == "each.key"
        assert expression(route["operation_name"]) == "each.value"
        assert route["target"] == "integrations/${aws_apigatewayv2_integration.portal.id}"
        if jwt:
            assert route["authorization_type"] == "JWT"
            assert expression(route["authorizer_id"]) == "aws_apigatewayv2_authorizer.jwt.id"
        else:
            assert route["authorization_type"] == "NONE" and "authorizer_id" not in route

    authorizer = module.resources["aws_apigatewayv2_authorizer.jwt"]
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    (jwt,) = authorizer["jwt_configuration"]
    assert expression(jwt["issuer"]) == "local.issuer_url"
    assert module.locals["issuer_url"] == "https://${aws_cognito_user_pool.user_pool.endpoint}"
    assert [expression(a) for a in jwt["audience"]] == ["aws_cognito_user_pool_client.user_pool_client.id"]

    integration = module.resources["aws_apigatewayv2_integration.portal"]
    assert integration["integration_type"] == "AWS_PROXY" and integration["payload_format_version"] == "2.0"
    assert expression(integration["integration_uri"]) == "module.portal.lambda_function_arn"
    permission = module.resources["aws_lambda_permission.api"]
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["source_arn"].startswith("${aws_apigatewayv2_api.api.execution_arn}/")
    stage = module.resources["aws_apigatewayv2_stage.default"]
    assert stage["name"] == "$default" and stage["auto_deploy"] is True
    log_format = str(stage["access_log_settings"])
    for field in ("requestId", "ip", "routeKey", "status", "latency"):
        assert f"{field} =" in log_format, field
    assert "authorization" not in log_format.lower() and "body" not in log_format.lower()


def test_cognito_issues_the_claim_and_the_group_the_portal_reads(tree):
    module = tf(tree, "modules/household_api")
    assert module.variables["portal_household_claim"]["default"] == SETTINGS.portal_household_claim
    assert SETTINGS.portal_household_claim.startswith("custom:")
    (attribute,) = module.resources["aws_cognito_user_pool.user_pool"]["schema"]
    assert expression(attribute["name"]) == "local.household_attribute"
    assert "trimprefix(var.portal_household_claim" in module.locals["household_attribute"]
    assert attribute["attribute_data_type"] == "String"
    client = module.resources["aws_cognito_user_pool_client.user_pool_client"]
    assert "${var.portal_household_claim}" in client["read_attributes"]
    assert "${var.portal_household_claim}" not in client["write_attributes"]  # only administrators set it
    assert client["generate_secret"] is False
    group = module.resources["aws_cognito_user_group.operators"]
    assert var_of(group["name"]) == "portal_operator_group"
    pool = module.resources["aws_cognito_user_pool.user_pool"]
    assert pool["admin_create_user_config"][0]["allow_admin_create_user_only"] is True


def test_the_hosted_ui_returns_an_id_token_to_the_pages(tree):
    module = tf(tree, "modules/household_api")
    client = module.resources["aws_cognito_user_pool_client.user_pool_client"]
    assert client["allowed_oauth_flows_user_pool_client"] is True
    assert client["allowed_oauth_flows"] == ["implicit"]
    assert client["allowed_oauth_scopes"] == ["openid", "email", "profile"]
    assert client["supported_identity_providers"] == ["COGNITO"]
    callbacks = expression(client["callback_urls"]) or ""
    assert "local.page_url" in callbacks and "local.operator_url" in callbacks
    assert "var.extra_callback_urls" in callbacks
    assert module.locals["page_url"] == "${aws_apigatewayv2_api.api.api_endpoint}/"
    assert module.locals["operator_url"] == "${aws_apigatewayv2_api.api.api_endpoint}/operator"
    domain = module.resources["aws_cognito_user_pool_domain.hosted_ui"]
    assert expression(domain["user_pool_id"]) == "aws_cognito_user_pool.user_pool.id"
    assert "var.hosted_ui_domain_prefix" in module.locals["hosted_ui_domain"]
    sign_in = module.locals["sign_in_url"]
    for part in (
        "https://${aws_cognito_user_pool_domain.hosted_ui.domain}.auth.${data.aws_region.current.name}"
        ".amazoncognito.com/login",
        "?client_id=${aws_cognito_user_pool_client.user_pool_client.id}&response_type=token&scope=openid",
        "&redirect_uri=${urlencode(local.page_url)}",
    ):
        assert part in sign_in, part
    # The function's environment needs the API's endpoint, never its stage or routes (no cycle).
    portal = tf(tree, "modules/household_api").modules["portal"]
    assert "apigatewayv2_route" not in str(portal) and "apigatewayv2_stage" not in str(portal)
    outputs = module.outputs
    assert expression(outputs["page_url"]["value"]) == "local.page_url"
    assert expression(outputs["sign_in_url"]["value"]) == "local.sign_in_url"


def test_the_silent_sweep_schedule_invokes_the_alerts_function(tree):
    module = tf(tree, "modules/household_api")
    assert "var.silent_sweep_interval_seconds / 60" in module.locals["sweep_minutes"]
    rule = module.resources["aws_cloudwatch_event_rule.silent_sweep"]
    assert "local.sweep_minutes" in rule["schedule_expression"] and "rate(" in rule["schedule_expression"]
    target = module.resources["aws_cloudwatch_event_target.silent_sweep"]
    assert expression(target["arn"]) == "module.alerts.lambda_function_arn"
    permission = module.resources["aws_lambda_permission.silent_sweep"]
    assert permission["principal"] == "events.amazonaws.com"
    assert expression(permission["source_arn"]) == "aws_cloudwatch_event_rule.silent_sweep.arn"
    assert expression(permission["function_name"]) == "module.alerts.lambda_function_name"


# ---------------------------------------------------------------- 4. variables, and conventions


def test_every_variable_is_described_and_typed_without_any(tree):
    assert [p for d in tree.values() for p in tf_checks.check_variables(d)] == []


def tf_texts() -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8") for p in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in p.parts
    }


def test_no_hard_coded_region_account_or_partition():
    for path, text in tf_texts().items():
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"\barn:aws(-[a-z]+)?:", code), f"{path}: use data.aws_partition"
        assert not re.search(r"(?<![\w-])\d{12}(?![\w-])", code), f"{path}: account id"
        if "envs/local" not in path.as_posix():  # LocalStack's default region, as a variable default
            assert not re.search(r"\b(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b", code), f"{path}: region"
        assert "FullAccess" not in code, f"{path}: no FullAccess managed policies"


# Actions AWS offers no resource-level permissions for; a key policy's "*" is its own key.
STAR_ALLOWED = {
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "cloudwatch:GetMetricStatistics",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "logs:CreateLogDelivery", "logs:GetLogDelivery",
    "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
}  # fmt: skip


def policy_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = list(document.get("statement", []))
    for dynamic in document.get("dynamic", []):
        statements += dynamic.get("statement", {}).get("content", [])
    return statements


def test_iam_names_exact_resources(tree):
    for directory in tree.values():
        for address, document in directory.data.items():
            if not address.startswith("aws_iam_policy_document.") or address.endswith(".kms"):
                continue
            for statement in policy_statements(document):
                resources = statement.get("resources")
                if isinstance(resources, list) and "*" in resources:
                    assert set(statement["actions"]) <= STAR_ALLOWED, (
                        f"{directory.name} {address}: {statement['actions']}"
                    )
    for directory in tree.values():
        assert not [a for a in directory.resources if a.startswith(("aws_iam_user", "aws_iam_policy."))]


TAGGABLE = (
    "aws_kms_key", "aws_s3_bucket", "aws_dynamodb_table", "aws_sqs_queue", "aws_ecr_repository",
    "aws_kinesis_stream", "aws_cloudwatch_log_group", "aws_lambda_function",
    "aws_lambda_event_source_mapping", "aws_iam_role", "aws_sagemaker_model",
    "aws_sagemaker_endpoint_configuration", "aws_sagemaker_endpoint", "aws_appautoscaling_target",
    "aws_sns_topic", "aws_cognito_user_pool", "aws_apigatewayv2_api", "aws_apigatewayv2_stage",
    "aws_cloudwatch_event_rule", "aws_cloudwatch_metric_alarm", "aws_ssm_parameter", "aws_sfn_state_machine",
)  # fmt: skip


@pytest.mark.parametrize("module", MODULES)
def test_tags_are_merged_everywhere(tree, module):
    directory = tf(tree, f"modules/{module}")
    assert "var.tags" in str(directory.locals["tags"]) and str(directory.locals["tags"]).startswith(
        "${merge("
    )
    for address, body in directory.resources.items():
        if address.split(".")[0] in TAGGABLE:
            assert "local.tags" in str(body.get("tags")), f"{module}: {address} is not tagged"
    for root in ROOTS:
        for call, body in tf(tree, root).modules.items():
            assert expression(body["tags"]) == "local.tags", f"{root}: module {call}"


def required_aws(directory: TfDir) -> dict[str, str]:
    (block,) = directory.terraform
    (providers,) = block["required_providers"]
    return dict(providers["aws"])


def test_provider_floors_in_modules_and_exact_pins_in_roots(tree):
    for module in MODULES:
        aws = required_aws(tf(tree, f"modules/{module}"))
        assert aws["source"] == "hashicorp/aws" and re.fullmatch(r">= 5\.\d+", aws["version"]), module
    for root in ROOTS:
        aws = required_aws(tf(tree, root))
        assert re.fullmatch(r"\d+\.\d+\.\d+", aws["version"]), f"{root}: pin the provider exactly"
    assert len({required_aws(tf(tree, root))["version"] for root in ROOTS}) == 1


def test_modules_read_partition_region_account_from_data_sources(tree):
    allowed = {"aws_partition.current", "aws_region.current", "aws_caller_identity.current"}
    for module in MODULES:
        for address in tf(tree, f"modules/{module}").data:
            assert address in allowed or address.startswith("aws_iam_policy_document."), address


def test_checkov_skips_carry_a_reason():
    for path, text in tf_texts().items():
        for match in re.finditer(r"#\s*checkov:skip=([^\n]*)", text):
            check, _, reason = match.group(1).partition(":")
            assert re.fullmatch(r"CKV2?_AWS_\d+", check), f"{path}: {match.group(0)}"
            assert len(reason.strip()) >= 20, f"{path}: {check} needs a written reason"


@pytest.mark.parametrize("module", MODULES)
def test_module_readme_tables_are_current(tree, module):
    directory = tf(tree, f"modules/{module}")
    assert tf_checks.docs_current(directory.path / "README.md", directory), "run: wattcast terraform docs"


def test_references_helper_reads_interpolations_only():
    refs = references(
        {"a": "${merge(local.tags, {x = var.y})}", "b": "var.not_an_expression", "c": "${module.m[0].out}"}
    )
    assert {(r.kind, r.name, r.output) for r in refs} == {
        ("local", "tags", None),
        ("var", "y", None),
        ("module", "m", "out"),
    }
