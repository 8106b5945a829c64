locals {
  tags = merge({ "wattcast:module" = "accuracy" }, var.tags)

  sweep_function = "${var.accuracy_function}-drift-sweep"
  sweep_minutes  = floor(var.drift_sweep_interval_seconds / 60)

  # What both functions read: the hour's actuals and the forecasts issued for it, the model's own test
  # error in the bundle's metadata sidecar (models/**/*.metadata.json), and which bundle is champion.
  read_table_arns = [var.dynamodb_table_arns.hourly, var.dynamodb_table_arns.forecasts, var.dynamodb_table_arns.accuracy]
  models          = { bucket_arn = var.data_bucket_arn, prefix = var.models_prefix }

  environment = {
    WATTCAST_HOURLY_TABLE         = var.hourly_table
    WATTCAST_FORECASTS_TABLE      = var.forecasts_table
    WATTCAST_ACCURACY_TABLE       = var.accuracy_table
    WATTCAST_DATA_BUCKET          = var.data_bucket
    WATTCAST_MODELS_PREFIX        = var.models_prefix
    WATTCAST_MODEL_POINTER_PREFIX = var.model_pointer_prefix
    WATTCAST_OPERATIONS_TOPIC_ARN = var.operations_topic_arn
    WATTCAST_DRIFT_MULTIPLE       = var.drift_multiple
    WATTCAST_DRIFT_DAYS           = var.drift_days
    WATTCAST_ACCURACY_WINDOW_DAYS = var.accuracy_window_days
    WATTCAST_ACCURACY_TTL_DAYS    = var.accuracy_ttl_days
    WATTCAST_METRICS_NAMESPACE    = var.metrics_namespace
  }
}

# ---------------------------------------------------------------- scoring: the forecasted stream's consumer

module "accuracy" {
  source = "../lambda_image_function"

  function_name                  = var.accuracy_function
  description                    = "Scores the forecasts issued for each closed hour against its actuals (production accuracy)"
  image_uri                      = var.image_uri
  image_command                  = [var.accuracy_handler]
  architecture                   = var.architecture
  memory_size                    = var.memory_size
  timeout                        = var.accuracy_function_timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn
  environment                    = local.environment

  # The forecasted stream's consumer (preprocess announces every hour it forecast), with the failure
  # semantics of scripts/local/mappings.py accuracy_mapping().
  event_source_mappings = {
    forecasted = {
      event_source_arn                   = var.forecasted_stream_arn
      batch_size                         = var.accuracy_batch_size
      maximum_batching_window_in_seconds = var.accuracy_batching_window_seconds
      parallelization_factor             = var.accuracy_parallelization_factor
      starting_position                  = var.starting_position
      report_batch_item_failures         = true
      bisect_batch_on_function_error     = true
      maximum_retry_attempts             = var.accuracy_maximum_retry_attempts
      maximum_record_age_in_seconds      = var.accuracy_maximum_record_age_seconds
      on_failure_destination_arn         = var.stream_failures_queue_arn
    }
  }

  dynamodb_read_table_arns  = local.read_table_arns
  dynamodb_write_table_arns = [var.dynamodb_table_arns.accuracy]
  dynamodb_scan_table_arns  = [var.dynamodb_table_arns.accuracy]
  s3_read_prefixes          = [local.models]
  ssm_read_parameter_arns   = var.model_pointer_parameter_arns
  sns_publish_topic_arns    = [var.operations_topic_arn]
  tags                      = var.tags
}

# ---------------------------------------------------------------- the drift sweep: same image, a schedule

module "sweep" {
  source = "../lambda_image_function"

  function_name                  = local.sweep_function
  description                    = "The fleet's drift check: households whose daily error stays above drift_multiple x the model's test error"
  image_uri                      = var.image_uri
  image_command                  = [var.sweep_handler]
  architecture                   = var.architecture
  memory_size                    = var.memory_size
  timeout                        = var.sweep_function_timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn
  environment                    = local.environment

  dynamodb_read_table_arns  = local.read_table_arns
  dynamodb_write_table_arns = [var.dynamodb_table_arns.accuracy]
  dynamodb_scan_table_arns  = [var.dynamodb_table_arns.accuracy]
  s3_read_prefixes          = [local.models]
  ssm_read_parameter_arns   = var.model_pointer_parameter_arns
  sns_publish_topic_arns    = [var.operations_topic_arn]
  tags                      = var.tags
}

resource "aws_cloudwatch_event_rule" "drift_sweep" {
  name                = "${var.accuracy_function}-drift-sweep"
  description         = "Runs the drift sweep of ${var.accuracy_function}"
  schedule_expression = local.sweep_minutes == 1 ? "rate(1 minute)" : "rate(${local.sweep_minutes} minutes)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "drift_sweep" {
  rule      = aws_cloudwatch_event_rule.drift_sweep.name
  target_id = "drift-sweep"
  arn       = module.sweep.lambda_function_arn
  input     = jsonencode({ sweep = "drift" })

  # A sweep older than the interval is superseded by the next one.
  retry_policy {
    maximum_event_age_in_seconds = min(var.drift_sweep_interval_seconds, 86400)
    maximum_retry_attempts       = 2
  }

  depends_on = [aws_lambda_permission.drift_sweep]
}

# Scheduled (asynchronous) invocations: Lambda retries a failed sweep twice, never past the next one.
resource "aws_lambda_function_event_invoke_config" "sweep" {
  function_name                = module.sweep.lambda_function_name
  maximum_event_age_in_seconds = min(var.drift_sweep_interval_seconds, 21600)
  maximum_retry_attempts       = 2
}
