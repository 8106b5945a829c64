# Alarms to the operations topic, and the dashboard. Created in step one (the topic and the queue
# alarms); each function's, the endpoint's and each service's custom-metric alarms appear with the
# image tag that creates it, so nothing alarms on a part that is not deployed yet.

locals {
  ingest_on     = var.image_tags.ingest != null
  preprocess_on = var.image_tags.preprocess != null && var.image_tags.forecaster != null
  portal_on     = var.image_tags.portal != null
  accuracy_on   = var.image_tags.accuracy != null
  forecaster_on = var.image_tags.forecaster != null

  operations_topic_arn = module.monitoring.sns_topic_arn # the services' WATTCAST_OPERATIONS_TOPIC_ARN

  stream_functions = merge(
    local.ingest_on ? { ingest = module.ingest[0].lambda_function_name } : {},
    local.preprocess_on ? { preprocess = module.preprocess[0].lambda_function_name } : {},
    local.portal_on ? {
      alerts     = module.household_api[0].alerts_lambda_function_name
      statements = module.household_api[0].statements_lambda_function_name
    } : {},
    local.accuracy_on ? { accuracy = module.accuracy[0].accuracy_lambda_function_name } : {},
  )
  functions = merge(
    local.stream_functions,
    local.portal_on ? { portal = module.household_api[0].portal_lambda_function_name } : {},
    local.accuracy_on ? { "accuracy-sweep" = module.accuracy[0].sweep_lambda_function_name } : {},
  )
  monitored_services = concat(
    local.ingest_on ? ["wattcast-ingest"] : [],
    local.preprocess_on ? ["wattcast-preprocess"] : [],
    local.portal_on ? ["wattcast-alerts", "wattcast-statements", "wattcast-portal"] : [],
    local.accuracy_on ? ["wattcast-accuracy"] : [],
    local.forecaster_on ? ["wattcast-forecaster"] : [],
  )
}

module "monitoring" {
  source = "../../modules/monitoring"

  operations_topic      = var.operations_topic
  metrics_namespace     = var.metrics_namespace
  alarm_name_prefix     = var.monitoring.alarm_name_prefix
  dashboard_name        = var.monitoring.dashboard_name
  stream_functions      = local.stream_functions
  functions             = local.functions
  dead_letter_queue     = var.dead_letter_queue
  stream_failures_queue = var.stream_failures_queue
  forecaster_endpoint   = local.forecaster_on ? module.forecaster[0].sagemaker_endpoint_name : null
  monitored_services    = local.monitored_services
  kms_key_arn           = module.storage.kms_key_arn

  iterator_age_alarm            = var.monitoring.iterator_age_alarm
  lambda_errors_alarm           = var.monitoring.lambda_errors_alarm
  lambda_throttles_alarm        = var.monitoring.lambda_throttles_alarm
  dead_letter_queue_alarm       = var.monitoring.dead_letter_queue_alarm
  stream_failures_queue_alarm   = var.monitoring.stream_failures_queue_alarm
  endpoint_5xx_alarm            = var.monitoring.endpoint_5xx_alarm
  endpoint_latency_alarm        = var.monitoring.endpoint_latency_alarm
  custom_metric_alarm_overrides = var.monitoring.custom_metric_alarm_overrides
  tags                          = local.tags
}
