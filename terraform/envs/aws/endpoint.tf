# The forecaster: a multi-model endpoint over s3://<data_bucket>/<models_prefix> (or one bundle).
# COST: a real-time endpoint bills per instance-hour from creation to deletion, even with no traffic.

module "forecaster" {
  source = "../../modules/sagemaker_endpoint"
  count  = var.image_tags.forecaster == null ? 0 : 1

  endpoint_name          = var.forecaster_endpoint
  image_uri              = local.images.forecaster
  ecr_repository_arn     = module.storage.ecr_repository_arns[var.ecr_repositories.forecaster]
  model_mode             = var.forecaster.single_model_key == null ? "MultiModel" : "SingleModel"
  models_bucket          = module.storage.s3_bucket_id
  models_prefix          = var.models_prefix
  single_model_key       = var.forecaster.single_model_key
  container_environment  = { WATTCAST_METRICS_NAMESPACE = var.metrics_namespace }
  instance_type          = var.forecaster.instance_type
  initial_instance_count = var.forecaster.instance_count
  autoscaling            = var.forecaster.autoscaling
  serverless_config      = var.forecaster.serverless_config
  kms_key_arn            = module.storage.kms_key_arn
  tags                   = local.tags
}
