data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.function_name
  description        = "Execution role of the ${var.function_name} function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

# ENI management for a function in a VPC (an AWS managed policy scoped by AWS; not a FullAccess one).
resource "aws_iam_role_policy_attachment" "vpc" {
  count = var.vpc_config == null ? 0 : 1

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.access.json
}

# Every statement names exact ARNs; a statement appears only when its list is not empty.
data "aws_iam_policy_document" "access" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = distinct(concat([var.kms_key_arn], var.kms_key_arns))
  }

  dynamic "statement" {
    for_each = length(local.source_stream_arns) == 0 ? [] : [local.source_stream_arns]
    content {
      sid = "ReadMappingSources"
      actions = [
        "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
        "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard",
      ]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.kinesis_put_stream_arns) == 0 ? [] : [var.kinesis_put_stream_arns]
    content {
      sid       = "PutToStreams"
      actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.dynamodb_read_table_arns) == 0 ? [] : [var.dynamodb_read_table_arns]
    content {
      sid       = "ReadTables"
      actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.dynamodb_write_table_arns) == 0 ? [] : [var.dynamodb_write_table_arns]
    content {
      sid       = "WriteTables"
      actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.dynamodb_scan_table_arns) == 0 ? [] : [var.dynamodb_scan_table_arns]
    content {
      sid       = "ScanTables"
      actions   = ["dynamodb:Scan", "dynamodb:DescribeTable"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.s3_write_prefixes) == 0 ? [] : [var.s3_write_prefixes]
    content {
      sid       = "WriteObjects"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = [for p in statement.value : "${p.bucket_arn}/${p.prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.s3_read_prefixes) == 0 ? [] : [var.s3_read_prefixes]
    content {
      sid       = "ReadObjects"
      actions   = ["s3:GetObject"]
      resources = [for p in statement.value : "${p.bucket_arn}/${p.prefix}*"]
    }
  }

  # Listing under the same prefixes: without it S3 answers a missing key with 403, not 404, and a
  # reader cannot tell "not written yet" from "not allowed".
  dynamic "statement" {
    for_each = { for i, p in var.s3_read_prefixes : tostring(i) => p }
    content {
      sid       = "ListObjects${statement.key}"
      actions   = ["s3:ListBucket"]
      resources = [statement.value.bucket_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(concat(var.sqs_send_queue_arns, local.on_failure_arns)) == 0 ? [] : [distinct(concat(var.sqs_send_queue_arns, local.on_failure_arns))]
    content {
      sid       = "SendToQueues"
      actions   = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
      resources = statement.value
    }
  }

  # Queue depth only (a health view): no SendMessage, ReceiveMessage or DeleteMessage.
  dynamic "statement" {
    for_each = length(var.sqs_read_queue_arns) == 0 ? [] : [var.sqs_read_queue_arns]
    content {
      sid       = "ReadQueueAttributes"
      actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.sagemaker_endpoint_arns) == 0 ? [] : [var.sagemaker_endpoint_arns]
    content {
      sid       = "InvokeEndpoints"
      actions   = ["sagemaker:InvokeEndpoint"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.sns_publish_topic_arns) == 0 ? [] : [var.sns_publish_topic_arns]
    content {
      sid       = "PublishToTopics"
      actions   = ["sns:Publish"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.ssm_read_parameter_arns) == 0 ? [] : [var.ssm_read_parameter_arns]
    content {
      sid       = "ReadParameters"
      actions   = ["ssm:GetParameter"]
      resources = statement.value
    }
  }

  # CloudWatch defines no resource type and no condition key for GetMetricStatistics: the service
  # authorization reference lists it with Resource "*" only, so it cannot be narrowed to a namespace,
  # a metric or a function. It reads metric values only (no alarms, dashboards or logs).
  dynamic "statement" {
    for_each = var.cloudwatch_read_metrics ? [1] : []
    content {
      sid       = "ReadMetrics"
      actions   = ["cloudwatch:GetMetricStatistics"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.tracing_mode == "Active" ? [1] : []
    content {
      sid       = "XRayTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"] # X-Ray has no resource-level permissions for these actions.
    }
  }
}
