data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "nightly_projections" }, var.tags)

  arn_prefix          = "arn:${data.aws_partition.current.partition}"
  region_account      = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  bucket_arn          = "${local.arn_prefix}:s3:::${var.data_bucket}"
  processing_jobs_arn = "${local.arn_prefix}:sagemaker:${local.region_account}:processing-job/${var.name}-*"
  sync_rule_arn       = "${local.arn_prefix}:events:${local.region_account}:rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"

  # What `python -m services.projections` reads (services/core/settings.py): the households table (each
  # household's latest reading), the hourly table (its month so far), the forecasts table it writes,
  # the bundles under the models prefix, the prophet-default pointer (and the fixed default without
  # one), and when a day counts as closed. Settings it is not given here (prophet_target_model,
  # forecast_ttl_days, ...) keep their defaults, as they do for preprocess on the endpoint route.
  environment = {
    WATTCAST_REGION                   = data.aws_region.current.name
    WATTCAST_HOUSEHOLDS_TABLE         = var.households_table
    WATTCAST_HOURLY_TABLE             = var.hourly_table
    WATTCAST_FORECASTS_TABLE          = var.forecasts_table
    WATTCAST_DATA_BUCKET              = var.data_bucket
    WATTCAST_MODELS_PREFIX            = var.models_prefix
    WATTCAST_MODEL_POINTER_PREFIX     = var.model_pointer_prefix
    WATTCAST_PROPHET_DEFAULT_MODEL    = var.prophet_default_model
    WATTCAST_ALLOWED_LATENESS_SECONDS = tostring(var.allowed_lateness_seconds)
    WATTCAST_METRICS_NAMESPACE        = var.metrics_namespace
  }

  # `python -m services.projections --shard auto --as-of <the UTC date the execution started>`: each
  # instance reads its place from /opt/ml/config/resourceconfig.json and projects its part of the fleet.
  entrypoint = ["python", "-m", "services.projections", "--shard", "auto"]
  as_of      = "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"

  definition = {
    Comment        = "Projects every closed household's month with its Prophet bundle (else the default), one SageMaker processing job over the fleet, sharded by instance."
    StartAt        = "Project"
    TimeoutSeconds = var.max_runtime_seconds + 3600
    States = {
      Project = {
        Type     = "Task"
        Resource = "${local.arn_prefix}:states:::sagemaker:createProcessingJob.sync"
        Parameters = {
          # Scheduler names its executions by a UUID (36 characters): <name>-<uuid> is unique and <= 63.
          "ProcessingJobName.$" = "States.Format('${var.name}-{}', $$.Execution.Name)"
          AppSpecification = {
            ImageUri               = var.image_uri
            ContainerEntrypoint    = local.entrypoint
            "ContainerArguments.$" = "States.Array('--as-of', ${local.as_of})"
          }
          ProcessingResources = {
            ClusterConfig = {
              InstanceCount  = var.instance_count
              InstanceType   = var.instance_type
              VolumeSizeInGB = var.volume_size_gb
              VolumeKmsKeyId = var.kms_key_arn
            }
          }
          StoppingCondition = { MaxRuntimeInSeconds = var.max_runtime_seconds }
          RoleArn           = aws_iam_role.processing.arn
          Environment       = local.environment
          Tags              = [for key, value in local.tags : { Key = key, Value = value }]
        }
        ResultSelector = {
          "ProcessingJobName.$"   = "$.ProcessingJobName"
          "ProcessingJobStatus.$" = "$.ProcessingJobStatus"
        }
        # SageMaker's own refusals (throttling, capacity) are retried; a job that ran and failed is not
        # (it exits 1 when a household failed: the Fail state, then the failed alarm).
        Retry = [{
          ErrorEquals     = ["SageMaker.AmazonSageMakerException", "SageMaker.ResourceLimitExceededException", "ThrottlingException"]
          IntervalSeconds = 60
          MaxAttempts     = 3
          BackoffRate     = 2
        }]
        Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "Projections failed" }]
        Next  = "Projected"
      }
      "Projections failed" = {
        Type      = "Fail"
        Error     = "ProjectionsFailed"
        CausePath = "$.error.Cause"
      }
      Projected = { Type = "Succeed" }
    }
  }
}

# ---------------------------------------------------------------- the flow

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_sfn_state_machine" "nightly_projections" {
  name       = var.name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD" # .sync needs a standard workflow (express ones end within 5 minutes)
  definition = jsonencode(local.definition)
  tags       = local.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.state_machine]
}

# ---------------------------------------------------------------- the schedule

# Always UTC: the job's --as-of is the UTC date the execution started, and households' days close in UTC.
resource "aws_scheduler_schedule" "nightly_projections" {
  name                         = var.name
  description                  = "Starts ${var.name}: the month projections of every household whose day closed"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.nightly_projections.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({})

    # A start retried within the hour still runs the same UTC date.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# ---------------------------------------------------------------- alarms on the flow

resource "aws_cloudwatch_metric_alarm" "nightly_projections" {
  for_each = { failed = "ExecutionsFailed", "timed-out" = "ExecutionsTimedOut" }

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "A nightly projections execution of ${var.name} ${replace(each.key, "-", " ")}: some households' month projections are a day old (the job's log names them)."
  namespace           = "AWS/States"
  metric_name         = each.value
  dimensions          = { StateMachineArn = aws_sfn_state_machine.nightly_projections.arn }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = var.alarm_period
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching" # an execution that did not fail emits no datapoint
  actions_enabled     = true
  alarm_actions       = [var.operations_topic_arn]
  ok_actions          = [var.operations_topic_arn]
  tags                = local.tags
}
