data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "spark_training" }, var.tags)

  arn_prefix      = "arn:${data.aws_partition.current.partition}"
  region_account  = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  bucket_arn      = "${local.arn_prefix}:s3:::${var.data_bucket}"
  applications    = "${local.arn_prefix}:emr-serverless:${local.region_account}:/applications/*"
  job_runs_arn    = "${aws_emrserverless_application.spark.arn}/jobruns/*"
  sync_rule_arn   = "${local.arn_prefix}:events:${local.region_account}:rule/StepFunctionsGetEventsForEMRServerlessJobRule"
  image_uri       = var.image_tag == null ? null : "${aws_ecr_repository.spark.repository_url}:${var.image_tag}"
  input_prefix    = var.input == "raw-archive" ? var.raw_prefix : var.parquet_prefix
  input_uri       = "s3://${var.data_bucket}/${local.input_prefix}"
  input_flag      = var.input == "raw-archive" ? "--raw-archive" : "--parquet"
  models_uri      = "s3://${var.data_bucket}/${var.models_prefix}${var.bundles_path}"
  logs_uri        = "s3://${var.data_bucket}/${var.logs_prefix}"
  python          = "/opt/venv/bin/python"
  entry_point     = "local:///opt/program/scripts/training/engines/spark.py"
  train_end_state = "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"

  # `wattcast train prophet --engine spark --spark-master submit` (scripts/training/engines/spark.py
  # main) on the input, writing <models_uri><household>/model.tar.gz; --train-end is the UTC date the
  # execution started (every measured day before it is trained on), unless the execution's input
  # gives "train_end".
  job_arguments = [local.input_flag, local.input_uri, "--models-prefix", local.models_uri, "--evaluation", "none", "--spark-partitions", tostring(var.spark_partitions)]

  # The image's Python (3.11 with Prophet and the project, docker/spark.Dockerfile) for the driver and
  # the executors. Not PYTHONPATH: spark-submit sets it for EMR's pyspark.
  spark_submit_parameters = join(" ", [
    "--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON=${local.python}",
    "--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=${local.python}",
    "--conf spark.executorEnv.PYSPARK_PYTHON=${local.python}",
    "--conf spark.executorEnv.MPLCONFIGDIR=/tmp/matplotlib",
    "--conf spark.executor.cores=${var.executor_cores}",
    "--conf spark.executor.memory=${var.executor_memory}",
  ])

  definition = {
    Comment        = "Trains one Prophet model per household on EMR Serverless (Spark groupBy(household).applyInPandas) from the ${var.input} under s3://${var.data_bucket}/${local.input_prefix}."
    StartAt        = "Train"
    TimeoutSeconds = var.max_runtime_minutes * 60 + 3600
    States = {
      Train = {
        Type     = "Task"
        Resource = "${local.arn_prefix}:states:::emr-serverless:startJobRun.sync"
        Parameters = {
          ApplicationId    = aws_emrserverless_application.spark.id
          ExecutionRoleArn = aws_iam_role.job.arn
          "Name.$"         = "States.Format('${var.name}-{}', $$.Execution.Name)"
          JobDriver = {
            SparkSubmit = {
              EntryPoint              = local.entry_point
              "EntryPointArguments.$" = "States.Array(${join(", ", [for a in local.job_arguments : "'${a}'"])}, '--train-end', ${local.train_end_state})"
              SparkSubmitParameters   = local.spark_submit_parameters
            }
          }
          ConfigurationOverrides = {
            MonitoringConfiguration = {
              S3MonitoringConfiguration = { LogUri = local.logs_uri, EncryptionKeyArn = var.kms_key_arn }
            }
          }
          ExecutionTimeoutMinutes = var.max_runtime_minutes
          Tags                    = local.tags
        }
        ResultSelector = {
          "JobRunId.$" = "$.JobRunId"
          "State.$"    = "$.State"
        }
        # EMR Serverless's own refusals (throttling, a quota) are retried; a job that ran and failed
        # is not (it exits non-zero when a household failed: the Fail state, then the failed alarm).
        Retry = [{
          ErrorEquals     = ["EmrServerless.ThrottlingException", "EmrServerless.ServiceQuotaExceededException", "ThrottlingException"]
          IntervalSeconds = 60
          MaxAttempts     = 3
          BackoffRate     = 2
        }]
        Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "Training failed" }]
        Next  = "Trained"
      }
      "Training failed" = {
        Type      = "Fail"
        Error     = "SparkTrainingFailed"
        CausePath = "$.error.Cause"
      }
      Trained = { Type = "Succeed" }
    }
  }
}

# ---------------------------------------------------------------- the image

# The Spark job's image (docker/spark.Dockerfile, FROM EMR Serverless's base): Prophet and the project.
resource "aws_ecr_repository" "spark" {
  name                 = var.repository_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "spark" {
  repository = aws_ecr_repository.spark.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest tagged images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.keep_images }
      action       = { type = "expire" }
    }]
  })
}

# EMR Serverless pulls a custom image with its service principal, not the job role ("Customizing an
# EMR Serverless image": the repository policy), from this account's applications only.
resource "aws_ecr_repository_policy" "spark" {
  repository = aws_ecr_repository.spark.name
  policy     = data.aws_iam_policy_document.image_pull.json
}

# ---------------------------------------------------------------- the application

resource "aws_emrserverless_application" "spark" {
  name          = var.name
  release_label = var.release_label
  type          = "SPARK"
  architecture  = var.architecture

  maximum_capacity {
    cpu    = var.maximum_capacity.cpu
    memory = var.maximum_capacity.memory
    disk   = var.maximum_capacity.disk
  }

  # Started by a job run, stopped when idle: nothing is billed between nights.
  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.idle_timeout_minutes
  }

  dynamic "image_configuration" {
    for_each = local.image_uri == null ? [] : [local.image_uri]

    content {
      image_uri = image_configuration.value
    }
  }

  tags       = local.tags
  depends_on = [aws_ecr_repository_policy.spark]
}

# ---------------------------------------------------------------- the flow

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_sfn_state_machine" "spark_training" {
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

# Always UTC: the job's --train-end is the UTC date the execution started.
resource "aws_scheduler_schedule" "spark_training" {
  name                         = var.name
  description                  = "Starts ${var.name}: one Prophet model per household on EMR Serverless"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.spark_training.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({})

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# ---------------------------------------------------------------- alarms on the flow

resource "aws_cloudwatch_metric_alarm" "spark_training" {
  for_each = { failed = "ExecutionsFailed", "timed-out" = "ExecutionsTimedOut" }

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "A Spark training execution of ${var.name} ${replace(each.key, "-", " ")}: the households' Prophet bundles were not refreshed (the job's driver log under ${local.logs_uri} names the cause)."
  namespace           = "AWS/States"
  metric_name         = each.value
  dimensions          = { StateMachineArn = aws_sfn_state_machine.spark_training.arn }
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
