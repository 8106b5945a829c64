data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "retraining" }, var.tags)

  arn_prefix        = "arn:${data.aws_partition.current.partition}"
  region_account    = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  bucket_arn        = "${local.arn_prefix}:s3:::${var.data_bucket}"
  training_jobs_arn = "${local.arn_prefix}:sagemaker:${local.region_account}:training-job/${var.name}-*"
  sync_rule_arn     = "${local.arn_prefix}:events:${local.region_account}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"
  training_output   = "s3://${var.data_bucket}/${var.training_output_prefix}"

  # What the trainer's `train` reads (services/core/settings.py): the hourly table (and the households
  # table for the list of households), where bundles go,
  # the pointers it promotes a better bundle with, and the holdout a challenger must win on.
  environment = {
    WATTCAST_REGION               = data.aws_region.current.name
    WATTCAST_HOURLY_TABLE         = var.hourly_table
    WATTCAST_HOUSEHOLDS_TABLE     = var.households_table
    WATTCAST_DATA_BUCKET          = var.data_bucket
    WATTCAST_MODELS_PREFIX        = var.models_prefix
    WATTCAST_MODEL_POINTER_PREFIX = var.model_pointer_prefix
    WATTCAST_RETRAIN_HOLDOUT_DAYS = tostring(var.retrain_holdout_days)
    WATTCAST_METRICS_NAMESPACE    = var.metrics_namespace
  }

  # One SageMaker training job per model, in parallel; a failed job does not stop the other (its
  # branch catches the failure), and the execution fails afterwards if any did (the failed alarm).
  branches = [
    for model in var.models : {
      StartAt = "Train ${model}"
      States = {
        "Train ${model}" = {
          Type     = "Task"
          Resource = "${local.arn_prefix}:states:::sagemaker:createTrainingJob.sync"
          Parameters = {
            # Scheduler's executions are named by a UUID: <name>-<model>-<uuid> is unique and <= 63.
            "TrainingJobName.$" = "States.Format('${var.name}-${model}-{}', $$.Execution.Name)"
            AlgorithmSpecification = {
              TrainingImage     = var.image_uri # SageMaker runs `docker run <image> train`
              TrainingInputMode = "File"
            }
            RoleArn           = aws_iam_role.training.arn
            HyperParameters   = { model = model }
            Environment       = local.environment
            OutputDataConfig  = { S3OutputPath = local.training_output, KmsKeyId = var.kms_key_arn }
            ResourceConfig    = { InstanceType = var.instance_type, InstanceCount = var.instance_count, VolumeSizeInGB = var.volume_size_gb, VolumeKmsKeyId = var.kms_key_arn }
            StoppingCondition = { MaxRuntimeInSeconds = var.max_runtime_seconds }
            Tags              = [for key, value in local.tags : { Key = key, Value = value }]
          }
          ResultSelector = {
            model                 = model
            "TrainingJobName.$"   = "$.TrainingJobName"
            "TrainingJobStatus.$" = "$.TrainingJobStatus"
          }
          # SageMaker's own refusals (throttling, capacity) are retried; a job that ran and failed is not.
          Retry = [{
            ErrorEquals     = ["SageMaker.AmazonSageMakerException", "SageMaker.ResourceLimitExceededException"]
            IntervalSeconds = 60
            MaxAttempts     = 3
            BackoffRate     = 2
          }]
          Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "${model} failed" }]
          End   = true
        }
        "${model} failed" = {
          Type       = "Pass"
          Parameters = { model = model, failed = true, "error.$" = "$.error" }
          End        = true
        }
      }
    }
  ]

  definition = {
    Comment        = "Retrains the forecaster's models (${join(", ", var.models)}) with the trainer image; each job promotes its bundle itself when it beats the champion on the holdout."
    StartAt        = "Train"
    TimeoutSeconds = var.max_runtime_seconds + 3600
    States = {
      Train = { Type = "Parallel", Branches = local.branches, Next = "Check" }
      Check = {
        Type    = "Choice"
        Choices = [{ Or = [for i, model in var.models : { Variable = "$[${i}].failed", IsPresent = true }], Next = "Retraining failed" }]
        Default = "Retrained"
      }
      "Retraining failed" = { Type = "Fail", Error = "RetrainingFailed", Cause = "A training job failed: the execution's output names it" }
      Retrained           = { Type = "Succeed" }
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

resource "aws_sfn_state_machine" "retraining" {
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

resource "aws_scheduler_schedule" "retraining" {
  name                         = var.name
  description                  = "Starts ${var.name}: retrain ${join(", ", var.models)}"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.retraining.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({})

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# ---------------------------------------------------------------- alarms on the flow

resource "aws_cloudwatch_metric_alarm" "retraining" {
  for_each = { failed = "ExecutionsFailed", "timed-out" = "ExecutionsTimedOut" }

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "A retraining execution of ${var.name} ${replace(each.key, "-", " ")}: no new champion this time."
  namespace           = "AWS/States"
  metric_name         = each.value
  dimensions          = { StateMachineArn = aws_sfn_state_machine.retraining.arn }
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
