output "readings_stream_arn" {
  description = "ARN of the readings stream in LocalStack."
  value       = module.readings_stream.kinesis_stream_arn
}

output "hourly_stream_arn" {
  description = "ARN of the hourly stream in LocalStack."
  value       = module.hourly_stream.kinesis_stream_arn
}

output "forecasted_stream_arn" {
  description = "ARN of the forecasted stream in LocalStack."
  value       = module.forecasted_stream.kinesis_stream_arn
}

output "storage_dynamodb_table_names" {
  description = "Table names by role."
  value       = module.storage.dynamodb_table_names
}

output "storage_sqs_queue_urls" {
  description = "Queue URLs by role."
  value       = module.storage.sqs_queue_urls
}

output "monitoring_sns_topic_arn" {
  description = "ARN of the operations topic in LocalStack (WATTCAST_OPERATIONS_TOPIC_ARN)."
  value       = module.monitoring.sns_topic_arn
}

output "monitoring_cloudwatch_metric_alarm_names" {
  description = "Every alarm created (the same set AWS gets with every image deployed)."
  value       = module.monitoring.cloudwatch_metric_alarm_names
}

output "monitoring_cloudwatch_dashboard_name" {
  description = "Name of the dashboard."
  value       = module.monitoring.cloudwatch_dashboard_name
}

output "service_environment" {
  description = "Environment for running the services and the CLI against LocalStack."
  value = {
    AWS_ENDPOINT_URL               = var.localstack_endpoint
    AWS_REGION                     = var.localstack_region
    WATTCAST_READINGS_STREAM       = var.readings_stream
    WATTCAST_HOURLY_STREAM         = var.hourly_stream
    WATTCAST_FORECASTED_STREAM     = var.forecasted_stream
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
    WATTCAST_ACCURACY_TABLE        = var.accuracy_table
    WATTCAST_OPERATIONS_TOPIC      = var.operations_topic
    WATTCAST_OPERATIONS_TOPIC_ARN  = local.operations_topic_arn
    WATTCAST_METRICS_NAMESPACE     = var.metrics_namespace
    WATTCAST_MODEL_POINTER_PREFIX  = var.model_pointer_prefix
  }
}
