output "readings_stream_arn" {
  description = "ARN of the readings stream in LocalStack."
  value       = module.readings_stream.kinesis_stream_arn
}

output "hourly_stream_arn" {
  description = "ARN of the hourly stream in LocalStack."
  value       = module.hourly_stream.kinesis_stream_arn
}

output "storage_dynamodb_table_names" {
  description = "Table names by role."
  value       = module.storage.dynamodb_table_names
}

output "storage_sqs_queue_urls" {
  description = "Queue URLs by role."
  value       = module.storage.sqs_queue_urls
}

output "service_environment" {
  description = "Environment for running the services and the CLI against LocalStack."
  value = {
    AWS_ENDPOINT_URL               = var.localstack_endpoint
    AWS_REGION                     = var.localstack_region
    WATTCAST_READINGS_STREAM       = var.readings_stream
    WATTCAST_HOURLY_STREAM         = var.hourly_stream
    WATTCAST_DATA_BUCKET           = var.data_bucket
    WATTCAST_RAW_PREFIX            = var.raw_prefix
    WATTCAST_DEAD_LETTER_PREFIX    = var.dead_letter_prefix
    WATTCAST_MODELS_PREFIX         = var.models_prefix
    WATTCAST_HOURLY_TABLE          = var.hourly_table
    WATTCAST_HOUSEHOLDS_TABLE      = var.households_table
    WATTCAST_FORECASTS_TABLE       = var.forecasts_table
    WATTCAST_SETTINGS_TABLE        = var.settings_table
    WATTCAST_ALERTS_TABLE          = var.alerts_table
    WATTCAST_DEAD_LETTER_QUEUE     = var.dead_letter_queue
    WATTCAST_STREAM_FAILURES_QUEUE = var.stream_failures_queue
  }
}
