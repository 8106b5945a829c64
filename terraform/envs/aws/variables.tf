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

variable "dead_letter_queue" {
  description = "SQS queue of rejected readings (WATTCAST_DEAD_LETTER_QUEUE)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS on-failure destination of both event source mappings (WATTCAST_STREAM_FAILURES_QUEUE)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "forecaster_endpoint" {
  description = "SageMaker endpoint serving the models (WATTCAST_FORECASTER_ENDPOINT)."
  type        = string
  default     = "wattcast-forecaster"
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

# ---------------------------------------------------------------- images

variable "ecr_repositories" {
  description = "ECR repository names by image: ingest, preprocess, forecaster."
  type = object({
    ingest     = optional(string, "wattcast-ingest")
    preprocess = optional(string, "wattcast-preprocess")
    forecaster = optional(string, "wattcast-forecaster")
  })
  default = {}
}

variable "image_tags" {
  description = "Immutable tags of the pushed images. null before the first push: functions and endpoint are created only once all three are set (see README, two-step apply)."
  type = object({
    ingest     = optional(string)
    preprocess = optional(string)
    forecaster = optional(string)
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

# ---------------------------------------------------------------- streams

variable "streams" {
  description = "Capacity of the two streams: mode ON_DEMAND or PROVISIONED (with shard counts) and retention in hours."
  type = object({
    mode                = optional(string, "ON_DEMAND")
    readings_shards     = optional(number)
    hourly_shards       = optional(number)
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

# ---------------------------------------------------------------- functions

variable "functions" {
  description = "Sizing of both functions: memory in MB, reserved concurrency (-1 = unreserved; accounts with the default quota of 10 cannot reserve any), log retention in days."
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
