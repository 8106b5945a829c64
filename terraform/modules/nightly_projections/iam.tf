# Three roles, each naming exact ARNs: the schedule may start this state machine only; the state
# machine may run and watch processing jobs named <name>-* and pass the processing role only (the
# policy AWS documents for createProcessingJob.sync); the processing job may read the bundles under
# the models prefix and the prophet-default pointer, scan the households table, query the hourly
# table and write the forecasts table.

locals {
  models_objects  = "${local.bucket_arn}/${var.models_prefix}*"
  processing_logs = "${local.arn_prefix}:logs:${local.region_account}:log-group:/aws/sagemaker/ProcessingJobs"
}

# ---------------------------------------------------------------- EventBridge Scheduler

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  description        = "Lets the ${var.name} schedule start its state machine"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name}-start-execution"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartProjections"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.nightly_projections.arn]
  }

  # The schedule is encrypted with the data key: its execution role decrypts it (Scheduler's "Managing
  # your KMS key").
  statement {
    sid       = "DecryptSchedule"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

# ---------------------------------------------------------------- Step Functions

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name}-states"
  description        = "Execution role of the ${var.name} state machine"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name}-run-processing-jobs"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

data "aws_iam_policy_document" "state_machine" {
  # AWS's documented policy for createProcessingJob.sync ("IAM policies for Amazon SageMaker AI" in the
  # Step Functions guide), with ListTags scoped to the flow's own jobs, and AddTags for the tags each
  # job is created with.
  statement {
    sid = "RunProcessingJobs"
    actions = [
      "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
      "sagemaker:AddTags", "sagemaker:ListTags",
    ]
    resources = [local.processing_jobs_arn]
  }

  statement {
    sid       = "PassProcessingRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.processing.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  # .sync waits on the processing job through this managed EventBridge rule.
  statement {
    sid       = "WatchProcessingJobs"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [local.sync_rule_arn]
  }

  # The job's volumes are encrypted with the data key; SageMaker takes a grant on the caller's behalf.
  statement {
    sid       = "GrantDataKeyToSageMaker"
    actions   = ["kms:CreateGrant", "kms:DescribeKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # Log delivery and X-Ray have no resource-level permissions (Step Functions' "Logging using
  # CloudWatch Logs" and "AWS X-Ray" pages list Resource "*").
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]
  }
}

# ---------------------------------------------------------------- the processing job

data "aws_iam_policy_document" "processing_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "processing" {
  name               = "${var.name}-processing"
  description        = "Execution role of the ${var.name} SageMaker processing jobs"
  assume_role_policy = data.aws_iam_policy_document.processing_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "processing" {
  name   = "${var.name}-processing-access"
  role   = aws_iam_role.processing.id
  policy = data.aws_iam_policy_document.processing.json
}

data "aws_iam_policy_document" "processing" {
  # Each household's latest reading (services/core/households_table.py latest_readings).
  statement {
    sid       = "ScanHouseholds"
    actions   = ["dynamodb:Scan"]
    resources = [var.households_table_arn]
  }

  # The month's hours of each household (services/core/hourly_table.py).
  statement {
    sid       = "QueryHourlyTable"
    actions   = ["dynamodb:Query"]
    resources = [var.hourly_table_arn]
  }

  # The month# items, 25 to a BatchWriteItem (services/core/forecast_store.py put).
  statement {
    sid       = "WriteProjections"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [var.forecasts_table_arn]
  }

  statement {
    sid       = "ReadBundles"
    actions   = ["s3:GetObject"]
    resources = [local.models_objects]
  }

  # Without ListBucket a missing household bundle answers 403, not 404, and the job would count the
  # household as failed instead of projecting it with the default model.
  statement {
    sid       = "ListBundles"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.models_prefix}*"]
    }
  }

  # The default model's champion (none when pointers are off: the job then uses prophet_default_model).
  dynamic "statement" {
    for_each = var.prophet_default_pointer_arn == null ? [] : [var.prophet_default_pointer_arn]

    content {
      sid       = "ReadDefaultModelPointer"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "PullForecasterImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid       = "WriteProcessingLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [local.processing_logs, "${local.processing_logs}:*"]
  }

  statement {
    sid       = "PutProcessingMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; the namespace condition scopes it.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace, "/aws/sagemaker/ProcessingJobs"]
    }
  }

  # The bundles, the tables and the pointer are encrypted with the data key.
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "GrantDataKeyToVolumes"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}
