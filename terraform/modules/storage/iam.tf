locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  log_groups   = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
  functions    = "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:*"
}

# Key policy: the account administers the key and delegates use to IAM policies (each role's policy
# names this key's ARN); CloudWatch Logs may use it for this account's log groups only.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; administration stays with the account root, the documented default.
  #checkov:skip=CKV_AWS_111:As above: a key policy cannot name its own key ARN, "*" is this key.
  #checkov:skip=CKV_AWS_356:As above: in a key policy "*" is the key the policy is attached to.
  statement {
    sid       = "AccountAdministersAndDelegatesToIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  # CloudWatch alarms publish to the operations topic, which this key encrypts (AWS: "Amazon SNS
  # topics encrypted with a customer managed key" for CloudWatch as an event source).
  statement {
    sid       = "CloudWatchAlarmsToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  statement {
    sid       = "CloudWatchLogsOfThisAccount"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_groups]
    }
  }
}

# The bucket answers TLS requests only (unless an emulator on loopback speaks plain HTTP).
data "aws_iam_policy_document" "bucket" {
  count = var.deny_insecure_transport ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "queue" {
  for_each = var.deny_insecure_transport ? local.queues : {}

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.this[each.key].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Lambda pulls container images with the repository policy (AWS "Amazon ECR permissions" for Lambda),
# limited to functions of this account.
data "aws_iam_policy_document" "lambda_pull" {
  statement {
    sid     = "LambdaImageRetrieval"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = [local.functions]
    }
  }
}
