# What the free LocalStack runs: streams, tables, bucket, queues, the model pointers (and the KMS key
# that encrypts them), and the monitoring: the operations topic, every alarm and the dashboard.
# Not here: Lambda container images, ECR and SageMaker are LocalStack Pro features. Locally the
# handlers and their event source mappings run in `wattcast stack up --localstack` (scripts/local/esm), and
# the forecaster runs as a process or container answering the SageMaker runtime API.

locals {
  tags = merge({ "wattcast:stack" = "local" }, var.tags)

  operations_topic_arn = module.monitoring.sns_topic_arn # the services' WATTCAST_OPERATIONS_TOPIC_ARN
}

module "storage" {
  source = "../../modules/storage"

  data_bucket           = var.data_bucket
  raw_prefix            = var.raw_prefix
  dead_letter_prefix    = var.dead_letter_prefix
  models_prefix         = var.models_prefix
  hourly_table          = var.hourly_table
  households_table      = var.households_table
  forecasts_table       = var.forecasts_table
  settings_table        = var.settings_table
  alerts_table          = var.alerts_table
  accuracy_table        = var.accuracy_table
  model_pointer_prefix  = var.model_pointer_prefix
  lstm_target_model     = var.lstm_target_model
  prophet_default_model = var.prophet_default_model
  dead_letter_queue     = var.dead_letter_queue
  stream_failures_queue = var.stream_failures_queue
  ecr_repositories      = {}
  deletion_protection   = false
  # The emulator's endpoint is plain HTTP on loopback: a TLS-only policy would refuse every call.
  deny_insecure_transport = false
  tags                    = local.tags
}

module "readings_stream" {
  source = "../../modules/kinesis_stream"

  name        = var.readings_stream
  stream_mode = "PROVISIONED"
  shard_count = var.readings_shards
  kms_key_arn = module.storage.kms_key_arn
  tags        = local.tags
}

module "hourly_stream" {
  source = "../../modules/kinesis_stream"

  name        = var.hourly_stream
  stream_mode = "PROVISIONED"
  shard_count = 1
  kms_key_arn = module.storage.kms_key_arn
  tags        = local.tags
}

module "forecasted_stream" {
  source = "../../modules/kinesis_stream"

  name        = var.forecasted_stream
  stream_mode = "PROVISIONED"
  shard_count = 1
  kms_key_arn = module.storage.kms_key_arn
  tags        = local.tags
}

# Every alarm AWS gets, on the names the functions and the endpoint have there (the emulator keeps
# alarms on metrics nobody emits yet), the operations topic and the dashboard.
module "monitoring" {
  source = "../../modules/monitoring"

  operations_topic  = var.operations_topic
  metrics_namespace = var.metrics_namespace
  stream_functions = {
    ingest     = var.ingest_function
    preprocess = var.preprocess_function
    alerts     = var.alerts_function
    statements = var.statements_function
    accuracy   = var.accuracy_function
  }
  functions = {
    ingest           = var.ingest_function
    preprocess       = var.preprocess_function
    alerts           = var.alerts_function
    statements       = var.statements_function
    accuracy         = var.accuracy_function
    "accuracy-sweep" = "${var.accuracy_function}-drift-sweep"
    portal           = var.portal_function
  }
  dead_letter_queue     = var.dead_letter_queue
  stream_failures_queue = var.stream_failures_queue
  forecaster_endpoint   = var.forecaster_endpoint
  kms_key_arn           = module.storage.kms_key_arn
  # The emulator's endpoint is plain HTTP on loopback.
  deny_insecure_transport = false
  tags                    = local.tags
}
