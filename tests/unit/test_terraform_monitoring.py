"""Issue 15's Terraform, checked statically (python-hcl2, no terraform binary, no network): every metric of
services/core/metrics.py and every AWS metric the issue names has its alarm, each alarm notifies the
operations topic, the dashboard shows the pipeline, and the accuracy functions, the model pointers,
the retraining flow and the nightly projections touch exactly what they use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scripts.devtools.terraform import TERRAFORM_DIR, TfDir, expression, load_tree, optional_defaults
from services.core.metrics import METRICS, SERVICE_DIMENSION
from services.core.settings import Settings

SETTINGS = Settings()
ENV_TO_FIELD = {env: name for name, env in Settings.env_names().items()}
STATISTICS = {"Sum", "Average", "Maximum", "Minimum", "SampleCount"}
COMPARISONS = {"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold"}
# Where silence is the failure, missing data is breaching; everywhere else a metric appears only when
# something happened, so missing data is not.
SILENCE_IS_FAILURE = {"ReadingsAccepted", "HoursClosed", "ForecastsStored", "HoursScored"}


@pytest.fixture(scope="module")
def tree() -> dict[Path, TfDir]:
    return load_tree()


def tf(tree: dict[Path, TfDir], name: str) -> TfDir:
    return tree[(TERRAFORM_DIR / name).resolve()]


def alarms(directory: TfDir) -> dict[str, dict[str, Any]]:
    return {
        a: body for a, body in directory.resources.items() if a.startswith("aws_cloudwatch_metric_alarm.")
    }


def kebab(name: str) -> str:
    """A metric's part of its alarm name, as the module's replace() makes it: ReadingsAccepted ->
    readings-accepted."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name).lower()


def valid_window(period: int, evaluations: int, datapoints: int) -> bool:
    """CloudWatch's rules for a metric alarm's period, evaluation periods and M of N."""
    period_ok = period in (10, 20, 30) or period % 60 == 0
    limit = 86_400 if period < 3_600 else 604_800
    return period_ok and evaluations >= 1 and period * evaluations <= limit and 1 <= datapoints <= evaluations


# ---------------------------------------------------------------- the custom metrics: one alarm each


def test_every_metric_of_metrics_py_has_exactly_one_alarm_with_its_namespace_name_and_service(tree):
    module = tf(tree, "modules/monitoring")
    declared = module.locals["custom_metric_alarms"]
    assert {name: alarm["service"] for name, alarm in declared.items()} == {
        m.name: m.service for m in METRICS
    }

    alarm = module.resources["aws_cloudwatch_metric_alarm.custom"]
    assert expression(alarm["for_each"]) == "local.custom_alarms"
    # custom_alarms is custom_metric_alarms, overridden, for the services the stack runs: one per key.
    derived = module.locals["custom_alarms"]
    assert "local.custom_metric_alarms" in derived and "var.custom_metric_alarm_overrides" in derived
    assert "contains(var.monitored_services, alarm.service)" in derived
    assert expression(alarm["metric_name"]) == "each.key"
    assert expression(alarm["namespace"]) == "var.metrics_namespace"
    assert module.variables["metrics_namespace"]["default"] == SETTINGS.metrics_namespace
    # The single dimension `service` (ReadingsRejected's per-reason series is not the one alarmed on).
    assert alarm["dimensions"] == {SERVICE_DIMENSION: "${each.value.service}"}
    assert "replace(each.key" in alarm["alarm_name"] and alarm["alarm_name"].startswith("${local.prefix}-")
    # Names are unique, among themselves and against the AWS-metric alarms (<role>-errors, ...).
    names = {kebab(m.name) for m in METRICS}
    roles = ("ingest", "preprocess", "alerts", "statements", "accuracy", "accuracy-sweep", "portal")
    aws_names = {f"{r}-{kind}" for r in roles for kind in ("errors", "throttles", "iterator-age")}
    assert len(names) == len(METRICS) and not names & aws_names
    # By default every service's metrics are alarmed (envs/local); envs/aws passes the ones it runs.
    assert set(module.variables["monitored_services"]["default"]) == {m.service for m in METRICS}


@pytest.mark.parametrize("metric", [m.name for m in METRICS])
def test_each_custom_alarm_is_a_valid_conscious_choice(tree, metric):
    alarm = tf(tree, "modules/monitoring").locals["custom_metric_alarms"][metric]
    statistic = alarm["statistic"]
    assert statistic in STATISTICS or re.fullmatch(r"p\d{1,2}", statistic), statistic
    assert alarm["comparison"] in COMPARISONS
    assert valid_window(alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"])
    assert isinstance(alarm["threshold"], int | float) and alarm["threshold"] >= 0
    assert len(alarm["description"]) >= 20
    expected = "breaching" if metric in SILENCE_IS_FAILURE else "notBreaching"
    assert alarm["treat_missing_data"] == expected
    if metric in SILENCE_IS_FAILURE:  # silence: fewer than one in the window
        assert (alarm["comparison"], alarm["threshold"]) == ("LessThanThreshold", 1)


def test_the_forecast_error_drift_alarm_is_the_drifting_households_one(tree):
    drift = tf(tree, "modules/monitoring").locals["custom_metric_alarms"]["DriftingHouseholds"]
    assert drift["service"] == "wattcast-accuracy" and drift["comparison"] == "GreaterThanThreshold"
    assert drift["threshold"] == 0 and drift["period"] == SETTINGS.drift_sweep_interval_seconds


# ---------------------------------------------------------------- the AWS metrics the issue names

AWS_ALARMS = {
    # resource: (namespace, metric, for_each, dimensions)
    "iterator_age": ("AWS/Lambda", "IteratorAge", "var.stream_functions", {"FunctionName": "${each.value}"}),
    "errors": ("AWS/Lambda", "Errors", "var.functions", {"FunctionName": "${each.value}"}),
    "throttles": ("AWS/Lambda", "Throttles", "var.functions", {"FunctionName": "${each.value}"}),
    "queue_messages": (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", "local.queues", {"QueueName": "${each.value.name}"},
    ),
    "queue_oldest_message": (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", "local.queues", {"QueueName": "${each.value.name}"},
    ),
    "endpoint_5xx": (
        "AWS/SageMaker", "Invocation5XXErrors", "local.endpoints",
        {"EndpointName": "${each.value}", "VariantName": "${var.forecaster_variant}"},
    ),
    "endpoint_latency": (
        "AWS/SageMaker", "ModelLatency", "local.endpoints",
        {"EndpointName": "${each.value}", "VariantName": "${var.forecaster_variant}"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(AWS_ALARMS))
def test_the_aws_metrics_of_the_issue_have_their_alarms(tree, name):
    namespace, metric, for_each, dimensions = AWS_ALARMS[name]
    alarm = tf(tree, "modules/monitoring").resources[f"aws_cloudwatch_metric_alarm.{name}"]
    assert (alarm["namespace"], alarm["metric_name"]) == (namespace, metric)
    assert expression(alarm["for_each"]) == for_each
    assert alarm["dimensions"] == dimensions
    assert alarm["treat_missing_data"] == "notBreaching"
    assert ("statistic" in alarm) != ("extended_statistic" in alarm)


def test_both_queues_and_the_endpoint_are_what_the_alarms_watch(tree):
    module = tf(tree, "modules/monitoring")
    queues = module.locals["queues"]
    assert {k: v["name"] for k, v in queues.items()} == {
        "dead-letter": "${var.dead_letter_queue}",
        "stream-failures": "${var.stream_failures_queue}",
    }
    assert module.variables["dead_letter_queue"]["default"] == SETTINGS.dead_letter_queue
    assert module.variables["stream_failures_queue"]["default"] == SETTINGS.stream_failures_queue
    assert module.variables["forecaster_endpoint"]["default"] == SETTINGS.forecaster_endpoint
    assert "var.forecaster_endpoint == null ? {}" in module.locals["endpoints"]
    latency = module.resources["aws_cloudwatch_metric_alarm.endpoint_latency"]
    assert "* 1000" in latency["threshold"]  # ModelLatency is in microseconds, the knob in milliseconds
    iterator = module.resources["aws_cloudwatch_metric_alarm.iterator_age"]
    assert "* 1000" in iterator["threshold"]  # IteratorAge is in milliseconds, the knob in seconds


def test_every_alarm_notifies_the_operations_topic_both_ways(tree):
    for name in ("modules/monitoring", "modules/retraining", "modules/nightly_projections"):
        directory = tf(tree, name)
        found = alarms(directory)
        assert found, name
        for address, alarm in found.items():
            actions = {expression(alarm["alarm_actions"]), expression(alarm["ok_actions"])}
            assert actions == {"local.alarm_actions" if name == "modules/monitoring" else None}, address
            if name != "modules/monitoring":
                assert alarm["alarm_actions"] == alarm["ok_actions"] == ["${var.operations_topic_arn}"]
            assert alarm["actions_enabled"] is True, address
            chosen = ("breaching", "notBreaching", "${each.value.treat_missing_data}")  # custom: per metric
            assert alarm["treat_missing_data"] in chosen, address
    module = tf(tree, "modules/monitoring")
    assert module.locals["alarm_actions"] == ["${aws_sns_topic.operations.arn}"]


def test_every_threshold_variable_has_defaults_and_a_validation(tree):
    variables = tf(tree, "modules/monitoring").variables
    knobs = [name for name in variables if name.endswith("_alarm")]
    assert len(knobs) == 7
    for name in knobs:
        variable = variables[name]
        defaults = optional_defaults(variable["type"])
        assert {"period", "evaluation_periods", "datapoints_to_alarm"} <= set(defaults), name
        assert any(k.startswith("threshold") or k == "messages_threshold" for k in defaults), name
        assert variable["default"] == {} and variable.get("validation"), name
        assert valid_window(
            defaults["period"], defaults["evaluation_periods"], defaults["datapoints_to_alarm"]
        )
    assert variables["custom_metric_alarm_overrides"].get("validation")
    # An override for a metric nobody emits fails the plan.
    topic = tf(tree, "modules/monitoring").resources["aws_sns_topic.operations"]
    (precondition,) = topic["lifecycle"][0]["precondition"]
    assert "keys(local.custom_metric_alarms)" in precondition["condition"]


# ---------------------------------------------------------------- the topic and its key


def test_the_operations_topic_is_encrypted_and_lets_cloudwatch_alarms_publish(tree):
    module = tf(tree, "modules/monitoring")
    topic = module.resources["aws_sns_topic.operations"]
    assert expression(topic["name"]) == "var.operations_topic"
    assert module.variables["operations_topic"]["default"] == SETTINGS.operations_topic
    assert expression(topic["kms_master_key_id"]) == "var.kms_key_arn"
    document = module.data["aws_iam_policy_document.operations_topic"]
    (allow,) = document["statement"]
    assert allow["actions"] == ["sns:Publish"]
    assert [(p["type"], p["identifiers"]) for p in allow["principals"]] == [
        ("Service", ["cloudwatch.amazonaws.com"])
    ]
    assert {c["variable"] for c in allow["condition"]} == {"aws:SourceArn", "aws:SourceAccount"}
    assert ":alarm:*" in str(allow["condition"])
    # The storage key lets CloudWatch encrypt for the topic.
    kms = tf(tree, "modules/storage").data["aws_iam_policy_document.kms"]
    principals = [s["principals"][0]["identifiers"] for s in kms["statement"]]
    assert ["cloudwatch.amazonaws.com"] in principals


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_shows_the_pipeline_the_issue_names(tree):
    module = tf(tree, "modules/monitoring")
    dashboard = module.resources["aws_cloudwatch_dashboard.operations"]
    assert dashboard["dashboard_body"] == "${jsonencode({widgets = local.widgets})}"
    panels = str(module.locals["panels"])
    for metric in (
        "ReadingsAccepted", "ReadingsRejected", "IteratorAge", "EventToForecastLatency", "ForecastErrorKw",
        "ModelLatency", "Invocation5XXErrors", "ApproximateNumberOfMessagesVisible", "DriftingHouseholds",
        "Errors", "Throttles",
    ):  # fmt: skip
        assert f"'{metric}'" in panels or f'"{metric}"' in panels, metric
    assert "alarm_arns" in str(module.locals["alarm_panel"])


# ---------------------------------------------------------------- the roots


def test_envs_local_creates_every_alarm_on_the_aws_names(tree):
    call = tf(tree, "envs/local").modules["monitoring"]
    stream = {"ingest", "preprocess", "alerts", "statements", "accuracy"}
    assert set(call["stream_functions"]) == stream
    assert set(call["functions"]) == stream | {"accuracy-sweep", "portal"}
    assert call["functions"]["accuracy-sweep"] == "${var.accuracy_function}-drift-sweep"
    assert call["deny_insecure_transport"] is False
    assert "monitored_services" not in call  # every service's metrics
    local = tf(tree, "envs/local").variables
    for name in ("ingest_function", "preprocess_function", "alerts_function", "statements_function"):
        assert local[name]["default"] == getattr(SETTINGS, name)
    assert local["accuracy_function"]["default"] == SETTINGS.accuracy_function
    # The emulator gets the services the root uses.
    (provider,) = tf(tree, "envs/local").providers
    endpoints = provider["aws"]["endpoints"][0]
    assert {"cloudwatch", "sns", "ssm"} <= set(endpoints)


def test_envs_aws_alarms_on_both_mappings_and_each_part_once_it_exists(tree):
    aws = tf(tree, "envs/aws")
    call = aws.modules["monitoring"]
    assert "count" not in call  # step one: the topic and the queue alarms
    assert expression(call["stream_functions"]) == "local.stream_functions"
    assert expression(call["functions"]) == "local.functions"
    gated = dict(re.findall(r"local\.(\w+)_on \? \{([^{}]*)\}", aws.locals["stream_functions"]))
    roles = {gate: set(re.findall(r"(\w+) = module\.", body)) for gate, body in gated.items()}
    assert roles == {
        "ingest": {"ingest"}, "preprocess": {"preprocess"}, "portal": {"alerts", "statements"},
        "accuracy": {"accuracy"},
    }  # fmt: skip
    functions = aws.locals["functions"]
    assert "local.stream_functions" in functions and "portal = module.household_api[0]" in functions
    assert '"accuracy-sweep" = module.accuracy[0].sweep_lambda_function_name' in functions
    services = aws.locals["monitored_services"]
    assert {m.service for m in METRICS} == set(re.findall(r'"(wattcast-[a-z]+)"', services))


# ---------------------------------------------------------------- the accuracy functions


def test_the_accuracy_functions_may_touch_exactly_what_they_use(tree):
    module = tf(tree, "modules/accuracy")
    assert module.locals["read_table_arns"] == [
        "${var.dynamodb_table_arns.hourly}",
        "${var.dynamodb_table_arns.forecasts}",
        "${var.dynamodb_table_arns.accuracy}",
    ]
    for call in ("accuracy", "sweep"):
        body = module.modules[call]
        assert expression(body["dynamodb_read_table_arns"]) == "local.read_table_arns"
        assert body["dynamodb_write_table_arns"] == ["${var.dynamodb_table_arns.accuracy}"]
        assert body["dynamodb_scan_table_arns"] == ["${var.dynamodb_table_arns.accuracy}"]
        assert body["s3_read_prefixes"] == ["${local.models}"]
        assert expression(body["ssm_read_parameter_arns"]) == "var.model_pointer_parameter_arns"
        assert body["sns_publish_topic_arns"] == ["${var.operations_topic_arn}"]
        for absent in ("kinesis_put_stream_arns", "s3_write_prefixes", "sqs_send_queue_arns"):
            assert absent not in body, (call, absent)
    assert module.locals["models"] == {
        "bucket_arn": "${var.data_bucket_arn}",
        "prefix": "${var.models_prefix}",
    }
    assert "event_source_mappings" not in module.modules["sweep"]
    (mapping,) = module.modules["accuracy"]["event_source_mappings"].values()
    assert expression(mapping["event_source_arn"]) == "var.forecasted_stream_arn"
    assert expression(mapping["on_failure_destination_arn"]) == "var.stream_failures_queue_arn"


def test_the_drift_sweep_runs_on_its_schedule_with_its_event(tree):
    module = tf(tree, "modules/accuracy")
    assert module.modules["sweep"]["image_command"] == ["${var.sweep_handler}"]
    assert module.variables["sweep_handler"]["default"] == "services.accuracy.handler.sweep_handler"
    assert "var.drift_sweep_interval_seconds / 60" in module.locals["sweep_minutes"]
    rule = module.resources["aws_cloudwatch_event_rule.drift_sweep"]
    assert "local.sweep_minutes" in rule["schedule_expression"]
    target = module.resources["aws_cloudwatch_event_target.drift_sweep"]
    assert expression(target["arn"]) == "module.sweep.lambda_function_arn"
    assert target["input"] == '${jsonencode({sweep = "drift"})}'
    permission = module.resources["aws_lambda_permission.drift_sweep"]
    assert permission["principal"] == "events.amazonaws.com"
    assert expression(permission["source_arn"]) == "aws_cloudwatch_event_rule.drift_sweep.arn"


# ---------------------------------------------------------------- the model pointers


def test_the_model_pointers_start_from_the_settings_models_and_are_left_to_promotion(tree):
    storage = tf(tree, "modules/storage")
    parameter = storage.resources["aws_ssm_parameter.model_pointer"]
    assert parameter["name"] == "${var.model_pointer_prefix}${each.key}"
    assert parameter["type"] == "String"
    assert parameter["value"] == "${jsonencode({champion = each.value, previous = []})}"
    assert parameter["lifecycle"][0]["ignore_changes"] == ["${value}"] or "value" in str(
        parameter["lifecycle"][0]["ignore_changes"]
    )
    pointers = storage.locals["model_pointers"]
    assert set(re.findall(r'(\w[\w-]*"?)\s*=\s*var\.', pointers)) >= {"lstm", 'prophet-default"'}
    for name in ("model_pointer_prefix", "lstm_target_model", "prophet_default_model", "accuracy_table"):
        assert storage.variables[name]["default"] == getattr(SETTINGS, name), name
    assert SETTINGS.model_pointer_prefix.endswith("/")


# ---------------------------------------------------------------- retraining


def test_retraining_runs_a_sagemaker_training_job_per_model_with_the_trainer_image(tree):
    module = tf(tree, "modules/retraining")
    machine = module.resources["aws_sfn_state_machine.retraining"]
    assert machine["definition"] == "${jsonencode(local.definition)}" and machine["type"] == "STANDARD"
    assert machine["tracing_configuration"][0]["enabled"] is True
    branches = str(module.locals["branches"])
    assert ":states:::sagemaker:createTrainingJob.sync" in branches
    assert "TrainingImage" in branches and "var.image_uri" in branches
    assert "HyperParameters" in branches and "model = model" in branches
    assert "$$.Execution.Name" in branches  # the job is named after the execution
    assert module.variables["models"]["default"] == ["lstm", "prophet"]
    for knob in ("instance_type", "instance_count", "volume_size_gb", "max_runtime_seconds"):
        assert f"var.{knob}" in branches and module.variables[knob].get("validation"), knob
    schedule = module.resources["aws_scheduler_schedule.retraining"]
    (target,) = schedule["target"]
    assert expression(target["arn"]) == "aws_sfn_state_machine.retraining.arn"
    assert expression(target["role_arn"]) == "aws_iam_role.scheduler.arn"
    assert expression(schedule["schedule_expression"]) == "var.schedule_expression"
    # The job's environment: Settings names, fed by the variables named after their fields.
    environment = module.locals["environment"]
    for env_name, value in environment.items():
        field = ENV_TO_FIELD[env_name]
        if field != "region":
            assert field in (expression(value) or ""), env_name
            assert module.variables[field]["default"] == getattr(SETTINGS, field), field


def statement(tf_dir: TfDir, document: str, sid: str) -> dict[str, Any]:
    body = tf_dir.data[f"aws_iam_policy_document.{document}"]
    found: list[dict[str, Any]] = [s for s in body["statement"] if s.get("sid") == sid]
    assert len(found) == 1, sid
    return found[0]


def test_retraining_roles_name_exact_arns(tree):
    module = tf(tree, "modules/retraining")
    start = statement(module, "scheduler", "StartRetraining")
    assert start["actions"] == ["states:StartExecution"]
    assert start["resources"] == ["${aws_sfn_state_machine.retraining.arn}"]
    run = statement(module, "state_machine", "RunTrainingJobs")
    assert {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
    } <= set(run["actions"])
    assert run["resources"] == ["${local.training_jobs_arn}"]
    assert module.locals["training_jobs_arn"].endswith(":training-job/${var.name}-*")
    passes = statement(module, "state_machine", "PassTrainingRole")
    assert passes["resources"] == ["${aws_iam_role.training.arn}"]
    assert passes["condition"][0]["values"] == ["sagemaker.amazonaws.com"]
    watch = statement(module, "state_machine", "WatchTrainingJobs")
    assert module.locals["sync_rule_arn"].endswith(":rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule")
    assert watch["resources"] == ["${local.sync_rule_arn}"]
    hourly = statement(module, "training", "ReadHourlyTable")
    assert set(hourly["actions"]) >= {"dynamodb:Query", "dynamodb:Scan"}
    assert hourly["resources"] == ["${var.hourly_table_arn}"]
    households = statement(module, "training", "ListHouseholds")
    assert (households["actions"], households["resources"]) == (
        ["dynamodb:Scan"],
        ["${var.households_table_arn}"],
    )
    pointers = statement(module, "training", "ReadPromoteModelPointers")
    assert pointers["actions"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert expression(pointers["resources"]) == "var.model_pointer_parameter_arns"
    bundles = statement(module, "training", "ReadWriteBundles")
    assert {"s3:GetObject", "s3:PutObject"} <= set(bundles["actions"])
    assert module.locals["models_objects"] == "${local.bucket_arn}/${var.models_prefix}*"
    assert statement(module, "training", "PullTrainerImage")["resources"] == ["${var.ecr_repository_arn}"]


def test_the_aws_root_wires_retraining_to_the_trainer_image_and_the_pointers(tree):
    call = tf(tree, "envs/aws").modules["retraining"]
    assert expression(call["ecr_repository_arn"]) == (
        "module.storage.ecr_repository_arns[var.ecr_repositories.trainer]"
    )
    assert (
        expression(call["model_pointer_parameter_arns"])
        == "values(module.storage.model_pointer_parameter_arns)"
    )
    assert expression(call["hourly_table_arn"]) == 'module.storage.dynamodb_table_arns["hourly"]'
    assert expression(call["households_table_arn"]) == 'module.storage.dynamodb_table_arns["households"]'
    assert expression(call["operations_topic_arn"]) == "module.monitoring.sns_topic_arn"
    defaults = optional_defaults(tf(tree, "envs/aws").variables["retraining"]["type"])
    module = tf(tree, "modules/retraining").variables
    for attribute, default in defaults.items():
        assert module[attribute]["default"] == default, attribute
        assert expression(call[attribute]) == f"var.retraining.{attribute}", attribute


# ---------------------------------------------------------------- the nightly projections (batch route)


def test_nightly_projections_run_one_sharded_processing_job_with_the_forecaster_image(tree):
    module = tf(tree, "modules/nightly_projections")
    machine = module.resources["aws_sfn_state_machine.nightly_projections"]
    assert machine["definition"] == "${jsonencode(local.definition)}" and machine["type"] == "STANDARD"
    assert machine["tracing_configuration"][0]["enabled"] is True
    definition = module.locals["definition"]
    task = definition["States"]["Project"]
    assert task["Resource"] == "${local.arn_prefix}:states:::sagemaker:createProcessingJob.sync"
    parameters = task["Parameters"]
    app = parameters["AppSpecification"]
    assert expression(app["ImageUri"]) == "var.image_uri"
    assert module.locals["entrypoint"] == ["python", "-m", "services.projections", "--shard", "auto"]
    assert expression(app["ContainerEntrypoint"]) == "local.entrypoint"
    # --as-of is the UTC date the execution started: the first part of $$.Execution.StartTime.
    assert app["ContainerArguments.$"] == "States.Array('--as-of', ${local.as_of})"
    assert module.locals["as_of"] == "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"
    assert "$$.Execution.Name" in parameters["ProcessingJobName.$"]
    assert parameters["ProcessingJobName.$"].startswith("States.Format('${var.name}-{}'")
    cluster = parameters["ProcessingResources"]["ClusterConfig"]
    knobs = {
        "InstanceCount": "instance_count",
        "InstanceType": "instance_type",
        "VolumeSizeInGB": "volume_size_gb",
    }
    for key, knob in knobs.items():
        assert expression(cluster[key]) == f"var.{knob}", key
        assert module.variables[knob].get("validation"), knob
    assert expression(cluster["VolumeKmsKeyId"]) == "var.kms_key_arn"
    stopping = parameters["StoppingCondition"]["MaxRuntimeInSeconds"]
    assert expression(stopping) == "var.max_runtime_seconds"
    assert module.variables["max_runtime_seconds"].get("validation")
    assert "1..100" in module.variables["instance_count"]["description"]
    assert "var.instance_count <= 100" in str(module.variables["instance_count"]["validation"])
    assert expression(parameters["RoleArn"]) == "aws_iam_role.processing.arn"
    assert expression(parameters["Environment"]) == "local.environment"
    assert "local.tags" in str(parameters["Tags"])
    (retry,) = task["Retry"]
    assert "SageMaker.ResourceLimitExceededException" in retry["ErrorEquals"]
    (catch,) = task["Catch"]
    assert definition["States"][catch["Next"]]["Type"] == "Fail"
    # The schedule: daily after the day closed plus the allowed lateness, always UTC (--as-of is UTC).
    schedule = module.resources["aws_scheduler_schedule.nightly_projections"]
    (target,) = schedule["target"]
    assert expression(target["arn"]) == "aws_sfn_state_machine.nightly_projections.arn"
    assert expression(target["role_arn"]) == "aws_iam_role.scheduler.arn"
    assert expression(schedule["schedule_expression"]) == "var.schedule_expression"
    assert schedule["schedule_expression_timezone"] == "UTC"
    assert module.variables["schedule_expression"]["default"] == "cron(30 1 * * ? *)"
    assert SETTINGS.allowed_lateness_seconds < 30 * 60 + 3600  # the default schedule: 01:30 UTC
    # The job's environment: Settings names, fed by the variables named after their fields.
    environment = module.locals["environment"]
    fields = {ENV_TO_FIELD[env_name] for env_name in environment}
    assert fields == {
        "region", "households_table", "hourly_table", "forecasts_table", "data_bucket", "models_prefix",
        "model_pointer_prefix", "prophet_default_model", "allowed_lateness_seconds", "metrics_namespace",
    }  # fmt: skip
    for env_name, value in environment.items():
        field = ENV_TO_FIELD[env_name]
        if field != "region":
            assert f"var.{field}" in (expression(value) or ""), env_name
            assert module.variables[field]["default"] == getattr(SETTINGS, field), field


def test_nightly_projections_roles_name_exact_arns(tree):
    module = tf(tree, "modules/nightly_projections")
    start = statement(module, "scheduler", "StartProjections")
    assert start["actions"] == ["states:StartExecution"]
    assert start["resources"] == ["${aws_sfn_state_machine.nightly_projections.arn}"]
    run = statement(module, "state_machine", "RunProcessingJobs")
    assert {
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
        "sagemaker:AddTags",
    } <= set(run["actions"])
    assert run["resources"] == ["${local.processing_jobs_arn}"]
    assert module.locals["processing_jobs_arn"].endswith(":processing-job/${var.name}-*")
    passes = statement(module, "state_machine", "PassProcessingRole")
    assert passes["resources"] == ["${aws_iam_role.processing.arn}"]
    assert passes["condition"][0]["values"] == ["sagemaker.amazonaws.com"]
    watch = statement(module, "state_machine", "WatchProcessingJobs")
    assert module.locals["sync_rule_arn"].endswith(
        ":rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"
    )
    assert watch["resources"] == ["${local.sync_rule_arn}"]
    exact = {
        "ScanHouseholds": (["dynamodb:Scan"], ["${var.households_table_arn}"]),
        "QueryHourlyTable": (["dynamodb:Query"], ["${var.hourly_table_arn}"]),
        "WriteProjections": (["dynamodb:BatchWriteItem"], ["${var.forecasts_table_arn}"]),
        "ReadBundles": (["s3:GetObject"], ["${local.models_objects}"]),
        "PullForecasterImage": (
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            ["${var.ecr_repository_arn}"],
        ),
        "EcrLogin": (["ecr:GetAuthorizationToken"], ["*"]),
    }
    for sid, (actions, resources) in exact.items():
        found = statement(module, "processing", sid)
        assert (found["actions"], found["resources"]) == (actions, resources), sid
    assert module.locals["models_objects"] == "${local.bucket_arn}/${var.models_prefix}*"
    listing = statement(module, "processing", "ListBundles")
    assert listing["resources"] == ["${local.bucket_arn}"]
    assert listing["condition"][0]["values"] == ["${var.models_prefix}*"]
    assert module.locals["processing_logs"].endswith(":log-group:/aws/sagemaker/ProcessingJobs")
    key = statement(module, "processing", "UseDataKey")
    assert key["resources"] == ["${var.kms_key_arn}"]
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(key["actions"])
    # The prophet-default pointer only, and only when pointers exist.
    (dynamic,) = module.data["aws_iam_policy_document.processing"]["dynamic"]
    pointer = dynamic["statement"]
    assert "var.prophet_default_pointer_arn == null ? []" in pointer["for_each"]
    (content,) = pointer["content"]
    assert content["actions"] == ["ssm:GetParameter"] and content["resources"] == ["${statement.value}"]


def test_the_aws_root_wires_the_nightly_projections_on_the_batch_route(tree):
    aws = tf(tree, "envs/aws")
    call = aws.modules["nightly_projections"]
    assert expression(call["ecr_repository_arn"]) == (
        "module.storage.ecr_repository_arns[var.ecr_repositories.forecaster]"
    )
    arns = {
        "households": "households_table_arn",
        "hourly": "hourly_table_arn",
        "forecasts": "forecasts_table_arn",
    }
    for role, argument in arns.items():
        assert expression(call[argument]) == f'module.storage.dynamodb_table_arns["{role}"]', argument
    assert expression(call["prophet_default_pointer_arn"]) == (
        'lookup(module.storage.model_pointer_parameter_arns, "prophet-default", null)'
    )
    assert expression(call["operations_topic_arn"]) == "module.monitoring.sns_topic_arn"
    assert expression(call["kms_key_arn"]) == "module.storage.kms_key_arn"
    defaults = optional_defaults(aws.variables["projections"]["type"])
    module = tf(tree, "modules/nightly_projections").variables
    assert defaults["instance_type"] == "ml.m5.large" and defaults["instance_count"] == 1
    for attribute, default in defaults.items():
        assert module[attribute]["default"] == default, attribute
        assert expression(call[attribute]) == f"var.projections.{attribute}", attribute
    alarms_output = aws.outputs["nightly_projections_cloudwatch_metric_alarm_names"]["value"]
    assert "module.nightly_projections[*].nightly_projections_cloudwatch_metric_alarm_names" in alarms_output
