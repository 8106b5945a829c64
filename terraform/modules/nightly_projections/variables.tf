# Names named after a field of services/core/settings.py default to that field's default, and the
# processing job receives them as WATTCAST_<FIELD> (tests/unit/test_terraform.py checks both).

variable "name" {
  description = "Names the state machine, the schedule, the roles, the alarms and (as a prefix) the processing jobs, <name>-<execution>: lower case, at most 26 characters, so the job name stays within SageMaker's 63."
  type        = string
  default     = "wattcast-projections"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9])*$", var.name)) && length(var.name) <= 26
    error_message = "name must be 1-26 of a-z, 0-9 and inner single '-' (SageMaker lower-cases job ARNs; the job name adds '-' and a 36-character execution name)."
  }
}

# ---------------------------------------------------------------- the schedule

variable "schedule_expression" {
  description = "When the night's projections run, in UTC (the job projects as of the UTC date the execution starts): an EventBridge Scheduler cron(...) expression. Default 01:30, after the day closed plus the allowed lateness."
  type        = string
  default     = "cron(30 1 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...): one run a night, at a fixed UTC time."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule starts executions (false keeps the flow for manual starts only)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- the processing job

variable "image_uri" {
  description = "ECR URI of the forecaster image with an immutable tag or digest; the job runs `python -m services.projections --shard auto --as-of <date>` in it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the repository holding image_uri; the processing role may pull from it only."
  type        = string

  validation {
    condition     = startswith(var.ecr_repository_arn, "arn:") && strcontains(var.ecr_repository_arn, ":repository/")
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "instance_type" {
  description = "Processing instance type (billed per second while the job runs), e.g. ml.m5.large; an EBS-only type, since the volume is encrypted with kms_key_arn."
  type        = string
  default     = "ml.m5.large"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9-]+\\.(medium|large|[0-9]*xlarge)$", var.instance_type))
    error_message = "instance_type must look like ml.<family>.<size>, e.g. ml.m5.large."
  }
}

variable "instance_count" {
  description = "Instances of the processing job (1..100): each projects its shard of the fleet (--shard auto, by the CRC-32 of the household id), so the night takes about 1/instance_count as long."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 100 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number 1..100."
  }
}

variable "volume_size_gb" {
  description = "ML storage volume per instance in GB (1..16384): the bundle being used and the default model."
  type        = number
  default     = 30

  validation {
    condition     = var.volume_size_gb >= 1 && var.volume_size_gb <= 16384 && floor(var.volume_size_gb) == var.volume_size_gb
    error_message = "volume_size_gb must be a whole number 1..16384."
  }
}

variable "max_runtime_seconds" {
  description = "The processing job is stopped after this long (60..86400: a night's run must end before the next starts); the execution times out an hour later."
  type        = number
  default     = 14400

  validation {
    condition     = var.max_runtime_seconds >= 60 && var.max_runtime_seconds <= 86400 && floor(var.max_runtime_seconds) == var.max_runtime_seconds
    error_message = "max_runtime_seconds must be a whole number 60..86400."
  }
}

# ---------------------------------------------------------------- what the job reads and writes (Settings defaults)

variable "households_table" {
  description = "DynamoDB per-household table the job scans for each household's latest reading (WATTCAST_HOUSEHOLDS_TABLE); its ARN is households_table_arn."
  type        = string
  default     = "wattcast-households"
}

variable "hourly_table" {
  description = "DynamoDB hourly aggregates table the job queries for each household's month (WATTCAST_HOURLY_TABLE); its ARN is hourly_table_arn."
  type        = string
  default     = "wattcast-hourly"
}

variable "forecasts_table" {
  description = "DynamoDB forecasts table the job writes the month# items to (WATTCAST_FORECASTS_TABLE); its ARN is forecasts_table_arn."
  type        = string
  default     = "wattcast-forecasts"
}

variable "data_bucket" {
  description = "S3 bucket of the bundles (WATTCAST_DATA_BUCKET)."
  type        = string
  default     = "wattcast-data"
}

variable "models_prefix" {
  description = "Key prefix of the bundles, prophet/<household>.tar.gz and the default (WATTCAST_MODELS_PREFIX); the job may read under it only."
  type        = string
  default     = "models/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.models_prefix))
    error_message = "models_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers; the job reads <prefix>prophet-default for the default model (WATTCAST_MODEL_POINTER_PREFIX)."
  type        = string
  default     = "/wattcast/models/"
}

variable "prophet_default_model" {
  description = "The default Prophet bundle when there is no pointer (WATTCAST_PROPHET_DEFAULT_MODEL)."
  type        = string
  default     = "prophet/default.tar.gz"
}

variable "allowed_lateness_seconds" {
  description = "A household's day counts as closed once its readings reach this far past midnight UTC (WATTCAST_ALLOWED_LATENESS_SECONDS, 0..86400); the schedule should run later than that."
  type        = number
  default     = 600

  validation {
    condition     = var.allowed_lateness_seconds >= 0 && var.allowed_lateness_seconds <= 86400
    error_message = "allowed_lateness_seconds must be 0..86400."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the job may put metrics into (WATTCAST_METRICS_NAMESPACE)."
  type        = string
  default     = "Wattcast"
}

variable "households_table_arn" {
  description = "ARN of the households table (the storage module's dynamodb_table_arns.households): Scan only."
  type        = string

  validation {
    condition     = startswith(var.households_table_arn, "arn:") && strcontains(var.households_table_arn, ":table/")
    error_message = "households_table_arn must be a DynamoDB table ARN."
  }
}

variable "hourly_table_arn" {
  description = "ARN of the hourly table (the storage module's dynamodb_table_arns.hourly): Query only."
  type        = string

  validation {
    condition     = startswith(var.hourly_table_arn, "arn:") && strcontains(var.hourly_table_arn, ":table/")
    error_message = "hourly_table_arn must be a DynamoDB table ARN."
  }
}

variable "forecasts_table_arn" {
  description = "ARN of the forecasts table (the storage module's dynamodb_table_arns.forecasts): BatchWriteItem only."
  type        = string

  validation {
    condition     = startswith(var.forecasts_table_arn, "arn:") && strcontains(var.forecasts_table_arn, ":table/")
    error_message = "forecasts_table_arn must be a DynamoDB table ARN."
  }
}

variable "prophet_default_pointer_arn" {
  description = "ARN of the prophet-default model pointer (the storage module's model_pointer_parameter_arns[\"prophet-default\"]): GetParameter on it only; null when pointers are off (empty model_pointer_prefix)."
  type        = string
  default     = null

  validation {
    condition     = var.prophet_default_pointer_arn == null || (startswith(coalesce(var.prophet_default_pointer_arn, "-"), "arn:") && strcontains(coalesce(var.prophet_default_pointer_arn, "-"), ":parameter/"))
    error_message = "prophet_default_pointer_arn must be null or an SSM parameter ARN."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's): encrypts the processing volumes, the schedule and the state machine's log group; the bundles and the tables are encrypted with it."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "operations_topic_arn" {
  description = "ARN of the operations topic (the monitoring module's) the failed and timed-out alarms notify."
  type        = string

  validation {
    condition     = startswith(var.operations_topic_arn, "arn:") && strcontains(var.operations_topic_arn, ":sns:")
    error_message = "operations_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_period" {
  description = "Period of the failed and timed-out alarms in seconds (a multiple of 60, up to a day): how long an alarm stays up after a failed night."
  type        = number
  default     = 3600

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period <= 86400 && var.alarm_period % 60 == 0
    error_message = "alarm_period must be a multiple of 60 between 60 and 86400."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags (also put on the processing jobs)."
  type        = map(string)
  default     = {}
}
