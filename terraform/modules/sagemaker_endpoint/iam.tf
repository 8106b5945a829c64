locals {
  models_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.models_bucket}"
}

data "aws_iam_policy_document" "assume" {
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

resource "aws_iam_role" "this" {
  name               = "${var.endpoint_name}-sagemaker"
  description        = "Execution role of the ${var.endpoint_name} SageMaker model"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.endpoint_name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.access.json
}

# The permissions AWS lists for a CreateModel execution role, each scoped to this endpoint's objects.
data "aws_iam_policy_document" "access" {
  statement {
    sid       = "ReadModelBundles"
    actions   = ["s3:GetObject"]
    resources = ["${local.models_bucket_arn}/${var.models_prefix}*"]
  }

  statement {
    sid       = "ListModelBundles"
    actions   = ["s3:ListBucket"]
    resources = [local.models_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.models_prefix}*"]
    }
  }

  statement {
    sid       = "DecryptModelBundles"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "PullServingImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid       = "WriteEndpointLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "PutEndpointMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; the namespace condition scopes it.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/Endpoints"]
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      sid = "VpcNetworkInterfaces"
      actions = [
        "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
      ]
      resources = ["*"] # EC2 Describe* and ENI creation in SageMaker-chosen subnets are not resource-scoped.
    }
  }
}
