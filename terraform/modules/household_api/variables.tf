# Names and knobs named after a field of services/core/settings.py default to that field's default, and
# the functions receive them as WATTCAST_<FIELD> (tests/unit/test_terraform.py checks both).

# ---------------------------------------------------------------- names

variable "api_name" {
  description = "Name of the HTTP API; also names its access log group (/aws/apigateway/<name>/access) and the app client."
  type        = string
  default     = "wattcast-household-api"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,100}$", var.api_name))
    error_message = "api_name must be 1-100 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "user_pool_name" {
  description = "Name of the Cognito user pool of households and operators."
  type        = string
  default     = "wattcast-households"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.user_pool_name))
    error_message = "user_pool_name must be 1-128 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "portal_function" {
  description = "Name of the Lambda function behind the API (the portal image's api_handler)."
  type        = string
  default     = "wattcast-portal"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.portal_function))
    error_message = "portal_function must be 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "alerts_function" {
  description = "Name of the alerts Lambda function (Settings.alerts_function)."
  type        = string
  default     = "wattcast-alerts"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.alerts_function))
    error_message = "alerts_function must be 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "statements_function" {
  description = "Name of the statements Lambda function (Settings.statements_function)."
  type        = string
  default     = "wattcast-statements"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.statements_function))
    error_message = "statements_function must be 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "ingest_function" {
  description = "Name of the ingest function, whose IteratorAge the operator page shows (WATTCAST_INGEST_FUNCTION)."
  type        = string
  default     = "wattcast-ingest"
}

variable "preprocess_function" {
  description = "Name of the preprocess function, whose IteratorAge the operator page shows (WATTCAST_PREPROCESS_FUNCTION)."
  type        = string
  default     = "wattcast-preprocess"
}

variable "alerts_topic" {
  description = "Name of the SNS topic the alerts function announces new alerts on (Settings.alerts_topic)."
  type        = string
  default     = "wattcast-alerts"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.alerts_topic))
    error_message = "alerts_topic must be 1-256 of a-z, A-Z, 0-9, '_', '-' (a standard topic)."
  }
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
  description = "DynamoDB table of each household's settings (WATTCAST_SETTINGS_TABLE)."
  type        = string
  default     = "wattcast-settings"
}

variable "alerts_table" {
  description = "DynamoDB table of household alerts and alert states (WATTCAST_ALERTS_TABLE)."
  type        = string
  default     = "wattcast-alerts"
}

variable "accuracy_table" {
  description = "DynamoDB table of production scores, whose drift marks the operator's fleet shows (WATTCAST_ACCURACY_TABLE)."
  type        = string
  default     = "wattcast-accuracy"
}

variable "data_bucket" {
  description = "S3 bucket the statements are stored in (WATTCAST_DATA_BUCKET); its ARN is data_bucket_arn."
  type        = string
  default     = "wattcast-data"
}

variable "statements_prefix" {
  description = "Key prefix of the statements in the data bucket: <prefix><household>/<YYYY-MM>.html|.pdf (WATTCAST_STATEMENTS_PREFIX); ends with '/'."
  type        = string
  default     = "statements/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.statements_prefix))
    error_message = "statements_prefix must be a key prefix ending with '/': S3's safe characters but '*' (IAM's wildcard), no leading '/'."
  }
}

variable "dead_letter_queue" {
  description = "SQS queue of rejected readings, whose depth the operator page shows (WATTCAST_DEAD_LETTER_QUEUE)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS on-failure destination of the mappings, whose depth the operator page shows (WATTCAST_STREAM_FAILURES_QUEUE)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the three functions' EMF metrics (WATTCAST_METRICS_NAMESPACE), the one the monitoring module's alarms watch."
  type        = string
  default     = "Wattcast"
}

# ---------------------------------------------------------------- what the functions may touch (exact ARNs)

variable "dynamodb_table_arns" {
  description = "ARNs of the tables named above, by role (the storage module's dynamodb_table_arns)."
  type = object({
    hourly     = string
    households = string
    forecasts  = string
    settings   = string
    alerts     = string
    accuracy   = string
  })

  validation {
    condition     = alltrue([for arn in values(var.dynamodb_table_arns) : startswith(arn, "arn:") && strcontains(arn, ":table/")])
    error_message = "dynamodb_table_arns must hold DynamoDB table ARNs."
  }
}

variable "hourly_stream_arn" {
  description = "ARN of the hour-closed events stream (Settings.hourly_stream) the alerts function consumes."
  type        = string

  validation {
    condition     = startswith(var.hourly_stream_arn, "arn:") && strcontains(var.hourly_stream_arn, ":stream/")
    error_message = "hourly_stream_arn must be a Kinesis stream ARN."
  }
}

variable "stream_failures_queue_arn" {
  description = "ARN of the SQS queue that is the on-failure destination of the alerts and statements mappings (Settings.stream_failures_queue); the portal function reads its depth."
  type        = string

  validation {
    condition     = startswith(var.stream_failures_queue_arn, "arn:") && strcontains(var.stream_failures_queue_arn, ":sqs:")
    error_message = "stream_failures_queue_arn must be an SQS queue ARN."
  }
}

variable "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (Settings.dead_letter_queue); the portal function reads its depth."
  type        = string

  validation {
    condition     = startswith(var.dead_letter_queue_arn, "arn:") && strcontains(var.dead_letter_queue_arn, ":sqs:")
    error_message = "dead_letter_queue_arn must be an SQS queue ARN."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket (the storage module's s3_bucket_arn): the statements function writes, the portal function reads, <statements_prefix>* only."
  type        = string

  validation {
    condition     = startswith(var.data_bucket_arn, "arn:") && strcontains(var.data_bucket_arn, ":s3:::")
    error_message = "data_bucket_arn must be an S3 bucket ARN."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's): encrypts the topic, the log groups and the functions' environment; the functions may use it for the stores it encrypts."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

# ---------------------------------------------------------------- the functions

variable "image_uri" {
  description = "ECR URI of the portal image (docker/portal.Dockerfile) with an immutable tag or digest; the three functions run it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "portal_handler" {
  description = "Handler the portal function runs (the image's CMD)."
  type        = string
  default     = "services.portal.handler.api_handler"
}

variable "alerts_handler" {
  description = "Handler the alerts function runs (scripts.local.mappings.alerts_mapping().handler)."
  type        = string
  default     = "services.portal.handler.alerts_handler"
}

variable "statements_handler" {
  description = "Handler the statements function runs (scripts.local.mappings.statements_mapping().handler)."
  type        = string
  default     = "services.portal.statement_handler.statements_handler"
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

variable "portal_memory_size" {
  description = "Memory of the portal function in MB (128..10240)."
  type        = number
  default     = 1024

  validation {
    condition     = var.portal_memory_size >= 128 && var.portal_memory_size <= 10240 && floor(var.portal_memory_size) == var.portal_memory_size
    error_message = "portal_memory_size must be a whole number 128..10240."
  }
}

variable "alerts_memory_size" {
  description = "Memory of the alerts function in MB (128..10240)."
  type        = number
  default     = 1024

  validation {
    condition     = var.alerts_memory_size >= 128 && var.alerts_memory_size <= 10240 && floor(var.alerts_memory_size) == var.alerts_memory_size
    error_message = "alerts_memory_size must be a whole number 128..10240."
  }
}

variable "statements_memory_size" {
  description = "Memory of the statements function in MB (128..10240); matplotlib renders the PDF's charts."
  type        = number
  default     = 1024

  validation {
    condition     = var.statements_memory_size >= 128 && var.statements_memory_size <= 10240 && floor(var.statements_memory_size) == var.statements_memory_size
    error_message = "statements_memory_size must be a whole number 128..10240."
  }
}

variable "portal_function_timeout_seconds" {
  description = "Timeout of the portal function (1..30 s: an HTTP API waits at most 30 s for its integration)."
  type        = number
  default     = 29

  validation {
    condition     = var.portal_function_timeout_seconds >= 1 && var.portal_function_timeout_seconds <= 30 && floor(var.portal_function_timeout_seconds) == var.portal_function_timeout_seconds
    error_message = "portal_function_timeout_seconds must be a whole number 1..30."
  }
}

variable "portal_reserved_concurrency" {
  description = "Reserved concurrency of the portal function: -1 unreserved, 0 stops it, N reserves and caps N."
  type        = number
  default     = -1

  validation {
    condition     = var.portal_reserved_concurrency >= -1 && floor(var.portal_reserved_concurrency) == var.portal_reserved_concurrency
    error_message = "portal_reserved_concurrency must be a whole number >= -1."
  }
}

variable "alerts_reserved_concurrency" {
  description = "Reserved concurrency of the alerts function: -1 unreserved, 0 stops it, N reserves and caps N."
  type        = number
  default     = -1

  validation {
    condition     = var.alerts_reserved_concurrency >= -1 && floor(var.alerts_reserved_concurrency) == var.alerts_reserved_concurrency
    error_message = "alerts_reserved_concurrency must be a whole number >= -1."
  }
}

variable "statements_reserved_concurrency" {
  description = "Reserved concurrency of the statements function: -1 unreserved, 0 stops it, N reserves and caps N."
  type        = number
  default     = -1

  validation {
    condition     = var.statements_reserved_concurrency >= -1 && floor(var.statements_reserved_concurrency) == var.statements_reserved_concurrency
    error_message = "statements_reserved_concurrency must be a whole number >= -1."
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

# ---------------------------------------------------------------- the API's contract (Settings defaults)

variable "portal_household_claim" {
  description = "ID token claim naming the caller's household (WATTCAST_PORTAL_HOUSEHOLD_CLAIM); the user pool's custom attribute is this name without \"custom:\"."
  type        = string
  default     = "custom:household_id"

  validation {
    condition     = can(regex("^custom:[a-zA-Z0-9_]{1,20}$", var.portal_household_claim))
    error_message = "portal_household_claim must be custom:<name>, name 1-20 of a-z, A-Z, 0-9, '_' (a Cognito custom attribute)."
  }
}

variable "portal_operator_group" {
  description = "Cognito group whose members read every household (WATTCAST_PORTAL_OPERATOR_GROUP); the module creates it."
  type        = string
  default     = "operators"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,128}$", var.portal_operator_group))
    error_message = "portal_operator_group must be 1-128 of a-z, A-Z, 0-9, '_', '.', '-'."
  }
}

variable "portal_max_range_hours" {
  description = "Longest window /hours answers, in hours (WATTCAST_PORTAL_MAX_RANGE_HOURS, >= 1)."
  type        = number
  default     = 744

  validation {
    condition     = var.portal_max_range_hours >= 1 && floor(var.portal_max_range_hours) == var.portal_max_range_hours
    error_message = "portal_max_range_hours must be a whole number >= 1."
  }
}

variable "statement_link_seconds" {
  description = "Lifetime of a presigned statement link, in seconds (WATTCAST_STATEMENT_LINK_SECONDS, 1..604800). A link signed with the function's temporary credentials stops working when they expire, whichever comes first."
  type        = number
  default     = 3600

  validation {
    condition     = var.statement_link_seconds >= 1 && var.statement_link_seconds <= 604800 && floor(var.statement_link_seconds) == var.statement_link_seconds
    error_message = "statement_link_seconds must be a whole number 1..604800 (SigV4's limit)."
  }
}

variable "pipeline_window_minutes" {
  description = "Window of the operator page's iterator ages, in minutes (WATTCAST_PIPELINE_WINDOW_MINUTES, 1..1440)."
  type        = number
  default     = 15

  validation {
    condition     = var.pipeline_window_minutes >= 1 && var.pipeline_window_minutes <= 1440 && floor(var.pipeline_window_minutes) == var.pipeline_window_minutes
    error_message = "pipeline_window_minutes must be a whole number 1..1440 (a day of one-minute points)."
  }
}

# ---------------------------------------------------------------- the alerts mapping (Settings defaults)

variable "starting_position" {
  description = "Where the alerts and statements mappings start reading the hourly stream: TRIM_HORIZON or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "alerts_batch_size" {
  description = "Alerts mapping BatchSize (1..10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.alerts_batch_size >= 1 && var.alerts_batch_size <= 10000 && floor(var.alerts_batch_size) == var.alerts_batch_size
    error_message = "alerts_batch_size must be a whole number 1..10000."
  }
}

variable "alerts_batching_window_seconds" {
  description = "Alerts mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1

  validation {
    condition     = var.alerts_batching_window_seconds >= 0 && var.alerts_batching_window_seconds <= 300 && floor(var.alerts_batching_window_seconds) == var.alerts_batching_window_seconds
    error_message = "alerts_batching_window_seconds must be a whole number 0..300."
  }
}

variable "alerts_maximum_retry_attempts" {
  description = "Alerts mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10

  validation {
    condition     = var.alerts_maximum_retry_attempts >= -1 && var.alerts_maximum_retry_attempts <= 10000 && floor(var.alerts_maximum_retry_attempts) == var.alerts_maximum_retry_attempts
    error_message = "alerts_maximum_retry_attempts must be a whole number -1..10000."
  }
}

variable "alerts_maximum_record_age_seconds" {
  description = "Alerts mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400

  validation {
    condition     = var.alerts_maximum_record_age_seconds == -1 || (var.alerts_maximum_record_age_seconds >= 60 && var.alerts_maximum_record_age_seconds <= 604800)
    error_message = "alerts_maximum_record_age_seconds must be -1 (infinite) or 60..604800."
  }
}

variable "alerts_function_timeout_seconds" {
  description = "Timeout of the alerts function (1..900); the silent-meter sweep runs in one invocation."
  type        = number
  default     = 60

  validation {
    condition     = var.alerts_function_timeout_seconds >= 1 && var.alerts_function_timeout_seconds <= 900 && floor(var.alerts_function_timeout_seconds) == var.alerts_function_timeout_seconds
    error_message = "alerts_function_timeout_seconds must be a whole number 1..900."
  }
}

variable "alerts_parallelization_factor" {
  description = "Concurrent alerts batches per hourly shard (1..10); per-household order holds because the partition key is the household."
  type        = number
  default     = 1

  validation {
    condition     = var.alerts_parallelization_factor >= 1 && var.alerts_parallelization_factor <= 10 && floor(var.alerts_parallelization_factor) == var.alerts_parallelization_factor
    error_message = "alerts_parallelization_factor must be a whole number 1..10."
  }
}

variable "silent_sweep_interval_seconds" {
  description = "Schedule of the silent-meter sweep, in seconds (Settings.silent_sweep_interval_seconds); a whole number of minutes, at least 60."
  type        = number
  default     = 3600

  validation {
    condition     = var.silent_sweep_interval_seconds >= 60 && var.silent_sweep_interval_seconds % 60 == 0
    error_message = "silent_sweep_interval_seconds must be a whole number of minutes, at least 60 (EventBridge rates are in minutes)."
  }
}

# ---------------------------------------------------------------- the statements mapping (Settings defaults)

variable "statements_batch_size" {
  description = "Statements mapping BatchSize (1..10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.statements_batch_size >= 1 && var.statements_batch_size <= 10000 && floor(var.statements_batch_size) == var.statements_batch_size
    error_message = "statements_batch_size must be a whole number 1..10000."
  }
}

variable "statements_batching_window_seconds" {
  description = "Statements mapping MaximumBatchingWindowInSeconds (0..300, whole seconds)."
  type        = number
  default     = 1

  validation {
    condition     = var.statements_batching_window_seconds >= 0 && var.statements_batching_window_seconds <= 300 && floor(var.statements_batching_window_seconds) == var.statements_batching_window_seconds
    error_message = "statements_batching_window_seconds must be a whole number 0..300."
  }
}

variable "statements_maximum_retry_attempts" {
  description = "Statements mapping MaximumRetryAttempts (-1..10000)."
  type        = number
  default     = 10

  validation {
    condition     = var.statements_maximum_retry_attempts >= -1 && var.statements_maximum_retry_attempts <= 10000 && floor(var.statements_maximum_retry_attempts) == var.statements_maximum_retry_attempts
    error_message = "statements_maximum_retry_attempts must be a whole number -1..10000."
  }
}

variable "statements_maximum_record_age_seconds" {
  description = "Statements mapping MaximumRecordAgeInSeconds (-1 or 60..604800)."
  type        = number
  default     = 86400

  validation {
    condition     = var.statements_maximum_record_age_seconds == -1 || (var.statements_maximum_record_age_seconds >= 60 && var.statements_maximum_record_age_seconds <= 604800)
    error_message = "statements_maximum_record_age_seconds must be -1 (infinite) or 60..604800."
  }
}

variable "statements_function_timeout_seconds" {
  description = "Timeout of the statements function (1..900): about a second per household whose month closed in the batch, and a direct re-run writes every household's."
  type        = number
  default     = 300

  validation {
    condition     = var.statements_function_timeout_seconds >= 1 && var.statements_function_timeout_seconds <= 900 && floor(var.statements_function_timeout_seconds) == var.statements_function_timeout_seconds
    error_message = "statements_function_timeout_seconds must be a whole number 1..900."
  }
}

variable "statements_parallelization_factor" {
  description = "Concurrent statements batches per hourly shard (1..10); per-household order holds because the partition key is the household."
  type        = number
  default     = 1

  validation {
    condition     = var.statements_parallelization_factor >= 1 && var.statements_parallelization_factor <= 10 && floor(var.statements_parallelization_factor) == var.statements_parallelization_factor
    error_message = "statements_parallelization_factor must be a whole number 1..10."
  }
}

# ---------------------------------------------------------------- Cognito

variable "password_minimum_length" {
  description = "Minimum password length of the user pool (8..99); lower and upper case, digits and symbols are always required."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99 && floor(var.password_minimum_length) == var.password_minimum_length
    error_message = "password_minimum_length must be a whole number 8..99."
  }
}

variable "temporary_password_validity_days" {
  description = "Days a temporary password from admin-create-user stays valid (1..365)."
  type        = number
  default     = 7

  validation {
    condition     = var.temporary_password_validity_days >= 1 && var.temporary_password_validity_days <= 365 && floor(var.temporary_password_validity_days) == var.temporary_password_validity_days
    error_message = "temporary_password_validity_days must be a whole number 1..365."
  }
}

variable "mfa_configuration" {
  description = "MFA of the user pool: OFF, OPTIONAL (each user may enrol an authenticator app) or ON."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be OFF, OPTIONAL or ON."
  }
}

variable "advanced_security_mode" {
  description = "Cognito threat protection: OFF, AUDIT or ENFORCED. AUDIT and ENFORCED put the pool on the Plus feature plan (billed per monthly active user)."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.advanced_security_mode)
    error_message = "advanced_security_mode must be OFF, AUDIT or ENFORCED."
  }
}

variable "explicit_auth_flows" {
  description = "Sign-in flows of the app client. The default (SRP and refresh) sends no password; add ALLOW_ADMIN_USER_PASSWORD_AUTH to get tokens with the AWS CLI and admin credentials."
  type        = list(string)
  default     = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

  validation {
    condition = length(var.explicit_auth_flows) > 0 && alltrue([
      for flow in var.explicit_auth_flows :
      contains(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_AUTH"], flow)
    ])
    error_message = "explicit_auth_flows must be a non-empty list of ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_CUSTOM_AUTH, ALLOW_USER_AUTH."
  }
}

variable "id_token_validity_minutes" {
  description = "Lifetime of ID tokens (the API's bearer tokens), in minutes (5..1440)."
  type        = number
  default     = 60

  validation {
    condition     = var.id_token_validity_minutes >= 5 && var.id_token_validity_minutes <= 1440 && floor(var.id_token_validity_minutes) == var.id_token_validity_minutes
    error_message = "id_token_validity_minutes must be a whole number 5..1440."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of access tokens, in minutes (5..1440)."
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440 && floor(var.access_token_validity_minutes) == var.access_token_validity_minutes
    error_message = "access_token_validity_minutes must be a whole number 5..1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens, in days (1..3650)."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650 && floor(var.refresh_token_validity_days) == var.refresh_token_validity_days
    error_message = "refresh_token_validity_days must be a whole number 1..3650."
  }
}

variable "hosted_ui_domain_prefix" {
  description = "Prefix of the hosted UI's domain, <prefix>.auth.<region>.amazoncognito.com, unique in the region across AWS: 1-63 of a-z, 0-9, '-', not starting or ending with '-', without aws, amazon or cognito. null = <user_pool_name>-<account id>."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_ui_domain_prefix == null || (can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.hosted_ui_domain_prefix)) && !can(regex("aws|amazon|cognito", var.hosted_ui_domain_prefix)))
    error_message = "hosted_ui_domain_prefix must be 1-63 of a-z, 0-9, '-', neither starting nor ending with '-', and must not contain aws, amazon or cognito."
  }
}

variable "extra_callback_urls" {
  description = "Callback URLs the hosted UI may return tokens to besides <api_endpoint>/ and <api_endpoint>/operator, e.g. the pages behind a custom domain (https://portal.example.com/). HTTPS, or http://localhost."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for url in var.extra_callback_urls : can(regex("^(https://[^\\s#]+|http://localhost(:[0-9]{1,5})?(/[^\\s#]*)?)$", url))])
    error_message = "extra_callback_urls must be https:// URLs (or http://localhost) without a fragment."
  }
}

variable "deletion_protection" {
  description = "Protect the user pool (its users) against deletion. Set false and apply before destroying a throw-away stack."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- the HTTP API

variable "throttling_burst_limit" {
  description = "Default route burst limit of the $default stage, in requests (0..5000)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number 0..5000."
  }
}

variable "throttling_rate_limit" {
  description = "Default route steady-state rate limit of the $default stage, in requests per second (0..10000)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be 0..10000."
  }
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to call the API (e.g. [\"https://portal.example.com\"]); empty = no CORS configuration."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^(https?://[a-zA-Z0-9.-]+(:[0-9]{1,5})?|\\*)$", origin))])
    error_message = "cors_allowed_origins must hold origins (scheme://host[:port], no path) or \"*\"."
  }
}

variable "access_log_retention_days" {
  description = "Retention of the API's access log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be one of the CloudWatch Logs retention values (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
