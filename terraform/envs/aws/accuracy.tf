# Production accuracy: the scoring function on the forecasted stream and the daily drift sweep, from the
# accuracy image (docker/accuracy.Dockerfile); created once its tag is set (the image must be in ECR).

module "accuracy" {
  source = "../../modules/accuracy"
  count  = var.image_tags.accuracy == null ? 0 : 1

  accuracy_function = var.accuracy_function
  image_uri         = local.images.accuracy
  accuracy_handler  = var.accuracy_handler
  sweep_handler     = var.accuracy_sweep_handler
  architecture      = var.functions.architecture

  hourly_table                 = var.hourly_table
  forecasts_table              = var.forecasts_table
  accuracy_table               = var.accuracy_table
  data_bucket                  = var.data_bucket
  models_prefix                = var.models_prefix
  model_pointer_prefix         = var.model_pointer_prefix
  metrics_namespace            = var.metrics_namespace
  dynamodb_table_arns          = module.storage.dynamodb_table_arns
  forecasted_stream_arn        = module.forecasted_stream.kinesis_stream_arn
  stream_failures_queue_arn    = module.storage.sqs_queue_arns["stream_failures"]
  data_bucket_arn              = module.storage.s3_bucket_arn
  model_pointer_parameter_arns = values(module.storage.model_pointer_parameter_arns)
  operations_topic_arn         = module.monitoring.sns_topic_arn
  kms_key_arn                  = module.storage.kms_key_arn

  accuracy_ttl_days            = var.accuracy_ttl_days
  accuracy_window_days         = var.accuracy_window_days
  drift_multiple               = var.drift_multiple
  drift_days                   = var.drift_days
  drift_sweep_interval_seconds = var.drift_sweep_interval_seconds

  starting_position                   = var.starting_position
  accuracy_batch_size                 = var.accuracy_batch_size
  accuracy_batching_window_seconds    = var.accuracy_batching_window_seconds
  accuracy_maximum_retry_attempts     = var.accuracy_maximum_retry_attempts
  accuracy_maximum_record_age_seconds = var.accuracy_maximum_record_age_seconds
  accuracy_function_timeout_seconds   = var.accuracy_function_timeout_seconds
  accuracy_parallelization_factor     = var.accuracy_parallelization_factor

  memory_size                    = var.accuracy.memory_size
  reserved_concurrency           = var.accuracy.reserved_concurrency
  sweep_function_timeout_seconds = var.accuracy.sweep_function_timeout_seconds
  log_retention_days             = var.functions.log_retention_days
  tags                           = local.tags
}
