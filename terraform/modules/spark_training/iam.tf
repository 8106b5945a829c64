# Three roles, each naming exact ARNs: the schedule may start this state machine only; the state
# machine may start, watch and cancel job runs of this application and pass the job role only (the
# policy AWS documents for emr-serverless:startJobRun.sync); the job role may read the input (the raw
# archive or the Parquet export), write the bundles under the models prefix and the logs under the
# logs prefix. The repository lets EMR Serverless pull the image for this account's applications.

locals {
  input_objects  = "${local.bucket_arn}/${local.input_prefix}*"
  models_objects = "${local.bucket_arn}/${var.models_prefix}${var.bundles_path}*"
  logs_objects   = "${local.bucket_arn}/${var.logs_prefix}*"
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
    sid       = "StartTraining"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.spark_training.arn]
  }

  # The schedule is encrypted with the data key: its execution role decrypts it.
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
  name   = "${var.name}-run-spark-jobs"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

data "aws_iam_policy_document" "state_machine" {
  # AWS's documented policy for emr-serverless:startJobRun.sync ("IAM policies for Amazon EMR
  # Serverless" in the Step Functions guide): start on the application, watch and cancel its runs.
  statement {
    sid       = "StartJobRuns"
    actions   = ["emr-serverless:StartJobRun", "emr-serverless:TagResource"]
    resources = [aws_emrserverless_application.spark.arn]
  }

  statement {
    sid       = "WatchJobRuns"
    actions   = ["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun", "emr-serverless:TagResource"]
    resources = [local.job_runs_arn]
  }

  statement {
    sid       = "PassJobRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.job.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }

  # .sync waits on the job run through this managed EventBridge rule.
  statement {
    sid       = "WatchJobRunEvents"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [local.sync_rule_arn]
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

# ---------------------------------------------------------------- the job runtime role

data "aws_iam_policy_document" "job_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.applications]
    }
  }
}

resource "aws_iam_role" "job" {
  name               = "${var.name}-job"
  description        = "Runtime role of the ${var.name} EMR Serverless job runs"
  assume_role_policy = data.aws_iam_policy_document.job_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "${var.name}-job-access"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

data "aws_iam_policy_document" "job" {
  # Spark lists the input's folders (dt=*/<shard>/ of the raw archive, the export's files) and reads them.
  statement {
    sid       = "ReadInput"
    actions   = ["s3:GetObject"]
    resources = [local.input_objects]
  }

  statement {
    sid       = "ListInputModelsAndLogs"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.input_prefix}*", "${var.models_prefix}${var.bundles_path}*", "${var.logs_prefix}*"]
    }
  }

  # Each executor writes its households' model.tar.gz and metrics.json, the driver the run's metrics.json.
  statement {
    sid       = "WriteBundles"
    actions   = ["s3:PutObject"]
    resources = [local.models_objects]
  }

  # The driver's and executors' logs (the application's S3 monitoring configuration).
  statement {
    sid       = "WriteLogs"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = [local.logs_objects]
  }

  # The archive, the bundles and the logs are encrypted with the data key.
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

# ---------------------------------------------------------------- the image's repository

data "aws_iam_policy_document" "image_pull" {
  statement {
    sid     = "EmrServerlessPullsTheImage"
    actions = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.applications]
    }
  }
}
