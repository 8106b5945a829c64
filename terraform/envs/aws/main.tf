locals {
  tags = merge({ "wattcast:stack" = "aws" }, var.tags)

  image_repository_urls = module.storage.ecr_repository_urls
  images = {
    for image, repository in var.ecr_repositories :
    image => var.image_tags[image] == null ? null : "${local.image_repository_urls[repository]}:${var.image_tags[image]}"
  }
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
  deletion_protection   = var.deletion_protection
  ecr_repositories = {
    (var.ecr_repositories.ingest)     = { lambda_pull = true }
    (var.ecr_repositories.preprocess) = { lambda_pull = true }
    (var.ecr_repositories.forecaster) = {}
    (var.ecr_repositories.portal)     = { lambda_pull = true }
    (var.ecr_repositories.accuracy)   = { lambda_pull = true }
    (var.ecr_repositories.trainer)    = {}
  }
  tags = local.tags
}

module "readings_stream" {
  source = "../../modules/kinesis_stream"

  name                   = var.readings_stream
  stream_mode            = var.streams.mode
  shard_count            = var.streams.readings_shards
  retention_period_hours = var.streams.retention_hours
  shard_level_metrics    = var.streams.shard_level_metrics
  kms_key_arn            = module.storage.kms_key_arn
  tags                   = local.tags
}

module "hourly_stream" {
  source = "../../modules/kinesis_stream"

  name                   = var.hourly_stream
  stream_mode            = var.streams.mode
  shard_count            = var.streams.hourly_shards
  retention_period_hours = var.streams.retention_hours
  shard_level_metrics    = var.streams.shard_level_metrics
  kms_key_arn            = module.storage.kms_key_arn
  tags                   = local.tags
}

module "forecasted_stream" {
  source = "../../modules/kinesis_stream"

  name                   = var.forecasted_stream
  stream_mode            = var.streams.mode
  shard_count            = var.streams.forecasted_shards
  retention_period_hours = var.streams.retention_hours
  shard_level_metrics    = var.streams.shard_level_metrics
  kms_key_arn            = module.storage.kms_key_arn
  tags                   = local.tags
}
