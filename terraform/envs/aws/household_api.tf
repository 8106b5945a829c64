# The household API (Cognito with its hosted UI, HTTP API, portal function), the alerts function with
# its topic and schedule, and the statements function: one image, created once its tag is set (the
# image must be in ECR first).

module "household_api" {
  source = "../../modules/household_api"
  count  = var.image_tags.portal == null ? 0 : 1

  api_name            = var.household_api.api_name
  user_pool_name      = var.household_api.user_pool_name
  portal_function     = var.portal_function
  alerts_function     = var.alerts_function
  statements_function = var.statements_function
  ingest_function     = var.ingest_function
  preprocess_function = var.preprocess_function
  alerts_topic        = var.alerts_topic
  image_uri           = local.images.portal
  portal_handler      = var.portal_handler
  alerts_handler      = var.alerts_handler
  statements_handler  = var.statements_handler
  architecture        = var.functions.architecture

  hourly_table              = var.hourly_table
  households_table          = var.households_table
  forecasts_table           = var.forecasts_table
  settings_table            = var.settings_table
  alerts_table              = var.alerts_table
  accuracy_table            = var.accuracy_table
  dynamodb_table_arns       = module.storage.dynamodb_table_arns
  hourly_stream_arn         = module.hourly_stream.kinesis_stream_arn
  stream_failures_queue_arn = module.storage.sqs_queue_arns["stream_failures"]
  kms_key_arn               = module.storage.kms_key_arn

  data_bucket           = var.data_bucket
  data_bucket_arn       = module.storage.s3_bucket_arn
  statements_prefix     = var.statements_prefix
  dead_letter_queue     = var.dead_letter_queue
  dead_letter_queue_arn = module.storage.sqs_queue_arns["dead_letter"]
  stream_failures_queue = var.stream_failures_queue

  portal_household_claim  = var.portal_household_claim
  portal_operator_group   = var.portal_operator_group
  portal_max_range_hours  = var.portal_max_range_hours
  statement_link_seconds  = var.statement_link_seconds
  pipeline_window_minutes = var.pipeline_window_minutes
  metrics_namespace       = var.metrics_namespace

  starting_position                 = var.starting_position
  alerts_batch_size                 = var.alerts_batch_size
  alerts_batching_window_seconds    = var.alerts_batching_window_seconds
  alerts_maximum_retry_attempts     = var.alerts_maximum_retry_attempts
  alerts_maximum_record_age_seconds = var.alerts_maximum_record_age_seconds
  alerts_function_timeout_seconds   = var.alerts_function_timeout_seconds
  alerts_parallelization_factor     = var.alerts_parallelization_factor
  silent_sweep_interval_seconds     = var.silent_sweep_interval_seconds

  statements_batch_size                 = var.statements_batch_size
  statements_batching_window_seconds    = var.statements_batching_window_seconds
  statements_maximum_retry_attempts     = var.statements_maximum_retry_attempts
  statements_maximum_record_age_seconds = var.statements_maximum_record_age_seconds
  statements_function_timeout_seconds   = var.statements_function_timeout_seconds
  statements_parallelization_factor     = var.statements_parallelization_factor

  portal_memory_size               = var.household_api.portal_memory_size
  alerts_memory_size               = var.household_api.alerts_memory_size
  statements_memory_size           = var.household_api.statements_memory_size
  portal_function_timeout_seconds  = var.household_api.portal_function_timeout_seconds
  portal_reserved_concurrency      = var.household_api.portal_reserved_concurrency
  alerts_reserved_concurrency      = var.household_api.alerts_reserved_concurrency
  statements_reserved_concurrency  = var.household_api.statements_reserved_concurrency
  log_retention_days               = var.functions.log_retention_days
  password_minimum_length          = var.household_api.password_minimum_length
  temporary_password_validity_days = var.household_api.temporary_password_validity_days
  mfa_configuration                = var.household_api.mfa_configuration
  advanced_security_mode           = var.household_api.advanced_security_mode
  explicit_auth_flows              = var.household_api.explicit_auth_flows
  id_token_validity_minutes        = var.household_api.id_token_validity_minutes
  access_token_validity_minutes    = var.household_api.access_token_validity_minutes
  refresh_token_validity_days      = var.household_api.refresh_token_validity_days
  hosted_ui_domain_prefix          = var.household_api.hosted_ui_domain_prefix
  extra_callback_urls              = var.household_api.extra_callback_urls
  throttling_burst_limit           = var.household_api.throttling_burst_limit
  throttling_rate_limit            = var.household_api.throttling_rate_limit
  cors_allowed_origins             = var.household_api.cors_allowed_origins
  access_log_retention_days        = var.household_api.access_log_retention_days
  deletion_protection              = var.deletion_protection
  tags                             = local.tags
}
