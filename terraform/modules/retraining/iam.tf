# Three roles, each naming exact ARNs: the schedule may start this state machine only; the state
# machine may run and watch training jobs named <name>-* and pass the training role only (the
# policy AWS documents for createTrainingJob.sync); the training job may read the hourly table (and
# scan the households table's ids), read
# and write bundles under the models prefix, and read and promote the two model pointers.

locals {
  models_objects = "${local.bucket_arn}/${var.models_prefix}*"
  output_objects = "${local.bucket_arn}/${var.training_output_prefix}*"
  training_logs  = "${local.arn_prefix}:logs:${local.region_account}:log-group:/aws/sagemaker/TrainingJobs"
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
    sid       = "StartRetraining"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.retraining.arn]
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
  name   = "${var.name}-run-training-jobs"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

data "aws_iam_policy_document" "state_machine" {
  # AWS's documented policy for createTrainingJob.sync ("IAM policies for Amazon SageMaker AI" in the
  # Step Functions guide) grants sagemaker:ListTags on "*"; the flow lists the tags of its own jobs
  # only, so it is scoped to them here, with AddTags for the tags each job is created with.
  statement {
    sid = "RunTrainingJobs"
    actions = [
      "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
      "sagemaker:AddTags", "sagemaker:ListTags",
    ]
    resources = [local.training_jobs_arn]
  }

  statement {
    sid       = "PassTrainingRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.training.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  # .sync waits on the training job through this managed EventBridge rule.
  statement {
    sid       = "WatchTrainingJobs"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [local.sync_rule_arn]
  }

  # The job's volume and output are encrypted with the data key; SageMaker takes a grant on the
  # caller's behalf.
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

# ---------------------------------------------------------------- the training job

data "aws_iam_policy_document" "training_assume" {
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

resource "aws_iam_role" "training" {
  name               = "${var.name}-training"
  description        = "Execution role of the ${var.name} SageMaker training jobs"
  assume_role_policy = data.aws_iam_policy_document.training_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "training" {
  name   = "${var.name}-training-access"
  role   = aws_iam_role.training.id
  policy = data.aws_iam_policy_document.training.json
}

data "aws_iam_policy_document" "training" {
  statement {
    sid       = "ReadHourlyTable"
    actions   = ["dynamodb:Query", "dynamodb:Scan", "dynamodb:DescribeTable"]
    resources = [var.hourly_table_arn]
  }

  # The households to train and hold out (scripts/data/hourly_store.py household_ids).
  statement {
    sid       = "ListHouseholds"
    actions   = ["dynamodb:Scan"]
    resources = [var.households_table_arn]
  }

  statement {
    sid       = "ReadWriteBundles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.models_objects, local.output_objects]
  }

  statement {
    sid       = "ListBundles"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.models_prefix}*", "${var.training_output_prefix}*"]
    }
  }

  # Reads the champion, and promotes a better bundle by rewriting the pointer.
  statement {
    sid       = "ReadPromoteModelPointers"
    actions   = ["ssm:GetParameter", "ssm:PutParameter"]
    resources = var.model_pointer_parameter_arns
  }

  statement {
    sid       = "PullTrainerImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid       = "WriteTrainingLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [local.training_logs, "${local.training_logs}:*"]
  }

  statement {
    sid       = "PutTrainingMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; the namespace condition scopes it.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace, "/aws/sagemaker/TrainingJobs"]
    }
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
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
