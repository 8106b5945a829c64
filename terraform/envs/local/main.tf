# What the free LocalStack runs: streams, tables, bucket, queues (and the KMS key that encrypts them).
# Not here: Lambda container images, ECR and SageMaker are LocalStack Pro features. Locally the
# handlers and their event source mappings run in `wattcast stack up --localstack` (scripts/local/esm), and
# the forecaster runs as a process or container answering the SageMaker runtime API.

locals {
  tags = merge({ "wattcast:stack" = "local" }, var.tags)
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
