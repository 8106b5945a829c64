# Per-household Prophet at scale on EMR Serverless (spark_training.enabled): EventBridge Scheduler
# starts a Step Functions flow that runs one Spark job (`wattcast train prophet --engine spark`,
# groupBy(household).applyInPandas) on the raw archive ingest writes (or a Parquet export of the
# hourly table) and writes each household's bundle under <models_prefix>prophet-spark/. The job's
# image (docker/spark.Dockerfile) goes to the module's own repository: apply once, push the image,
# then apply with spark_training.image_tag.
# COST: EMR Serverless bills the vCPU, memory and disk its workers hold while a job runs (the
# application starts with the run and stops when idle); maximum_capacity caps it.

module "spark_training" {
  source = "../../modules/spark_training"
  count  = var.spark_training.enabled ? 1 : 0

  release_label        = var.spark_training.release_label
  architecture         = var.spark_training.architecture
  maximum_capacity     = var.spark_training.maximum_capacity
  idle_timeout_minutes = var.spark_training.idle_timeout_minutes
  image_tag            = var.spark_training.image_tag
  force_delete         = !var.deletion_protection
  input                = var.spark_training.input
  executor_cores       = var.spark_training.executor_cores
  executor_memory      = var.spark_training.executor_memory
  spark_partitions     = var.spark_training.spark_partitions
  max_runtime_minutes  = var.spark_training.max_runtime_minutes
  schedule_expression  = var.spark_training.schedule_expression
  schedule_enabled     = var.spark_training.schedule_enabled
  parquet_prefix       = var.spark_training.parquet_prefix

  data_bucket          = var.data_bucket
  raw_prefix           = var.raw_prefix
  models_prefix        = var.models_prefix
  kms_key_arn          = module.storage.kms_key_arn
  operations_topic_arn = module.monitoring.sns_topic_arn
  log_retention_days   = var.functions.log_retention_days
  tags                 = local.tags
}
