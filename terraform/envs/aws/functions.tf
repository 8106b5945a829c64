# The ingest and preprocess functions. Each is created once its image tag is set (images must be in ECR first).

module "ingest" {
  source = "../../modules/lambda_image_function"
  count  = var.image_tags.ingest == null ? 0 : 1

  function_name                  = var.ingest_function
  description                    = "Validates, archives and aggregates meter readings; emits hour-closed events"
  image_uri                      = local.images.ingest
  image_command                  = [var.ingest_handler]
  architecture                   = var.functions.architecture
  memory_size                    = var.functions.ingest_memory_size
  timeout                        = var.ingest_function_timeout_seconds
  reserved_concurrent_executions = var.functions.ingest_reserved_concurrency
  log_retention_days             = var.functions.log_retention_days
  kms_key_arn                    = module.storage.kms_key_arn

  environment = {
    WATTCAST_READINGS_STREAM          = var.readings_stream
    WATTCAST_HOURLY_STREAM            = var.hourly_stream
    WATTCAST_DATA_BUCKET              = var.data_bucket
    WATTCAST_RAW_PREFIX               = var.raw_prefix
    WATTCAST_DEAD_LETTER_PREFIX       = var.dead_letter_prefix
    WATTCAST_HOURLY_TABLE             = var.hourly_table
    WATTCAST_HOUSEHOLDS_TABLE         = var.households_table
    WATTCAST_DEAD_LETTER_QUEUE        = var.dead_letter_queue
    WATTCAST_ALLOWED_LATENESS_SECONDS = var.allowed_lateness_seconds
    WATTCAST_MAX_CLOCK_SKEW_SECONDS   = var.max_clock_skew_seconds
    WATTCAST_METRICS_NAMESPACE        = var.metrics_namespace
  }

  event_source_mappings = {
    readings = {
      event_source_arn                   = module.readings_stream.kinesis_stream_arn
      batch_size                         = var.ingest_batch_size
      maximum_batching_window_in_seconds = var.ingest_batching_window_seconds
      parallelization_factor             = var.ingest_parallelization_factor
      starting_position                  = var.starting_position
      report_batch_item_failures         = true
      bisect_batch_on_function_error     = true
      maximum_retry_attempts             = var.ingest_maximum_retry_attempts
      maximum_record_age_in_seconds      = var.ingest_maximum_record_age_seconds
      on_failure_destination_arn         = module.storage.sqs_queue_arns["stream_failures"]
    }
  }

  kinesis_put_stream_arns   = [module.hourly_stream.kinesis_stream_arn]
  dynamodb_read_table_arns  = [module.storage.dynamodb_table_arns["hourly"], module.storage.dynamodb_table_arns["households"]]
  dynamodb_write_table_arns = [module.storage.dynamodb_table_arns["hourly"], module.storage.dynamodb_table_arns["households"]]
  s3_write_prefixes = [
    { bucket_arn = module.storage.s3_bucket_arn, prefix = var.raw_prefix },
    { bucket_arn = module.storage.s3_bucket_arn, prefix = var.dead_letter_prefix },
  ]
  sqs_send_queue_arns = [module.storage.sqs_queue_arns["dead_letter"]]
  tags                = local.tags
}

module "preprocess" {
  source = "../../modules/lambda_image_function"
  count  = var.image_tags.preprocess == null || var.image_tags.forecaster == null ? 0 : 1

  function_name                  = var.preprocess_function
  description                    = "Builds LSTM windows for closed hours, invokes the forecaster, stores forecasts, announces them"
  image_uri                      = local.images.preprocess
  image_command                  = [var.preprocess_handler]
  architecture                   = var.functions.architecture
  memory_size                    = var.functions.preprocess_memory_size
  timeout                        = var.preprocess_function_timeout_seconds
  reserved_concurrent_executions = var.functions.preprocess_reserved_concurrency
  log_retention_days             = var.functions.log_retention_days
  kms_key_arn                    = module.storage.kms_key_arn

  environment = {
    WATTCAST_HOURLY_STREAM        = var.hourly_stream
    WATTCAST_FORECASTED_STREAM    = var.forecasted_stream
    WATTCAST_HOURLY_TABLE         = var.hourly_table
    WATTCAST_FORECASTS_TABLE      = var.forecasts_table
    WATTCAST_FORECASTER_ENDPOINT  = var.forecaster_endpoint
    WATTCAST_MODEL_POINTER_PREFIX = var.model_pointer_prefix
    WATTCAST_METRICS_NAMESPACE    = var.metrics_namespace
    WATTCAST_PROJECTION_ROUTE     = var.projection_route
  }

  event_source_mappings = {
    hourly = {
      event_source_arn                   = module.hourly_stream.kinesis_stream_arn
      batch_size                         = var.preprocess_batch_size
      maximum_batching_window_in_seconds = var.preprocess_batching_window_seconds
      parallelization_factor             = var.preprocess_parallelization_factor
      starting_position                  = var.starting_position
      report_batch_item_failures         = true
      bisect_batch_on_function_error     = true
      maximum_retry_attempts             = var.preprocess_maximum_retry_attempts
      maximum_record_age_in_seconds      = var.preprocess_maximum_record_age_seconds
      on_failure_destination_arn         = module.storage.sqs_queue_arns["stream_failures"]
    }
  }

  kinesis_put_stream_arns   = [module.forecasted_stream.kinesis_stream_arn] # the hours it forecast, for accuracy
  dynamodb_read_table_arns  = [module.storage.dynamodb_table_arns["hourly"], module.storage.dynamodb_table_arns["forecasts"]]
  dynamodb_write_table_arns = [module.storage.dynamodb_table_arns["forecasts"]]
  sagemaker_endpoint_arns   = module.forecaster[*].sagemaker_endpoint_arn
  ssm_read_parameter_arns   = values(module.storage.model_pointer_parameter_arns) # which bundle is champion
  tags                      = local.tags
}
