# Retraining on a schedule: EventBridge Scheduler starts a Step Functions flow that runs one SageMaker
# training job per model with the trainer image (`train`); a job promotes its bundle through the model
# pointer only when it beats the champion on the holdout. Created once image_tags.trainer is set.
# COST: each run bills the training instances for as long as the jobs run (max_runtime_seconds caps it).

module "retraining" {
  source = "../../modules/retraining"
  count  = var.image_tags.trainer == null ? 0 : 1

  image_uri           = local.images.trainer
  ecr_repository_arn  = module.storage.ecr_repository_arns[var.ecr_repositories.trainer]
  models              = var.retraining.models
  schedule_expression = var.retraining.schedule_expression
  schedule_timezone   = var.retraining.schedule_timezone
  schedule_enabled    = var.retraining.schedule_enabled
  instance_type       = var.retraining.instance_type
  instance_count      = var.retraining.instance_count
  volume_size_gb      = var.retraining.volume_size_gb
  max_runtime_seconds = var.retraining.max_runtime_seconds

  hourly_table                 = var.hourly_table
  households_table             = var.households_table
  data_bucket                  = var.data_bucket
  models_prefix                = var.models_prefix
  model_pointer_prefix         = var.model_pointer_prefix
  retrain_holdout_days         = var.retrain_holdout_days
  metrics_namespace            = var.metrics_namespace
  hourly_table_arn             = module.storage.dynamodb_table_arns["hourly"]
  households_table_arn         = module.storage.dynamodb_table_arns["households"]
  model_pointer_parameter_arns = values(module.storage.model_pointer_parameter_arns)
  kms_key_arn                  = module.storage.kms_key_arn
  operations_topic_arn         = module.monitoring.sns_topic_arn
  log_retention_days           = var.functions.log_retention_days
  tags                         = local.tags
}
