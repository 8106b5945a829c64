# A variable named like a field of services/core/settings.py defaults to that field's default, and the
# functions receive it as WATTCAST_<FIELD> (tests/unit/test_terraform.py checks both).

variable "region" {
  description = "AWS region; null uses AWS_REGION / the profile's region."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags merged into every resource's tags (e.g. owner, cost centre)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- names (Settings defaults)

variable "readings_stream" {
  description = "Kinesis stream the meters publish readings to (WATTCAST_READINGS_STREAM)."
  type        = string
  default     = "wattcast-readings"
}

variable "hourly_stream" {
  description = "Kinesis stream of hour-closed events from ingest to preprocess (WATTCAST_HOURLY_STREAM)."
  type        = string
  default     = "wattcast-hourly"
}

variable "forecasted_stream" {
  description = "Kinesis stream of forecasted-hour events from preprocess to the accuracy function (WATTCAST_FORECASTED_STREAM)."
  type        = string
  default     = "wattcast-forecasted"
}

variable "data_bucket" {
  description = "S3 bucket for the raw archive, dead letters and models (WATTCAST_DATA_BUCKET). S3 names are global: set a unique one, e.g. wattcast-data-<account-id>."
  type        = string
  default     = "wattcast-data"
}

variable "raw_prefix" {
  description = "Raw archive key prefix (WATTCAST_RAW_PREFIX)."
  type        = string
  default     = "raw/"
}

variable "dead_letter_prefix" {
  description = "Key prefix of parked rejected records (WATTCAST_DEAD_LETTER_PREFIX)."
  type        = string
  default     = "dead-letter/"
}

variable "models_prefix" {
  description = "Key prefix of model bundles, the multi-model endpoint's model data (WATTCAST_MODELS_PREFIX)."
  type        = string
  default     = "models/"
}

variable "hourly_table" {
  description = "DynamoDB hourly aggregates table (WATTCAST_HOURLY_TABLE)."
  type        = string
  default     = "wattcast-hourly"
}

variable "households_table" {
  description = "DynamoDB per-household state table (WATTCAST_HOUSEHOLDS_TABLE)."
  type        = string
  default     = "wattcast-households"
}

variable "forecasts_table" {
  description = "DynamoDB forecasts table (WATTCAST_FORECASTS_TABLE)."
  type        = string
  default     = "wattcast-forecasts"
}

variable "settings_table" {
  description = "DynamoDB table of each household's settings (budget, tariff, alert knobs), key household_id (Settings.settings_table)."
  type        = string
  default     = "wattcast-settings"
}

variable "alerts_table" {
  description = "DynamoDB table of household alerts and alert states, keys household_id + alert_key (Settings.alerts_table)."
  type        = string
  default     = "wattcast-alerts"
}

variable "alerts_topic" {
  description = "SNS topic the alerts function announces new alerts on (Settings.alerts_topic); its ARN reaches the function as WATTCAST_ALERTS_TOPIC_ARN."
  type        = string
  default     = "wattcast-alerts"
}

variable "dead_letter_queue" {
  description = "SQS queue of rejected readings (WATTCAST_DEAD_LETTER_QUEUE)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS on-failure destination of the event source mappings (WATTCAST_STREAM_FAILURES_QUEUE)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "forecaster_endpoint" {
  description = "SageMaker endpoint serving the models (WATTCAST_FORECASTER_ENDPOINT)."
  type        = string
  default     = "wattcast-forecaster"
}

variable "projection_route" {
  description = "How month projections are made (WATTCAST_PROJECTION_ROUTE): \"endpoint\", per household on the endpoint as its day closes, or \"batch\", nightly over the fleet by `python -m services.projections` (preprocess then asks the endpoint for next-hour forecasts only). See the cost model: `wattcast cost`."
  type        = string
  default     = "endpoint"
  validation {
    condition     = contains(["endpoint", "batch"], var.projection_route)
    error_message = "projection_route must be \"endpoint\" or \"batch\"."
  }
}

variable "ingest_function" {
  description = "Name of the ingest Lambda function (WATTCAST_INGEST_FUNCTION)."
  type        = string
  default     = "wattcast-ingest"
}

variable "preprocess_function" {
  description = "Name of the preprocess Lambda function (WATTCAST_PREPROCESS_FUNCTION)."
  type        = string
  default     = "wattcast-preprocess"
}

variable "alerts_function" {
  description = "Name of the alerts Lambda function (WATTCAST_ALERTS_FUNCTION)."
  type        = string
  default     = "wattcast-alerts"
}

variable "statements_function" {
  description = "Name of the statements Lambda function (WATTCAST_STATEMENTS_FUNCTION)."
  type        = string
  default     = "wattcast-statements"
}

variable "portal_function" {
  description = "Name of the Lambda function behind the household API."
  type        = string
  default     = "wattcast-portal"
}

variable "statements_prefix" {
  description = "Key prefix of the monthly statements in the data bucket, <prefix><household>/<YYYY-MM>.html|.pdf (WATTCAST_STATEMENTS_PREFIX)."
  type        = string
  default     = "statements/"
}

variable "accuracy_table" {
  description = "DynamoDB table of forecast scores and rolling errors (WATTCAST_ACCURACY_TABLE)."
  type        = string
  default     = "wattcast-accuracy"
}

variable "accuracy_function" {
  description = "Name of the accuracy (scoring) Lambda function (WATTCAST_ACCURACY_FUNCTION); its drift sweep is <name>-drift-sweep."
  type        = string
  default     = "wattcast-accuracy"
}

variable "operations_topic" {
  description = "SNS topic of the alarms and drift alerts (WATTCAST_OPERATIONS_TOPIC); its ARN reaches the functions as WATTCAST_OPERATIONS_TOPIC_ARN."
  type        = string
  default     = "wattcast-operations"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' EMF metrics, which the alarms watch (WATTCAST_METRICS_NAMESPACE, given to every function and the forecaster)."
  type        = string
  default     = "Wattcast"
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers <prefix>lstm and <prefix>prophet-default (WATTCAST_MODEL_POINTER_PREFIX); retraining needs them."
  type        = string
  default     = "/wattcast/models/"
}

variable "lstm_target_model" {
  description = "The first LSTM champion (a key under models_prefix), the lstm pointer's initial value (Settings.lstm_target_model)."
  type        = string
  default     = "lstm/default.tar.gz"
}

variable "prophet_default_model" {
  description = "The first fleet-wide Prophet champion, the prophet-default pointer's initial value (Settings.prophet_default_model)."
  type        = string
  default     = "prophet/default.tar.gz"
}

# ---------------------------------------------------------------- images

variable "ecr_repositories" {
  description = "ECR repository names by image: ingest, preprocess, forecaster, portal, accuracy, trainer."
  type = object({
    ingest     = optional(string, "wattcast-ingest")
    preprocess = optional(string, "wattcast-preprocess")
    forecaster = optional(string, "wattcast-forecaster")
    portal     = optional(string, "wattcast-portal")
    accuracy   = optional(string, "wattcast-accuracy")
    trainer    = optional(string, "wattcast-trainer")
  })
  default = {}
}

variable "image_tags" {
  description = "Immutable tags of the pushed images. null before the first push: each function, the endpoint, the household API, the accuracy functions and the retraining flow are created once their image's tag is set (see README, two-step apply)."
  type = object({
    ingest     = optional(string)
    preprocess = optional(string)
    forecaster = optional(string)
    portal     = optional(string)
    accuracy   = optional(string)
    trainer    = optional(string)
  })
  default = {}
}

variable "ingest_handler" {
  description = "Handler the ingest image runs (scripts.local.mappings.ingest_mapping().handler)."
  type        = string
  default     = "services.ingest.handler.lambda_handler"
}

variable "preprocess_handler" {
  description = "Handler the preprocess image runs."
  type        = string
  default     = "services.preprocess.handler.lambda_handler"
}

variable "portal_handler" {
  description = "Handler the household API function runs (the portal image's CMD)."
  type        = string
  default     = "services.portal.handler.api_handler"
}

variable "alerts_handler" {
  description = "Handler the alerts function runs on the portal image (scripts.local.mappings.alerts_mapping().handler)."
  type        = string
  default     = "services.portal.handler.alerts_handler"
}

variable "statements_handler" {
  description = "Handler the statements function runs on the portal image (scripts.local.mappings.statements_mapping().handler)."
  type        = string
  default     = "services.portal.statement_handler.statements_handler"
}

variable "accuracy_handler" {
  description = "Handler the accuracy function runs on the hourly stream."
  type        = string
  default     = "services.accuracy.handler.lambda_handler"
}

variable "accuracy_sweep_handler" {
  description = "Handler the drift sweep function runs on its schedule (the accuracy image)."
  type        = string
  default     = "services.accuracy.handler.sweep_handler"
}

# ---------------------------------------------------------------- streams

variable "streams" {
  description = "Capacity of the three streams: mode ON_DEMAND or PROVISIONED (with shard counts) and retention in hours."
  type = object({
    mode                = optional(string, "ON_DEMAND")
    readings_shards     = optional(number)
    hourly_shards       = optional(number)
    forecasted_shards   = optional(number)
    retention_hours     = optional(number, 24)
    shard_level_metrics = optional(list(string), [])
  })
  default = {}
}

# ---------------------------------------------------------------- event source mappings (Settings defaults)

variable "starting_position" {
  description = "Where new mappings start reading: TRIM_HORIZON or LATEST (WATTCAST_STARTING_POSITION)."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST here (AT_TIMESTAMP needs a timestamp: use the module directly)."
  }
}

variable "ingest_batch_size" {
  description = "Readings mapping BatchSize (1..10000)."
  type        = number
  default     = 500
}

variable "ingest_batching_window_seconds" {
  description = "Readings mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1
}

variable "ingest_maximum_retry_attempts" {
  description = "Readings mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10
}

variable "ingest_maximum_record_age_seconds" {
  description = "Readings mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400
}

variable "ingest_function_timeout_seconds" {
  description = "Timeout of the ingest function (1..900)."
  type        = number
  default     = 60
}

variable "allowed_lateness_seconds" {
  description = "Event time: a household's hour closes once its own readings reach this far past the hour's end; later readings revise the hour (0..86400)."
  type        = number
  default     = 600
  validation {
    condition     = var.allowed_lateness_seconds >= 0 && var.allowed_lateness_seconds <= 86400
    error_message = "allowed_lateness_seconds must be 0..86400."
  }
}

variable "max_clock_skew_seconds" {
  description = "A reading dated more than this ahead of its record's arrival in Kinesis is a dead letter (future_timestamp) (0..86400)."
  type        = number
  default     = 300
  validation {
    condition     = var.max_clock_skew_seconds >= 0 && var.max_clock_skew_seconds <= 86400
    error_message = "max_clock_skew_seconds must be 0..86400."
  }
}

variable "ingest_parallelization_factor" {
  description = "Concurrent batches per readings shard (1..10); per-household order holds because the partition key is the household."
  type        = number
  default     = 1
}

variable "preprocess_batch_size" {
  description = "Hourly mapping BatchSize (1..10000)."
  type        = number
  default     = 100
}

variable "preprocess_batching_window_seconds" {
  description = "Hourly mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1
}

variable "preprocess_maximum_retry_attempts" {
  description = "Hourly mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10
}

variable "preprocess_maximum_record_age_seconds" {
  description = "Hourly mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400
}

variable "preprocess_function_timeout_seconds" {
  description = "Timeout of the preprocess function (1..900)."
  type        = number
  default     = 120
}

variable "preprocess_parallelization_factor" {
  description = "Concurrent batches per hourly shard (1..10)."
  type        = number
  default     = 1
}

variable "alerts_batch_size" {
  description = "Alerts mapping (hourly stream) BatchSize (1..10000)."
  type        = number
  default     = 100
}

variable "alerts_batching_window_seconds" {
  description = "Alerts mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1
}

variable "alerts_maximum_retry_attempts" {
  description = "Alerts mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10
}

variable "alerts_maximum_record_age_seconds" {
  description = "Alerts mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400
}

variable "alerts_function_timeout_seconds" {
  description = "Timeout of the alerts function (1..900)."
  type        = number
  default     = 60
}

variable "alerts_parallelization_factor" {
  description = "Concurrent alerts batches per hourly shard (1..10)."
  type        = number
  default     = 1
}

variable "statements_batch_size" {
  description = "Statements mapping (hourly stream) BatchSize (1..10000)."
  type        = number
  default     = 100
}

variable "statements_batching_window_seconds" {
  description = "Statements mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1
}

variable "statements_maximum_retry_attempts" {
  description = "Statements mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10
}

variable "statements_maximum_record_age_seconds" {
  description = "Statements mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400
}

variable "statements_function_timeout_seconds" {
  description = "Timeout of the statements function (1..900)."
  type        = number
  default     = 300
}

variable "statements_parallelization_factor" {
  description = "Concurrent statements batches per hourly shard (1..10)."
  type        = number
  default     = 1
}

variable "silent_sweep_interval_seconds" {
  description = "Schedule of the silent-meter sweep in seconds: a whole number of minutes, at least 60 (WATTCAST_SILENT_SWEEP_INTERVAL_SECONDS)."
  type        = number
  default     = 3600
}

variable "accuracy_batch_size" {
  description = "Accuracy mapping (hourly stream) BatchSize (1..10000)."
  type        = number
  default     = 100
}

variable "accuracy_batching_window_seconds" {
  description = "Accuracy mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1
}

variable "accuracy_maximum_retry_attempts" {
  description = "Accuracy mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10
}

variable "accuracy_maximum_record_age_seconds" {
  description = "Accuracy mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400
}

variable "accuracy_function_timeout_seconds" {
  description = "Timeout of the accuracy function (1..900)."
  type        = number
  default     = 60
}

variable "accuracy_parallelization_factor" {
  description = "Concurrent accuracy batches per hourly shard (1..10)."
  type        = number
  default     = 1
}

# ---------------------------------------------------------------- production accuracy and drift (Settings defaults)

variable "accuracy_ttl_days" {
  description = "Days a score item lives (WATTCAST_ACCURACY_TTL_DAYS)."
  type        = number
  default     = 400
}

variable "accuracy_window_days" {
  description = "Window of the rolling error, in days (WATTCAST_ACCURACY_WINDOW_DAYS)."
  type        = number
  default     = 7
}

variable "drift_multiple" {
  description = "A household drifts when its daily error is above this multiple of the model's test error (WATTCAST_DRIFT_MULTIPLE)..."
  type        = number
  default     = 2.0
}

variable "drift_days" {
  description = "...on this many consecutive closed days (WATTCAST_DRIFT_DAYS)."
  type        = number
  default     = 3
}

variable "drift_sweep_interval_seconds" {
  description = "Schedule of the drift sweep in seconds: a whole number of minutes, at least 60 (WATTCAST_DRIFT_SWEEP_INTERVAL_SECONDS)."
  type        = number
  default     = 86400
}

variable "retrain_holdout_days" {
  description = "Days of recent history a retrained model must beat the champion on (WATTCAST_RETRAIN_HOLDOUT_DAYS)."
  type        = number
  default     = 14
}

variable "accuracy" {
  description = "Sizing of the accuracy and drift sweep functions (memory in MB, reserved concurrency, -1 = unreserved; the sweep's timeout). Defaults are the accuracy module's."
  type = object({
    memory_size                    = optional(number, 512)
    reserved_concurrency           = optional(number, -1)
    sweep_function_timeout_seconds = optional(number, 300)
  })
  default = {}
}

# ---------------------------------------------------------------- monitoring and retraining

variable "monitoring" {
  description = "Alarm names and thresholds of the monitoring module: an attribute left out (or null) keeps the module's default (modules/monitoring/README.md lists them); custom_metric_alarm_overrides changes a custom metric's alarm by metric name."
  type = object({
    alarm_name_prefix = optional(string, "wattcast")
    dashboard_name    = optional(string, "wattcast")
    iterator_age_alarm = optional(object({
      threshold_seconds   = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }), {})
    lambda_errors_alarm = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }), {})
    lambda_throttles_alarm = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }), {})
    dead_letter_queue_alarm = optional(object({
      messages_threshold         = optional(number)
      oldest_message_age_seconds = optional(number)
      period                     = optional(number)
      evaluation_periods         = optional(number)
      datapoints_to_alarm        = optional(number)
    }), {})
    stream_failures_queue_alarm = optional(object({
      messages_threshold         = optional(number)
      oldest_message_age_seconds = optional(number)
      period                     = optional(number)
      evaluation_periods         = optional(number)
      datapoints_to_alarm        = optional(number)
    }), {})
    endpoint_5xx_alarm = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }), {})
    endpoint_latency_alarm = optional(object({
      statistic           = optional(string)
      threshold_ms        = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }), {})
    custom_metric_alarm_overrides = optional(map(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    })), {})
  })
  default = {}
}

variable "retraining" {
  description = "The retraining flow (created with image_tags.trainer): schedule (EventBridge Scheduler cron or rate, time zone, enabled), models, and each SageMaker training job's instance type and count, volume size in GB and maximum runtime in seconds. Defaults are the retraining module's."
  type = object({
    schedule_expression = optional(string, "cron(0 3 ? * SUN *)")
    schedule_timezone   = optional(string, "UTC")
    schedule_enabled    = optional(bool, true)
    models              = optional(list(string), ["lstm", "prophet"])
    instance_type       = optional(string, "ml.m5.large")
    instance_count      = optional(number, 1)
    volume_size_gb      = optional(number, 30)
    max_runtime_seconds = optional(number, 14400)
  })
  default = {}
}

variable "projections" {
  description = "The nightly month projections (created with projection_route = \"batch\" and image_tags.forecaster): the schedule (an EventBridge Scheduler cron in UTC, enabled), and the SageMaker processing job's instance type and count (each instance projects its shard of the fleet), volume size in GB and maximum runtime in seconds. Defaults are the nightly_projections module's."
  type = object({
    schedule_expression = optional(string, "cron(30 1 * * ? *)")
    schedule_enabled    = optional(bool, true)
    instance_type       = optional(string, "ml.m5.large")
    instance_count      = optional(number, 1)
    volume_size_gb      = optional(number, 30)
    max_runtime_seconds = optional(number, 14400)
  })
  default = {}
}

# ---------------------------------------------------------------- household API (Settings defaults)

variable "portal_household_claim" {
  description = "ID token claim naming the caller's household, a Cognito custom attribute (WATTCAST_PORTAL_HOUSEHOLD_CLAIM)."
  type        = string
  default     = "custom:household_id"
}

variable "portal_operator_group" {
  description = "Cognito group whose members read every household (WATTCAST_PORTAL_OPERATOR_GROUP)."
  type        = string
  default     = "operators"
}

variable "portal_max_range_hours" {
  description = "Longest window the /hours operation answers, in hours (WATTCAST_PORTAL_MAX_RANGE_HOURS)."
  type        = number
  default     = 744
}

variable "statement_link_seconds" {
  description = "Lifetime of a presigned statement link in seconds, 1..604800 (WATTCAST_STATEMENT_LINK_SECONDS); capped by the portal function's temporary credentials."
  type        = number
  default     = 3600
}

variable "pipeline_window_minutes" {
  description = "Window of the operator page's iterator ages, in minutes (WATTCAST_PIPELINE_WINDOW_MINUTES)."
  type        = number
  default     = 15
}

variable "household_api" {
  description = "The household API: names, function sizing, Cognito (MFA, threat protection, sign-in flows, token lifetimes, the hosted UI's domain prefix, null = <user_pool_name>-<account id>, and extra callback URLs), stage throttling, CORS origins (empty = none) and access log retention. Defaults are the household_api module's."
  type = object({
    api_name                         = optional(string, "wattcast-household-api")
    user_pool_name                   = optional(string, "wattcast-households")
    portal_memory_size               = optional(number, 1024)
    alerts_memory_size               = optional(number, 1024)
    statements_memory_size           = optional(number, 1024)
    portal_function_timeout_seconds  = optional(number, 29)
    portal_reserved_concurrency      = optional(number, -1)
    alerts_reserved_concurrency      = optional(number, -1)
    statements_reserved_concurrency  = optional(number, -1)
    password_minimum_length          = optional(number, 12)
    temporary_password_validity_days = optional(number, 7)
    mfa_configuration                = optional(string, "OPTIONAL")
    advanced_security_mode           = optional(string, "OFF")
    explicit_auth_flows              = optional(list(string), ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    id_token_validity_minutes        = optional(number, 60)
    access_token_validity_minutes    = optional(number, 60)
    refresh_token_validity_days      = optional(number, 30)
    hosted_ui_domain_prefix          = optional(string)
    extra_callback_urls              = optional(list(string), [])
    throttling_burst_limit           = optional(number, 100)
    throttling_rate_limit            = optional(number, 50)
    cors_allowed_origins             = optional(list(string), [])
    access_log_retention_days        = optional(number, 365)
  })
  default = {}
}

# ---------------------------------------------------------------- functions

variable "functions" {
  description = "Sizing of the ingest and preprocess functions: memory in MB, reserved concurrency (-1 = unreserved; accounts with the default quota of 10 cannot reserve any); architecture and log retention in days of every function."
  type = object({
    ingest_memory_size              = optional(number, 1024)
    preprocess_memory_size          = optional(number, 1024)
    ingest_reserved_concurrency     = optional(number, -1)
    preprocess_reserved_concurrency = optional(number, -1)
    architecture                    = optional(string, "x86_64")
    log_retention_days              = optional(number, 365)
  })
  default = {}
}

# ---------------------------------------------------------------- forecaster endpoint

variable "forecaster" {
  description = "Forecaster endpoint: instance type and count, autoscaling, optional serverless (needs single_model_key: serverless cannot host multi-model)."
  type = object({
    instance_type    = optional(string, "ml.m5.large")
    instance_count   = optional(number, 1)
    single_model_key = optional(string)
    autoscaling = optional(object({
      enabled                         = optional(bool, true)
      min_capacity                    = optional(number, 1)
      max_capacity                    = optional(number, 2)
      target_invocations_per_instance = optional(number, 100)
    }), {})
    serverless_config = optional(object({
      max_concurrency   = number
      memory_size_in_mb = number
    }))
  })
  default = {}
}

# ---------------------------------------------------------------- safety

variable "deletion_protection" {
  description = "Protect tables, and keep a non-empty bucket and repositories, on destroy. Set false and apply before destroying a throw-away stack."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- Spark training (EMR Serverless)

variable "spark_training" {
  description = "Per-household Prophet on EMR Serverless (off by default): the EMR release (emr-7.x, the image's base), worker architecture, the application's maximum capacity and idle stop, the job image's tag in the module's repository (null until pushed), the input (raw-archive or parquet, under raw_prefix or parquet_prefix), executor size, shuffle partitions, maximum runtime and the schedule (UTC). Defaults are the spark_training module's."
  type = object({
    enabled              = optional(bool, false)
    release_label        = optional(string, "emr-7.5.0")
    architecture         = optional(string, "X86_64")
    maximum_capacity     = optional(object({ cpu = string, memory = string, disk = optional(string) }), { cpu = "16 vCPU", memory = "64 GB", disk = "320 GB" })
    idle_timeout_minutes = optional(number, 15)
    image_tag            = optional(string)
    input                = optional(string, "raw-archive")
    parquet_prefix       = optional(string, "exports/hourly/")
    executor_cores       = optional(number, 4)
    executor_memory      = optional(string, "14g")
    spark_partitions     = optional(number, 64)
    max_runtime_minutes  = optional(number, 240)
    schedule_expression  = optional(string, "cron(0 2 ? * SUN *)")
    schedule_enabled     = optional(bool, true)
  })
  default = {}
}
