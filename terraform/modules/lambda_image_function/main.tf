data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "lambda_image_function", "wattcast:function" = var.function_name }, var.tags)

  source_stream_arns = distinct([for m in values(var.event_source_mappings) : m.event_source_arn])
  on_failure_arns    = distinct(compact([for m in values(var.event_source_mappings) : m.on_failure_destination_arn]))
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (Kinesis event source mappings with an on-failure SQS destination, API Gateway answering the caller) or by a schedule whose next run repeats a failed one; an async DLQ would hold only stale schedule ticks.
  #checkov:skip=CKV_AWS_117:VPC placement is optional (var.vpc_config): the function calls only AWS APIs, and a VPC needs NAT or five interface endpoints.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages only; container images are pinned by immutable ECR tags scanned on push.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  package_type                   = "Image"
  image_uri                      = var.image_uri
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  tags                           = local.tags

  dynamic "image_config" {
    for_each = var.image_command == null ? [] : [var.image_command]
    content {
      command = image_config.value
    }
  }

  dynamic "environment" {
    for_each = length(var.environment) == 0 ? [] : [var.environment]
    content {
      variables = environment.value
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.event_source_mappings

  function_name                      = aws_lambda_function.this.arn
  event_source_arn                   = each.value.event_source_arn
  enabled                            = each.value.enabled
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_in_seconds
  parallelization_factor             = each.value.parallelization_factor
  starting_position                  = each.value.starting_position
  starting_position_timestamp        = each.value.starting_position_timestamp
  function_response_types            = each.value.report_batch_item_failures ? ["ReportBatchItemFailures"] : []
  bisect_batch_on_function_error     = each.value.bisect_batch_on_function_error
  maximum_retry_attempts             = each.value.maximum_retry_attempts
  maximum_record_age_in_seconds      = each.value.maximum_record_age_in_seconds
  tumbling_window_in_seconds         = each.value.tumbling_window_in_seconds
  tags                               = merge(local.tags, { "wattcast:mapping" = each.key })

  dynamic "destination_config" {
    for_each = each.value.on_failure_destination_arn == null ? [] : [each.value.on_failure_destination_arn]
    content {
      on_failure {
        destination_arn = destination_config.value
      }
    }
  }
}
