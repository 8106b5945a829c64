# The month projections at scale (projection_route = "batch"): EventBridge Scheduler starts a Step
# Functions flow each night that runs one SageMaker processing job with the forecaster image
# (`python -m services.projections --shard auto`); each instance projects its shard of the fleet.
# Preprocess then asks the endpoint for next-hour forecasts only. Created with the batch route once
# image_tags.forecaster is set.
# COST: each night bills instance_count processing instances for as long as the job runs
# (max_runtime_seconds caps it).

module "nightly_projections" {
  source = "../../modules/nightly_projections"
  count  = var.projection_route == "batch" && var.image_tags.forecaster != null ? 1 : 0

  image_uri           = local.images.forecaster
  ecr_repository_arn  = module.storage.ecr_repository_arns[var.ecr_repositories.forecaster]
  schedule_expression = var.projections.schedule_expression
  schedule_enabled    = var.projections.schedule_enabled
  instance_type       = var.projections.instance_type
  instance_count      = var.projections.instance_count
  volume_size_gb      = var.projections.volume_size_gb
  max_runtime_seconds = var.projections.max_runtime_seconds

  households_table            = var.households_table
  hourly_table                = var.hourly_table
  forecasts_table             = var.forecasts_table
  data_bucket                 = var.data_bucket
  models_prefix               = var.models_prefix
  model_pointer_prefix        = var.model_pointer_prefix
  prophet_default_model       = var.prophet_default_model
  allowed_lateness_seconds    = var.allowed_lateness_seconds
  metrics_namespace           = var.metrics_namespace
  households_table_arn        = module.storage.dynamodb_table_arns["households"]
  hourly_table_arn            = module.storage.dynamodb_table_arns["hourly"]
  forecasts_table_arn         = module.storage.dynamodb_table_arns["forecasts"]
  prophet_default_pointer_arn = lookup(module.storage.model_pointer_parameter_arns, "prophet-default", null)
  kms_key_arn                 = module.storage.kms_key_arn
  operations_topic_arn        = module.monitoring.sns_topic_arn
  log_retention_days          = var.functions.log_retention_days
  tags                        = local.tags
}
