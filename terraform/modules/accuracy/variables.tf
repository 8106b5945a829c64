# Names and knobs named after a field of services/core/settings.py default to that field's default, and
# the functions receive them as WATTCAST_<FIELD> (tests/unit/test_terraform.py checks both).

# ---------------------------------------------------------------- names

variable "accuracy_function" {
  description = "Name of the scoring function (Settings.accuracy_function); the drift sweep function is <name>-drift-sweep."
  type        = string
  default     = "wattcast-accuracy"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,52}$", var.accuracy_function))
    error_message = "accuracy_function must be 1-52 of a-z, A-Z, 0-9, '_', '-' (the sweep function adds 12 characters)."
  }
}

variable "hourly_table" {
  description = "DynamoDB hourly aggregates table, the actuals (WATTCAST_HOURLY_TABLE)."
  type        = string
  default     = "wattcast-hourly"
}

variable "forecasts_table" {
  description = "DynamoDB forecasts table, what was forecast for each hour (WATTCAST_FORECASTS_TABLE)."
  type        = string
  default     = "wattcast-forecasts"
}

variable "accuracy_table" {
  description = "DynamoDB table of scores and rolling errors the functions write (WATTCAST_ACCURACY_TABLE)."
  type        = string
  default     = "wattcast-accuracy"
}

variable "data_bucket" {
  description = "S3 bucket of the model bundles and their metadata sidecars (WATTCAST_DATA_BUCKET); its ARN is data_bucket_arn."
  type        = string
  default     = "wattcast-data"
}

variable "models_prefix" {
  description = "Key prefix of the bundles (WATTCAST_MODELS_PREFIX); the functions read <prefix>**/*.metadata.json for each model's test error."
  type        = string
  default     = "models/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.models_prefix))
    error_message = "models_prefix must be a key prefix ending with '/': S3's safe characters but '*' (IAM's wildcard), no leading '/'."
  }
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers naming each champion (WATTCAST_MODEL_POINTER_PREFIX); their ARNs are model_pointer_parameter_arns."
  type        = string
  default     = "/wattcast/models/"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' EMF metrics (WATTCAST_METRICS_NAMESPACE), the monitoring module's."
  type        = string
  default     = "Wattcast"
}

# ---------------------------------------------------------------- what the functions may touch (exact ARNs)

variable "dynamodb_table_arns" {
  description = "ARNs of the tables named above, by role (the storage module's dynamodb_table_arns)."
  type = object({
    hourly    = string
    forecasts = string
    accuracy  = string
  })

  validation {
    condition     = alltrue([for arn in values(var.dynamodb_table_arns) : startswith(arn, "arn:") && strcontains(arn, ":table/")])
    error_message = "dynamodb_table_arns must hold DynamoDB table ARNs."
  }
}

variable "forecasted_stream_arn" {
  description = "ARN of the forecasted-hour events stream (Settings.forecasted_stream, written by preprocess) the scoring function consumes."
  type        = string

  validation {
    condition     = startswith(var.forecasted_stream_arn, "arn:") && strcontains(var.forecasted_stream_arn, ":stream/")
    error_message = "forecasted_stream_arn must be a Kinesis stream ARN."
  }
}

variable "stream_failures_queue_arn" {
  description = "ARN of the SQS queue that is the on-failure destination of the mapping (Settings.stream_failures_queue)."
  type        = string

  validation {
    condition     = startswith(var.stream_failures_queue_arn, "arn:") && strcontains(var.stream_failures_queue_arn, ":sqs:")
    error_message = "stream_failures_queue_arn must be an SQS queue ARN."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket (the storage module's s3_bucket_arn): the functions read <models_prefix>* only."
  type        = string

  validation {
    condition     = startswith(var.data_bucket_arn, "arn:") && strcontains(var.data_bucket_arn, ":s3:::")
    error_message = "data_bucket_arn must be an S3 bucket ARN."
  }
}

variable "model_pointer_parameter_arns" {
  description = "ARNs of the model pointer parameters (the storage module's model_pointer_parameter_arns values): ssm:GetParameter on these only."
  type        = list(string)

  validation {
    condition     = alltrue([for arn in var.model_pointer_parameter_arns : startswith(arn, "arn:") && strcontains(arn, ":parameter/")])
    error_message = "model_pointer_parameter_arns must hold SSM parameter ARNs."
  }
}

variable "operations_topic_arn" {
  description = "ARN of the operations topic (the monitoring module's) drift alerts are published to (WATTCAST_OPERATIONS_TOPIC_ARN)."
  type        = string

  validation {
    condition     = startswith(var.operations_topic_arn, "arn:") && strcontains(var.operations_topic_arn, ":sns:")
    error_message = "operations_topic_arn must be an SNS topic ARN."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's): encrypts the log groups and the functions' environment; the functions may use it for the tables, the topic and the bundles it encrypts."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

# ---------------------------------------------------------------- the functions

variable "image_uri" {
  description = "ECR URI of the accuracy image (docker/accuracy.Dockerfile) with an immutable tag or digest; both functions run it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "accuracy_handler" {
  description = "Handler the scoring function runs on the hourly stream."
  type        = string
  default     = "services.accuracy.handler.lambda_handler"
}

variable "sweep_handler" {
  description = "Handler the drift sweep function runs on its schedule (event {\"sweep\": \"drift\"})."
  type        = string
  default     = "services.accuracy.handler.sweep_handler"
}

variable "architecture" {
  description = "Instruction set of the image: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of both functions in MB (128..10240)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number 128..10240."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of each function: -1 unreserved, 0 stops it, N reserves and caps N."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency >= -1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number >= -1."
  }
}

variable "sweep_function_timeout_seconds" {
  description = "Timeout of the drift sweep (1..900): one invocation reads every household's recent daily errors."
  type        = number
  default     = 300

  validation {
    condition     = var.sweep_function_timeout_seconds >= 1 && var.sweep_function_timeout_seconds <= 900 && floor(var.sweep_function_timeout_seconds) == var.sweep_function_timeout_seconds
    error_message = "sweep_function_timeout_seconds must be a whole number 1..900."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

# ---------------------------------------------------------------- scoring and drift (Settings defaults)

variable "accuracy_ttl_days" {
  description = "Days a score item lives before DynamoDB's TTL removes it (WATTCAST_ACCURACY_TTL_DAYS, >= 1)."
  type        = number
  default     = 400

  validation {
    condition     = var.accuracy_ttl_days >= 1 && floor(var.accuracy_ttl_days) == var.accuracy_ttl_days
    error_message = "accuracy_ttl_days must be a whole number >= 1."
  }
}

variable "accuracy_window_days" {
  description = "Window of the rolling error, in days (WATTCAST_ACCURACY_WINDOW_DAYS, >= 1)."
  type        = number
  default     = 7

  validation {
    condition     = var.accuracy_window_days >= 1 && floor(var.accuracy_window_days) == var.accuracy_window_days
    error_message = "accuracy_window_days must be a whole number >= 1."
  }
}

variable "drift_multiple" {
  description = "A household drifts when its daily error is above this multiple of the model's test error (WATTCAST_DRIFT_MULTIPLE, more than 1, at most 100)..."
  type        = number
  default     = 2.0

  validation {
    condition     = var.drift_multiple > 1 && var.drift_multiple <= 100
    error_message = "drift_multiple must be in (1, 100]."
  }
}

variable "drift_days" {
  description = "...on this many consecutive closed days (WATTCAST_DRIFT_DAYS, >= 1)."
  type        = number
  default     = 3

  validation {
    condition     = var.drift_days >= 1 && floor(var.drift_days) == var.drift_days
    error_message = "drift_days must be a whole number >= 1."
  }
}

variable "drift_sweep_interval_seconds" {
  description = "Schedule of the drift sweep, in seconds (Settings.drift_sweep_interval_seconds); a whole number of minutes, at least 60."
  type        = number
  default     = 86400

  validation {
    condition     = var.drift_sweep_interval_seconds >= 60 && var.drift_sweep_interval_seconds % 60 == 0
    error_message = "drift_sweep_interval_seconds must be a whole number of minutes, at least 60 (EventBridge rates are in minutes)."
  }
}

# ---------------------------------------------------------------- the mapping (Settings defaults)

variable "starting_position" {
  description = "Where the scoring mapping starts reading the forecasted stream: TRIM_HORIZON or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "accuracy_batch_size" {
  description = "Scoring mapping BatchSize (1..10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.accuracy_batch_size >= 1 && var.accuracy_batch_size <= 10000 && floor(var.accuracy_batch_size) == var.accuracy_batch_size
    error_message = "accuracy_batch_size must be a whole number 1..10000."
  }
}

variable "accuracy_batching_window_seconds" {
  description = "Scoring mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1

  validation {
    condition     = var.accuracy_batching_window_seconds >= 0 && var.accuracy_batching_window_seconds <= 300 && floor(var.accuracy_batching_window_seconds) == var.accuracy_batching_window_seconds
    error_message = "accuracy_batching_window_seconds must be a whole number 0..300."
  }
}

variable "accuracy_maximum_retry_attempts" {
  description = "Scoring mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10

  validation {
    condition     = var.accuracy_maximum_retry_attempts >= -1 && var.accuracy_maximum_retry_attempts <= 10000 && floor(var.accuracy_maximum_retry_attempts) == var.accuracy_maximum_retry_attempts
    error_message = "accuracy_maximum_retry_attempts must be a whole number -1..10000."
  }
}

variable "accuracy_maximum_record_age_seconds" {
  description = "Scoring mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400

  validation {
    condition     = var.accuracy_maximum_record_age_seconds == -1 || (var.accuracy_maximum_record_age_seconds >= 60 && var.accuracy_maximum_record_age_seconds <= 604800)
    error_message = "accuracy_maximum_record_age_seconds must be -1 (infinite) or 60..604800."
  }
}

variable "accuracy_function_timeout_seconds" {
  description = "Timeout of the scoring function (1..900)."
  type        = number
  default     = 60

  validation {
    condition     = var.accuracy_function_timeout_seconds >= 1 && var.accuracy_function_timeout_seconds <= 900 && floor(var.accuracy_function_timeout_seconds) == var.accuracy_function_timeout_seconds
    error_message = "accuracy_function_timeout_seconds must be a whole number 1..900."
  }
}

variable "accuracy_parallelization_factor" {
  description = "Concurrent scoring batches per forecasted shard (1..10); per-household order holds because the partition key is the household."
  type        = number
  default     = 1

  validation {
    condition     = var.accuracy_parallelization_factor >= 1 && var.accuracy_parallelization_factor <= 10 && floor(var.accuracy_parallelization_factor) == var.accuracy_parallelization_factor
    error_message = "accuracy_parallelization_factor must be a whole number 1..10."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
