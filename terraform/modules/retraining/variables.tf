# Names named after a field of services/core/settings.py default to that field's default, and the
# training job receives them as WATTCAST_<FIELD> (tests/unit/test_terraform.py checks both).

variable "name" {
  description = "Names the state machine, the schedule, the roles, the alarms and (as a prefix) the training jobs, <name>-<model>-<execution>: lower case, at most 18 characters, so the job name stays within SageMaker's 63."
  type        = string
  default     = "wattcast-retrain"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9])*$", var.name)) && length(var.name) <= 18
    error_message = "name must be 1-18 of a-z, 0-9 and inner single '-' (SageMaker lower-cases job ARNs; the job name adds up to 45 characters)."
  }
}

variable "models" {
  description = "Models to retrain, one training job each (the trainer's HyperParameters {\"model\": ...}): lstm, prophet."
  type        = list(string)
  default     = ["lstm", "prophet"]

  validation {
    condition     = length(var.models) >= 1 && length(distinct(var.models)) == length(var.models) && alltrue([for m in var.models : contains(["lstm", "prophet"], m)])
    error_message = "models must be a non-empty list of distinct names out of lstm, prophet."
  }
}

# ---------------------------------------------------------------- the schedule

variable "schedule_expression" {
  description = "When retraining runs: an EventBridge Scheduler cron(...) or rate(...) expression, in schedule_timezone. Default: Sundays 03:00."
  type        = string
  default     = "cron(0 3 ? * SUN *)"

  validation {
    condition     = can(regex("^(cron\\(.+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(<n> minutes|hours|days)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone of a cron schedule_expression, e.g. UTC or Europe/Paris."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone name such as UTC or Europe/Paris."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule starts executions (false keeps the flow for manual starts only)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- the training job

variable "image_uri" {
  description = "ECR URI of the trainer image with an immutable tag or digest; SageMaker runs it as `train`."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the repository holding image_uri; the training role may pull from it only."
  type        = string

  validation {
    condition     = startswith(var.ecr_repository_arn, "arn:") && strcontains(var.ecr_repository_arn, ":repository/")
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "instance_type" {
  description = "Training instance type (billed per second while a job runs), e.g. ml.m5.large; an EBS-only type, since the volume is encrypted with kms_key_arn."
  type        = string
  default     = "ml.m5.large"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9-]+\\.(medium|large|[0-9]*xlarge)$", var.instance_type))
    error_message = "instance_type must look like ml.<family>.<size>, e.g. ml.m5.large."
  }
}

variable "instance_count" {
  description = "Instances per training job (1..4; the trainer does not distribute, so 1)."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 4 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number 1..4."
  }
}

variable "volume_size_gb" {
  description = "ML storage volume per instance in GB (1..16384): the hourly history and the bundles being built."
  type        = number
  default     = 30

  validation {
    condition     = var.volume_size_gb >= 1 && var.volume_size_gb <= 16384 && floor(var.volume_size_gb) == var.volume_size_gb
    error_message = "volume_size_gb must be a whole number 1..16384."
  }
}

variable "max_runtime_seconds" {
  description = "A training job is stopped after this long (60..432000, five days); the execution times out an hour later."
  type        = number
  default     = 14400

  validation {
    condition     = var.max_runtime_seconds >= 60 && var.max_runtime_seconds <= 432000 && floor(var.max_runtime_seconds) == var.max_runtime_seconds
    error_message = "max_runtime_seconds must be a whole number 60..432000."
  }
}

variable "training_output_prefix" {
  description = "Key prefix SageMaker writes each job's /opt/ml/model archive under (the trainer itself writes bundles under models_prefix); outside models_prefix, so the multi-model endpoint never sees it."
  type        = string
  default     = "training/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.training_output_prefix))
    error_message = "training_output_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

# ---------------------------------------------------------------- what the job reads and writes (Settings defaults)

variable "hourly_table" {
  description = "DynamoDB hourly aggregates table the trainer reads (WATTCAST_HOURLY_TABLE); its ARN is hourly_table_arn."
  type        = string
  default     = "wattcast-hourly"
}

variable "households_table" {
  description = "DynamoDB per-household table whose ids the trainer scans for the households to train (WATTCAST_HOUSEHOLDS_TABLE); its ARN is households_table_arn."
  type        = string
  default     = "wattcast-households"
}

variable "data_bucket" {
  description = "S3 bucket of the bundles (WATTCAST_DATA_BUCKET)."
  type        = string
  default     = "wattcast-data"
}

variable "models_prefix" {
  description = "Key prefix the trainer writes versioned bundles and their metadata sidecars under (WATTCAST_MODELS_PREFIX)."
  type        = string
  default     = "models/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.models_prefix))
    error_message = "models_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers the trainer promotes a better bundle with (WATTCAST_MODEL_POINTER_PREFIX)."
  type        = string
  default     = "/wattcast/models/"
}

variable "retrain_holdout_days" {
  description = "Days of recent history a challenger must beat the champion on before it is promoted (WATTCAST_RETRAIN_HOLDOUT_DAYS, >= 1)."
  type        = number
  default     = 14

  validation {
    condition     = var.retrain_holdout_days >= 1 && floor(var.retrain_holdout_days) == var.retrain_holdout_days
    error_message = "retrain_holdout_days must be a whole number >= 1."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the trainer may put metrics into (WATTCAST_METRICS_NAMESPACE)."
  type        = string
  default     = "Wattcast"
}

variable "hourly_table_arn" {
  description = "ARN of the hourly table (the storage module's dynamodb_table_arns.hourly): Query and Scan only."
  type        = string

  validation {
    condition     = startswith(var.hourly_table_arn, "arn:") && strcontains(var.hourly_table_arn, ":table/")
    error_message = "hourly_table_arn must be a DynamoDB table ARN."
  }
}

variable "households_table_arn" {
  description = "ARN of the households table (the storage module's dynamodb_table_arns.households): Scan only."
  type        = string

  validation {
    condition     = startswith(var.households_table_arn, "arn:") && strcontains(var.households_table_arn, ":table/")
    error_message = "households_table_arn must be a DynamoDB table ARN."
  }
}

variable "model_pointer_parameter_arns" {
  description = "ARNs of the model pointer parameters (the storage module's model_pointer_parameter_arns values): GetParameter and PutParameter on these only."
  type        = list(string)

  validation {
    condition     = length(var.model_pointer_parameter_arns) >= 1 && alltrue([for arn in var.model_pointer_parameter_arns : startswith(arn, "arn:") && strcontains(arn, ":parameter/")])
    error_message = "model_pointer_parameter_arns must hold at least one SSM parameter ARN (retraining promotes through the pointers)."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's): encrypts the training volumes and output, the schedule and the state machine's log group; the bundles and the hourly table are encrypted with it."
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
  description = "Period of the failed and timed-out alarms in seconds (a multiple of 60, up to a day): how long an alarm stays up after a failed run."
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
  description = "Tags merged over the module's default tags (also put on the training jobs)."
  type        = map(string)
  default     = {}
}
