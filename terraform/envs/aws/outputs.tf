output "storage_kms_key_arn" {
  description = "Key encrypting every store."
  value       = module.storage.kms_key_arn
}

output "storage_ecr_repository_urls" {
  description = "Where to push the images (docker push <url>:<tag>) before setting image_tags."
  value       = module.storage.ecr_repository_urls
}

output "readings_stream_arn" {
  description = "ARN of the readings stream (meters publish here)."
  value       = module.readings_stream.kinesis_stream_arn
}

output "readings_stream_producer_policy_json" {
  description = "IAM policy JSON for a meter client that publishes readings."
  value       = module.readings_stream.producer_policy_json
}

output "hourly_stream_arn" {
  description = "ARN of the hour-closed events stream."
  value       = module.hourly_stream.kinesis_stream_arn
}

output "forecasted_stream_arn" {
  description = "ARN of the forecasted-hour events stream (preprocess to accuracy)."
  value       = module.forecasted_stream.kinesis_stream_arn
}

output "storage_s3_bucket_id" {
  description = "The data bucket (upload model bundles under models_prefix)."
  value       = module.storage.s3_bucket_id
}

output "storage_sqs_queue_urls" {
  description = "Dead-letter and stream-failure queue URLs."
  value       = module.storage.sqs_queue_urls
}

output "ingest_lambda_function_arn" {
  description = "ARN of the ingest function (null until its image tag is set)."
  value       = one(module.ingest[*].lambda_function_arn)
}

output "preprocess_lambda_function_arn" {
  description = "ARN of the preprocess function (null until its image and the forecaster's are set)."
  value       = one(module.preprocess[*].lambda_function_arn)
}

output "household_api_endpoint" {
  description = "Invoke URL of the household API (null until the portal image tag is set)."
  value       = one(module.household_api[*].api_endpoint)
}

output "household_api_id" {
  description = "ID of the household HTTP API."
  value       = one(module.household_api[*].api_id)
}

output "household_api_user_pool_id" {
  description = "Cognito user pool of households and operators (admin-create-user here)."
  value       = one(module.household_api[*].user_pool_id)
}

output "household_api_user_pool_client_id" {
  description = "App client (no secret) to sign in with; the audience of the API's ID tokens."
  value       = one(module.household_api[*].user_pool_client_id)
}

output "household_api_user_pool_issuer_url" {
  description = "Issuer of the API's tokens: https://cognito-idp.<region>.amazonaws.com/<pool id>."
  value       = one(module.household_api[*].user_pool_issuer_url)
}

output "household_api_operators_group_name" {
  description = "Cognito group whose members read every household."
  value       = one(module.household_api[*].operators_group_name)
}

output "household_api_alerts_topic_arn" {
  description = "SNS topic new household alerts are announced on (WATTCAST_ALERTS_TOPIC_ARN)."
  value       = one(module.household_api[*].alerts_topic_arn)
}

output "household_api_portal_lambda_function_name" {
  description = "Name of the function behind the household API."
  value       = one(module.household_api[*].portal_lambda_function_name)
}

output "household_api_portal_lambda_function_arn" {
  description = "ARN of the function behind the household API."
  value       = one(module.household_api[*].portal_lambda_function_arn)
}

output "household_api_alerts_lambda_function_name" {
  description = "Name of the alerts function."
  value       = one(module.household_api[*].alerts_lambda_function_name)
}

output "household_api_alerts_lambda_function_arn" {
  description = "ARN of the alerts function."
  value       = one(module.household_api[*].alerts_lambda_function_arn)
}

output "household_api_page_url" {
  description = "The household page, <api endpoint>/ (the operator page: <api endpoint>/operator)."
  value       = one(module.household_api[*].page_url)
}

output "household_api_sign_in_url" {
  description = "The Cognito hosted UI's sign-in URL the pages link to (WATTCAST_PORTAL_SIGN_IN_URL)."
  value       = one(module.household_api[*].sign_in_url)
}

output "household_api_statements_lambda_function_name" {
  description = "Name of the statements function (aws lambda invoke --payload '{\"month\": \"YYYY-MM\"}' re-runs a month)."
  value       = one(module.household_api[*].statements_lambda_function_name)
}

output "forecaster_sagemaker_endpoint_name" {
  description = "Name of the forecaster endpoint (null until its image tag is set)."
  value       = one(module.forecaster[*].sagemaker_endpoint_name)
}

output "monitoring_sns_topic_arn" {
  description = "The operations topic every alarm and drift alert goes to (WATTCAST_OPERATIONS_TOPIC_ARN): subscribe operators here."
  value       = module.monitoring.sns_topic_arn
}

output "monitoring_cloudwatch_metric_alarm_names" {
  description = "Every alarm of the monitoring module (they grow with the image tags that create what they watch)."
  value       = module.monitoring.cloudwatch_metric_alarm_names
}

output "monitoring_cloudwatch_dashboard_name" {
  description = "The CloudWatch dashboard: ingest, iterator ages, event-to-forecast latency, forecast error, the endpoint, queues, drift."
  value       = module.monitoring.cloudwatch_dashboard_name
}

output "storage_model_pointer_parameter_names" {
  description = "SSM parameters naming each model's champion bundle (the trainer promotes by rewriting them)."
  value       = module.storage.model_pointer_parameter_names
}

output "accuracy_lambda_function_name" {
  description = "Name of the accuracy (scoring) function (null until its image tag is set)."
  value       = one(module.accuracy[*].accuracy_lambda_function_name)
}

output "accuracy_sweep_lambda_function_name" {
  description = "Name of the drift sweep function: aws lambda invoke --payload '{\"sweep\": \"drift\"}' runs a sweep now."
  value       = one(module.accuracy[*].sweep_lambda_function_name)
}

output "retraining_sfn_state_machine_arn" {
  description = "The retraining flow (null until image_tags.trainer is set): aws stepfunctions start-execution --state-machine-arn <arn> retrains now."
  value       = one(module.retraining[*].sfn_state_machine_arn)
}

output "retraining_scheduler_schedule_name" {
  description = "The EventBridge Scheduler schedule that starts retraining."
  value       = one(module.retraining[*].scheduler_schedule_name)
}

output "nightly_projections_sfn_state_machine_arn" {
  description = "The nightly projections flow (null unless projection_route = \"batch\" and image_tags.forecaster is set): aws stepfunctions start-execution --state-machine-arn <arn> projects the fleet now, as of today's UTC date."
  value       = one(module.nightly_projections[*].sfn_state_machine_arn)
}

output "nightly_projections_scheduler_schedule_name" {
  description = "The EventBridge Scheduler schedule that starts the nightly projections."
  value       = one(module.nightly_projections[*].scheduler_schedule_name)
}

output "nightly_projections_cloudwatch_metric_alarm_names" {
  description = "The failed and timed-out alarms of the nightly projections (empty on the endpoint route)."
  value       = flatten(module.nightly_projections[*].nightly_projections_cloudwatch_metric_alarm_names)
}

output "service_environment" {
  description = "WATTCAST_* variables for running the CLI or a service against this stack."
  value = {
    WATTCAST_READINGS_STREAM        = var.readings_stream
    WATTCAST_HOURLY_STREAM          = var.hourly_stream
    WATTCAST_FORECASTED_STREAM      = var.forecasted_stream
    WATTCAST_DATA_BUCKET            = var.data_bucket
    WATTCAST_RAW_PREFIX             = var.raw_prefix
    WATTCAST_DEAD_LETTER_PREFIX     = var.dead_letter_prefix
    WATTCAST_MODELS_PREFIX          = var.models_prefix
    WATTCAST_HOURLY_TABLE           = var.hourly_table
    WATTCAST_HOUSEHOLDS_TABLE       = var.households_table
    WATTCAST_FORECASTS_TABLE        = var.forecasts_table
    WATTCAST_SETTINGS_TABLE         = var.settings_table
    WATTCAST_ALERTS_TABLE           = var.alerts_table
    WATTCAST_ALERTS_TOPIC           = var.alerts_topic
    WATTCAST_DEAD_LETTER_QUEUE      = var.dead_letter_queue
    WATTCAST_STREAM_FAILURES_QUEUE  = var.stream_failures_queue
    WATTCAST_FORECASTER_ENDPOINT    = var.forecaster_endpoint
    WATTCAST_INGEST_FUNCTION        = var.ingest_function
    WATTCAST_PREPROCESS_FUNCTION    = var.preprocess_function
    WATTCAST_ALERTS_FUNCTION        = var.alerts_function
    WATTCAST_STATEMENTS_FUNCTION    = var.statements_function
    WATTCAST_STATEMENTS_PREFIX      = var.statements_prefix
    WATTCAST_PORTAL_HOUSEHOLD_CLAIM = var.portal_household_claim
    WATTCAST_PORTAL_OPERATOR_GROUP  = var.portal_operator_group
    WATTCAST_PORTAL_MAX_RANGE_HOURS = var.portal_max_range_hours
    WATTCAST_ACCURACY_TABLE         = var.accuracy_table
    WATTCAST_ACCURACY_FUNCTION      = var.accuracy_function
    WATTCAST_OPERATIONS_TOPIC       = var.operations_topic
    WATTCAST_OPERATIONS_TOPIC_ARN   = local.operations_topic_arn
    WATTCAST_METRICS_NAMESPACE      = var.metrics_namespace
    WATTCAST_MODEL_POINTER_PREFIX   = var.model_pointer_prefix
  }
}

output "spark_training_emrserverless_application_id" {
  description = "ID of the Spark training's EMR Serverless application (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].emrserverless_application_id)
}

output "spark_training_job_iam_role_arn" {
  description = "ARN of the Spark job runs' runtime role (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].job_iam_role_arn)
}

output "spark_training_ecr_repository_url" {
  description = "URL of the Spark job image's repository (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].ecr_repository_url)
}

output "spark_training_sfn_state_machine_arn" {
  description = "ARN of the Spark training state machine (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].sfn_state_machine_arn)
}

output "spark_training_scheduler_schedule_name" {
  description = "Name of the schedule that starts the Spark training (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].scheduler_schedule_name)
}

output "spark_training_job_arguments" {
  description = "The Spark job's entry point, arguments and spark-submit parameters (null unless spark_training.enabled)."
  value       = one(module.spark_training[*].job_arguments)
}

output "spark_training_cloudwatch_metric_alarm_names" {
  description = "The Spark training flow's failed and timed-out alarms (empty unless spark_training.enabled)."
  value       = flatten(module.spark_training[*].spark_training_cloudwatch_metric_alarm_names)
}
